/**
 * Entries a hostile delivery service (or a member) can inject, for every
 * protocol: a real entry replayed, a real entry re-attributed to another
 * member, a forged commit. Each is rejected with a typed error, nothing is
 * delivered twice or under the wrong name, and the group state (epoch,
 * authenticator, members) does not move.
 */
import { describe, expect, it } from 'vitest'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { Envelope } from '../../src/proto/envelope.js'
import { SkCommit } from '../../src/proto/group.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { commitTbs } from '../../src/group/protocols/roster.js'
import type { RejectedEntry } from '../../src/group/index.js'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'

for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
  describe(`hostile log entries (${protocol})`, () => {
    it('replayed and re-attributed entries are rejected, never delivered twice or under another name', async () => {
      const delivery = new MemoryDelivery()
      const { agents: a } = await agents(['alice', 'bob', 'carol'], delivery)
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      const gc = await a.carol!.client.waitForGroup(g.id)
      const rejected: RejectedEntry[] = []
      gc.on('rejected', (r) => rejected.push(r))
      const { seq } = await gb.send(enc('from bob'))
      expect(dec((await take(gc, 1))[0]!.plaintext)).toBe('from bob')
      await g.sync()
      await gc.sync()
      const before = { epoch: gc.epoch, auth: gc.epochAuthenticator(), members: gc.members() }

      // In the coordinator the entry carol reads is the hub's relay (the next one); elsewhere bob's own.
      const log = await delivery.fetch(g.idBytes, seq)
      const entry = protocol === 'coordinator' ? log.find((e) => decodeProto(Envelope, e.bytes).senderDid === did('alice'))! : log[0]!
      await delivery.publish(g.idBytes, entry.bytes, { kind: 'message' })
      const env = decodeProto(Envelope, entry.bytes)
      await delivery.publish(g.idBytes, encodeProto(Envelope, { ...env, senderDid: did('carol') === env.senderDid ? did('bob') : did('mallory') }), { kind: 'message' })

      // A forged commit: right structure, signed by a key that is not the claimed committer's.
      const forged: SkCommit = { groupId: g.idBytes, epoch: g.epoch, committer: did('alice'), added: [], removed: [did('bob')], signature: new Uint8Array(64) }
      forged.signature = ed25519.sign(ed25519.generateKeyPair().privateKey, commitTbs(forged))
      await delivery.publish(g.idBytes, encodeProto(Envelope, { ...env, senderDid: did('alice'), payload: encodeProto(SkCommit, forged) }), {
        kind: 'commit',
        epoch: Number(g.epoch),
      })

      await g.send(enc('still fine'))
      const next = await take(gc, 1)
      expect(next.map((m) => `${m.sender}:${dec(m.plaintext)}`)).toEqual([`${did('alice')}:still fine`])
      expect(rejected.length).toBe(3)
      for (const r of rejected) expect(r.error.code).toMatch(/^(GROUP|MLS|DECODE|SENDERKEY|RATCHET|COORDINATOR|HYBRID)_/)
      expect(gc.epoch).toBe(before.epoch)
      expect(gc.epochAuthenticator()).toEqual(before.auth)
      expect(gc.members()).toEqual(before.members)
      await closeAll(Object.values(a))
    })
  })
}
