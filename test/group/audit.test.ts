/**
 * Client-level audit: every send and every membership change appends a
 * signed, hash-chained entry; tampering with the client's stored log is
 * detected (altered entry, truncation against a checkpoint) and a restarted
 * client refuses to extend a broken chain.
 */
import { describe, expect, it } from 'vitest'
import { Client } from '../../src/group/index.js'
import { AuditEntry, AuditEventType, verifyAuditLog } from '../../src/audit/index.js'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { sha256 } from '../../src/crypto/sodium.js'
import { token } from '../../src/group/util.js'
import { agents, closeAll, did, enc } from './helpers.js'

describe('audit trail through the client', () => {
  it('records sends, adds, removes and epoch changes; tampering is detected', async () => {
    const { delivery, agents: a } = await agents(['alice', 'bob', 'carol'])
    const alice = a.alice!.client
    const g = await alice.createGroup({ name: 'g', members: [did('bob')], protocol: 'hybrid' })
    const gb = await a.bob!.client.waitForGroup(g.id)
    const text = enc('audited message')
    await g.send(text)
    await g.addMember(did('carol'))
    await g.removeMember(did('carol'))

    const entries = await alice.auditEntries()
    const types = entries.map((e) => AuditEventType[e.event!.type])
    expect(types).toEqual([
      'MEMBER_ADDED', // bob, by alice's first commit
      'EPOCH_CHANGED',
      'GROUP_MESSAGE',
      'MEMBER_ADDED', // carol
      'EPOCH_CHANGED',
      'MEMBER_REMOVED', // carol
      'EPOCH_CHANGED',
    ])
    const msg = entries[2]!.event!
    expect(msg.sender).toBe(did('alice'))
    expect(msg.recipients).toEqual([did('bob')])
    expect(msg.contentHash).toEqual(sha256(text))
    expect(msg.epoch).toBe(1n)
    expect(Buffer.from(msg.groupId).toString('hex')).toBe(g.id)
    expect(entries[5]!.event!.member).toBe(did('carol'))
    // bob's log has the membership changes he saw, signed by bob
    const bobTypes = (await a.bob!.client.auditEntries()).map((e) => AuditEventType[e.event!.type])
    expect(bobTypes).toContain('MEMBER_REMOVED')
    expect(await gb.sync()).toBeUndefined()

    const ok = await alice.verifyAudit()
    expect(ok).toMatchObject({ ok: true, count: 7 })
    const head = alice.auditHead()!
    // anyone holding alice's public key can verify it
    expect(verifyAuditLog(entries, (d) => (d === did('alice') ? alice.publicKey : undefined)).ok).toBe(true)

    // Tamper: change the recipients of the GROUP_MESSAGE entry in alice's store.
    const store = a.alice!.store
    const keys = await store.list(`c/${token(did('alice'))}/a/`)
    expect(keys.length).toBe(7)
    const cur = (await store.get(keys[2]!))!
    const e = decodeProto(AuditEntry, cur.bytes)
    e.event!.recipients = [did('mallory')]
    await store.put(keys[2]!, encodeProto(AuditEntry, e), cur.version)
    expect(await alice.verifyAudit()).toMatchObject({ ok: false, index: 2, reason: 'altered' })
    await store.put(keys[2]!, cur.bytes, cur.version + 1)
    expect((await alice.verifyAudit()).ok).toBe(true)

    // Truncation: drop the newest entry; only the checkpoint (head) reveals it.
    const last = (await store.get(keys[6]!))!
    await store.delete(keys[6]!, last.version)
    expect((await alice.verifyAudit()).ok).toBe(true)
    expect(await alice.verifyAudit([head])).toMatchObject({ ok: false, reason: 'removed' })

    // A restarted client refuses to extend a chain whose links are broken.
    await alice.close()
    const mid = (await store.get(keys[3]!))!
    const m = decodeProto(AuditEntry, mid.bytes)
    m.prevHash = new Uint8Array(32)
    await store.put(keys[3]!, encodeProto(AuditEntry, m), mid.version)
    await expect(Client.create({ did: did('alice'), delivery, store })).rejects.toMatchObject({ code: 'AUDIT_CORRUPT' })
    await closeAll([a.bob!, a.carol!])
  })
})
