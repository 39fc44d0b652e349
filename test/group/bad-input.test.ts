/**
 * Bad input at the API gives the typed error and changes nothing: unknown
 * DIDs, non-members, sending after leaving, malformed entries arriving from
 * the delivery service (group log and mailbox).
 */
import { describe, expect, it } from 'vitest'
import { Client, type RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { encodeProto } from '../../src/codec/proto.js'
import { Envelope, Protocol } from '../../src/proto/envelope.js'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'

describe('bad input at the Client/Group API', () => {
  it('refuses bad DIDs, unknown DIDs, non-members and bad arguments with GROUP_* codes', async () => {
    const { delivery, agents: a } = await agents(['alice', 'bob'])
    const alice = a.alice!.client
    await expect(Client.create({ did: 'alice', delivery, store: new MemoryStore() })).rejects.toMatchObject({ code: 'GROUP_INVALID_DID' })
    await expect(alice.createGroup({ name: 'g', members: [did('nobody')], protocol: 'mls' })).rejects.toMatchObject({ code: 'GROUP_UNKNOWN_DID' })
    await expect(alice.createGroup({ name: 'g', members: ['bob'], protocol: 'mls' })).rejects.toMatchObject({ code: 'GROUP_INVALID_DID' })
    await expect(alice.createGroup({ name: 'g', members: [], protocol: 'bogus' as never })).rejects.toMatchObject({ code: 'GROUP_INVALID_PROTOCOL' })
    await expect(alice.createGroup({ name: 'x'.repeat(300), members: [], protocol: 'mls' })).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })

    const g = await alice.createGroup({ name: 'g', members: [did('bob')], protocol: 'hybrid' })
    const before = { epoch: g.epoch, auth: g.epochAuthenticator(), members: g.members() }
    await expect(g.addMember(did('nobody'))).rejects.toMatchObject({ code: 'GROUP_UNKNOWN_DID' })
    await expect(g.addMember('did:talos:')).rejects.toMatchObject({ code: 'GROUP_INVALID_DID' })
    await expect(g.addMember(did('bob'))).rejects.toMatchObject({ code: 'GROUP_ALREADY_MEMBER' })
    await expect(g.removeMember(did('carol'))).rejects.toMatchObject({ code: 'GROUP_NOT_A_MEMBER' })
    await expect(g.send('text' as never)).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })
    await expect(g.send(new Uint8Array(300 * 1024))).rejects.toMatchObject({ code: 'GROUP_MESSAGE_TOO_LARGE' })
    await expect(alice.grantGroupCapability({ groupId: 'ff'.repeat(16), scope: 's', requireConsensus: true })).rejects.toMatchObject({
      code: 'GROUP_NOT_A_MEMBER',
    })
    expect(g.epoch).toBe(before.epoch)
    expect(g.epochAuthenticator()).toEqual(before.auth)
    expect(g.members()).toEqual(before.members)
    await closeAll(Object.values(a))
  })

  it.each(['mls', 'hybrid', 'sender-keys', 'coordinator'] as const)('after leave() (%s): send gives GROUP_LEFT, the iterator ends, the others remove the leaver', async (protocol) => {
    const { agents: a } = await agents(['alice', 'bob', 'carol'])
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
    const gb = await a.bob!.client.waitForGroup(g.id)
    const gc = await a.carol!.client.waitForGroup(g.id)
    const it = gb.messages()
    const pending = it.next()
    await gb.leave()
    expect((await pending).done).toBe(true)
    await expect(gb.send(enc('x'))).rejects.toMatchObject({ code: 'GROUP_LEFT' })
    await expect(gb.leave()).rejects.toMatchObject({ code: 'GROUP_LEFT' })
    expect(a.bob!.client.group(g.id)).toBeUndefined()
    // alice (first remaining member) commits bob's removal; everyone agrees
    await expect.poll(() => g.members().length).toBe(2)
    await gc.sync()
    expect(gc.members().sort()).toEqual([did('alice'), did('carol')])
    expect(gc.epochAuthenticator()).toEqual(g.epochAuthenticator())
    await g.send(enc('without bob'))
    expect(dec((await take(gc, 1))[0]!.plaintext)).toBe('without bob')
    await closeAll(Object.values(a))
  })

  for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
    it(`${protocol}: malformed entries from the delivery service are rejected with a typed error, state unchanged, the log goes on`, async () => {
      const delivery = new MemoryDelivery()
      const { agents: a } = await agents(['alice', 'bob'], delivery)
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      const rejected: RejectedEntry[] = []
      gb.on('rejected', (r) => rejected.push(r))
      const before = { epoch: gb.epoch, auth: gb.epochAuthenticator() }
      const env = (over: Partial<Envelope>) =>
        encodeProto(Envelope, Envelope.create({ protocol: { mls: Protocol.MLS, hybrid: Protocol.HYBRID, 'sender-keys': Protocol.SENDER_KEYS, coordinator: Protocol.COORDINATOR }[protocol], groupId: g.idBytes, senderDid: did('alice'), payload: enc('junk'), ...over }))
      const hostile: [Uint8Array, 'message' | 'commit'][] = [
        [new Uint8Array([0xff, 0xff, 0xff]), 'message'],
        [env({ groupId: new Uint8Array(16) }), 'message'],
        [env({ protocol: protocol === 'mls' ? Protocol.HYBRID : Protocol.MLS }), 'message'],
        [env({ senderDid: 'not a did' }), 'message'],
        [env({}), 'message'],
        [env({ payload: new Uint8Array(0) }), 'message'],
      ]
      for (const [bytes, kind] of hostile) {
        await delivery.publish(g.idBytes, bytes, kind === 'commit' ? { kind, epoch: Number(g.epoch) } : { kind })
      }
      // A garbage "commit" for the current epoch: it takes the epoch's slot in the log, yet changes no one's state.
      await delivery.publish(g.idBytes, env({}), { kind: 'commit', epoch: Number(g.epoch) })
      await g.send(enc('still here'))
      expect(dec((await take(gb, 1))[0]!.plaintext)).toBe('still here')
      expect(rejected.length).toBe(hostile.length + 1)
      for (const r of rejected) expect(r.error.code).toMatch(/^(GROUP|DECODE|MLS)_/)
      expect(rejected.slice(0, 4).map((r) => r.error.code)).toEqual(Array(4).fill('GROUP_MALFORMED_ENVELOPE'))
      expect(gb.epoch).toBe(before.epoch)
      expect(gb.epochAuthenticator()).toEqual(before.auth)
      expect(gb.state).toBe('active')
      // The junk commit took a slot in the log, yet the group can still change: the next commit takes the next slot.
      await (protocol === 'coordinator' ? g : gb).update()
      await g.sync()
      expect(g.epoch).toBe(before.epoch + 1n)
      expect(g.epochAuthenticator()).toEqual(gb.epochAuthenticator())
      await closeAll(Object.values(a))
    })
  }

  it('a malformed mailbox entry is rejected with a typed error and the client keeps joining groups', async () => {
    const { delivery, agents: a } = await agents(['alice', 'bob'])
    const rejected: RejectedEntry[] = []
    a.bob!.client.on('rejected', (r) => rejected.push(r))
    await delivery.sendDirect(did('bob'), new Uint8Array([1, 2, 3, 4]))
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol: 'mls' })
    const gb = await a.bob!.client.waitForGroup(g.id)
    expect(gb.members().length).toBe(2)
    expect(rejected.map((r) => r.error.code)).toEqual(['GROUP_MALFORMED_ENVELOPE'])
    await closeAll(Object.values(a))
  })
})
