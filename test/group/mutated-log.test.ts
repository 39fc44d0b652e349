/**
 * Every entry of a live group's log, truncated or with one byte changed, and
 * published again: each protocol rejects it with a TalosError (the entry is
 * skipped) and never fails the group. A TypeError or RangeError from a
 * decoder would stop the member's log loop (state 'failed'): anyone who can
 * publish to the group could end it for everyone.
 */
import { describe, expect, it } from 'vitest'
import type { RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import type { TalosError } from '../../src/errors.js'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'

/** Deterministic mutations: truncations at a few lengths and single-byte flips at a few positions. */
function mutations(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const n of [1, 2, 5, 9, 17, 33, Math.floor(bytes.length / 2), bytes.length - 1]) {
    if (n > 0 && n < bytes.length) out.push(bytes.slice(0, n))
  }
  for (const i of [0, 1, 3, 6, 12, 24, 48, Math.floor(bytes.length / 3), bytes.length - 20, bytes.length - 1]) {
    if (i < 0 || i >= bytes.length) continue
    const m = bytes.slice()
    m[i]! ^= 0x41
    out.push(m)
  }
  return out
}

describe.each(['mls', 'hybrid', 'sender-keys', 'coordinator'] as const)('%s: mutated log entries', (protocol) => {
  it('are rejected with a TalosError; the group stays active and keeps working', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice', 'bob'], delivery)
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
    const gb = await a.bob!.client.waitForGroup(g.id)
    await g.send(enc('one'))
    await gb.send(enc('two'))
    await take(gb, 1)
    await take(g, 1)
    await g.sync()
    await gb.sync()
    const log = await delivery.fetch(g.idBytes, 1)
    const rejected: RejectedEntry[] = []
    const errors: TalosError[] = []
    for (const x of [g, gb]) {
      x.on('rejected', (r) => rejected.push(r))
      x.on('error', (e) => errors.push(e))
    }
    let published = 0
    for (const entry of log) {
      for (const m of mutations(entry.bytes)) {
        // As messages only: a mutated commit published as a commit would take the epoch's slot, which is tested elsewhere.
        await delivery.publish(g.idBytes, m, { kind: 'message' })
        published++
      }
    }
    await g.send(enc('after the junk'))
    expect(dec((await take(gb, 1))[0]!.plaintext)).toBe('after the junk')
    await g.sync()
    expect(errors.map((e) => `${e.code}: ${e.message}`)).toEqual([])
    expect(g.state).toBe('active')
    expect(gb.state).toBe('active')
    expect(published).toBeGreaterThan(20)
    for (const r of rejected) expect(r.error.code).not.toBe('GROUP_INTERNAL')
    expect(g.epochAuthenticator()).toEqual(gb.epochAuthenticator())
    await closeAll(Object.values(a))
  }, 60_000)
})
