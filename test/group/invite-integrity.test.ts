/**
 * GroupInvite's own fields (name, commit seq, next commit epoch) sit outside
 * the Welcome / SkInvite, so nothing the protocol checks covers them: the
 * inviter signs the whole invitation with its identity key, and an
 * invitation changed on the way (by the delivery service, or anyone who can
 * write to the mailbox) is rejected. The genuine one is accepted after it.
 */
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import type { RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { DirectMessage, type GroupInvite } from '../../src/proto/group.js'
import { agents, closeAll, did } from './helpers.js'

describe.each(['mls', 'hybrid', 'sender-keys', 'coordinator'] as const)('%s invitation', (protocol) => {
  it('with a changed name, commit seq or next commit epoch is rejected; the genuine one is accepted', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice', 'bob'], delivery)
    const held: Uint8Array[] = []
    const sendDirect = delivery.sendDirect.bind(delivery)
    delivery.sendDirect = async (to, bytes) => {
      if (to !== did('bob')) return sendDirect(to, bytes)
      held.push(bytes.slice())
      return { seq: 0 }
    }
    const g = await a.alice!.client.createGroup({ name: 'the real name', members: [did('bob')], protocol })
    delivery.sendDirect = sendDirect
    expect(held.length).toBe(1)
    const genuine = decodeProto(DirectMessage, held[0]!)
    const invite = genuine.body!.value as GroupInvite
    const forged = (over: Partial<GroupInvite>): Uint8Array =>
      encodeProto(DirectMessage, DirectMessage.create({ body: { case: 'invite', value: { ...invite, ...over } } }))

    const bob = a.bob!.client
    const rejected: RejectedEntry[] = []
    bob.on('rejected', (r) => rejected.push(r))
    await sendDirect(did('bob'), forged({ name: 'a forged name' }))
    await sendDirect(did('bob'), forged({ commitSeq: invite.commitSeq + 5n }))
    await sendDirect(did('bob'), forged({ nextCommitEpoch: invite.nextCommitEpoch + 1n }))
    await sendDirect(did('bob'), held[0]!)
    const gb = await bob.waitForGroup(g.id)
    expect(gb.name).toBe('the real name')
    expect(rejected.map((r) => r.error.code)).toEqual(Array(3).fill('GROUP_MALFORMED_INVITE'))
    await closeAll(Object.values(a))
  }, 60_000)
})
