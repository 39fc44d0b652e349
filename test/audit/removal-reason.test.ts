/**
 * MEMBER_REMOVED with a reason (an idle eviction, HYBRID.md §9): signed under
 * the v2 label with the reason in the signed bytes; entries without a reason
 * keep the v1 encoding byte for byte, so logs written before the field
 * existed still hash and verify.
 */
import { describe, expect, it } from 'vitest'
import { Writer } from '../../src/codec/tls.js'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { entryTbs } from '../../src/audit/canonical.js'
import { epochChangedEvent, memberRemovedEvent } from '../../src/audit/events.js'
import { AuditLog, ed25519AuditSigner } from '../../src/audit/log.js'
import { MemoryAuditStorage } from '../../src/audit/storage.js'
import { verifyAuditLog } from '../../src/audit/verify.js'
import { AuditEntry, RemovalReason, type AuditEvent } from '../../src/proto/audit.js'

const ALICE = 'did:talos:alice'
const alice = ed25519.generateKeyPair()
const publicKeyOf = (d: string): Uint8Array | undefined => (d === ALICE ? alice.publicKey : undefined)
const groupId = new Uint8Array(16).fill(3)
const utf8 = new TextEncoder()

/** AuditEntryTBS as v1 defined it (src/audit/canonical.ts before reasons existed). */
function v1Tbs(e: { seq: bigint; prevHash: Uint8Array; signer: string; event: AuditEvent }): Uint8Array {
  const v = e.event
  return new Writer()
    .opaque(utf8.encode('talos audit entry v1'))
    .u64(e.seq)
    .opaque(e.prevHash)
    .u8(v.type)
    .opaque(v.groupId)
    .opaque(utf8.encode(v.sender))
    .list(v.recipients, (x, r) => x.opaque(utf8.encode(r)))
    .opaque(v.contentHash)
    .u64(v.epoch)
    .opaque(utf8.encode(v.member))
    .u64(v.timestampMs)
    .opaque(utf8.encode(e.signer))
    .finish()
}

async function log(): Promise<AuditEntry[]> {
  let t = 1_700_000_000_000
  const l = await AuditLog.open(new MemoryAuditStorage(), ed25519AuditSigner(ALICE, alice.privateKey), { now: () => t++ })
  await l.append(memberRemovedEvent({ groupId, sender: ALICE, member: 'did:talos:bob', epoch: 2 }))
  await l.append(memberRemovedEvent({ groupId, sender: ALICE, member: 'did:talos:carol', epoch: 3, reason: RemovalReason.IDLE }))
  await l.append(epochChangedEvent({ groupId, sender: ALICE, epoch: 3 }))
  return l.entries()
}

describe('audit: MEMBER_REMOVED reason', () => {
  it('an entry without a reason is encoded exactly as v1; one with a reason under the v2 label, reason included', async () => {
    const entries = await log()
    const [plain, idle] = entries.map((e) => ({ ...e, event: e.event! }))
    expect(entryTbs(plain!)).toEqual(v1Tbs(plain!))
    const tbs = entryTbs(idle!)
    expect(tbs).not.toEqual(v1Tbs(idle!))
    expect(new TextDecoder().decode(tbs.subarray(1, 21))).toBe('talos audit entry v2')
    expect(idle!.event.reason).toBe(RemovalReason.IDLE)
    // The stored entry round-trips with its reason.
    expect(decodeProto(AuditEntry, encodeProto(AuditEntry, entries[1]!)).event!.reason).toBe(RemovalReason.IDLE)
    expect(verifyAuditLog(entries, publicKeyOf)).toMatchObject({ ok: true, count: 3 })
  })

  it('a reason is signed: dropping or adding one is an altered entry', async () => {
    const entries = await log()
    const dropped = { ...entries[1]!, event: { ...entries[1]!.event!, reason: RemovalReason.REMOVAL_REASON_UNSPECIFIED } }
    expect(verifyAuditLog([entries[0]!, dropped, entries[2]!], publicKeyOf)).toMatchObject({ ok: false, index: 1, reason: 'altered' })
    const added = { ...entries[0]!, event: { ...entries[0]!.event!, reason: RemovalReason.IDLE } }
    expect(verifyAuditLog([added, ...entries.slice(1)], publicKeyOf)).toMatchObject({ ok: false, index: 0, reason: 'altered' })
  })

  it('a reason on another event type, or an unknown reason, is AUDIT_INVALID_EVENT', async () => {
    const entries = await log()
    const onEpoch = { ...entries[2]!, event: { ...entries[2]!.event!, reason: RemovalReason.IDLE } }
    expect(verifyAuditLog([...entries.slice(0, 2), onEpoch], publicKeyOf)).toMatchObject({ ok: false, index: 2, reason: 'malformed' })
    expect(() => memberRemovedEvent({ groupId, sender: ALICE, member: 'did:talos:bob', epoch: 1, reason: 7 as RemovalReason })).toThrow(
      expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }),
    )
  })
})
