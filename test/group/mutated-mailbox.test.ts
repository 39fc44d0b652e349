/**
 * Invitations for every protocol, truncated or with one byte changed, in a
 * member's mailbox: each is rejected with a TalosError and the mailbox loop
 * goes on (a TypeError there would stop the client from ever joining a
 * group again); the genuine invitations that follow are still accepted.
 */
import { describe, expect, it } from 'vitest'
import type { RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { agents, closeAll, did } from './helpers.js'

function mutations(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let n = 1; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 12))) out.push(bytes.slice(0, n))
  for (let i = 0; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 24))) {
    const m = bytes.slice()
    m[i]! ^= 0x41
    out.push(m)
  }
  return out
}

describe('mutated invitations in the mailbox', () => {
  it('are rejected with a TalosError; the mailbox goes on and genuine invitations still work', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice', 'bob'], delivery)
    // Hold back what alice sends bob's mailbox, to replay it mutated first.
    const held: Uint8Array[] = []
    const sendDirect = delivery.sendDirect.bind(delivery)
    delivery.sendDirect = async (to, bytes) => {
      if (to === did('bob')) {
        held.push(bytes.slice())
        return { seq: 0 }
      }
      return sendDirect(to, bytes)
    }
    const groups = []
    for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
      groups.push(await a.alice!.client.createGroup({ name: `g-${protocol}`, members: [did('bob')], protocol }))
    }
    delivery.sendDirect = sendDirect
    expect(held.length).toBe(4)

    const bob = a.bob!.client
    const rejected: RejectedEntry[] = []
    bob.on('rejected', (r) => rejected.push(r))
    let sent = 0
    for (const invite of held) {
      for (const m of mutations(invite)) {
        await sendDirect(did('bob'), m)
        sent++
      }
    }
    for (const invite of held) await sendDirect(did('bob'), invite)
    for (const g of groups) {
      const gb = await bob.waitForGroup(g.id)
      expect(gb.state).toBe('active')
    }
    expect(sent).toBeGreaterThan(100)
    expect(rejected.filter((r) => r.error.code === 'GROUP_INTERNAL' || r.seq === -1)).toEqual([])
    // Every mutation was refused (the inviter signs the whole invitation), so bob holds the real names.
    expect(rejected.length).toBe(sent)
    expect(bob.groups().map((g) => g.name).sort()).toEqual(groups.map((g) => g.name).sort())
    await closeAll(Object.values(a))
  }, 120_000)
})
