/**
 * The audit API under input of the wrong shape: events and entries with
 * fields of the wrong type (JSON, cast-away types), non-objects, signers,
 * storages and clocks that are not what they claim. Verification answers
 * `malformed`; everything else throws a TalosError with a stable code and
 * leaves the log as it was; nothing raises a TypeError or RangeError.
 */
import { describe, expect, it } from 'vitest'
import { epochChangedEvent, groupMessageEvent, memberAddedEvent } from '../../src/audit/events.js'
import { AuditLog, ed25519AuditSigner } from '../../src/audit/log.js'
import { MemoryAuditStorage } from '../../src/audit/storage.js'
import { verifyAuditLog, verifyAuditLogBytes } from '../../src/audit/verify.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import type { AuditEntry } from '../../src/proto/audit.js'
import { rejectedCode, thrownCode } from '../helpers/errors.js'

const ALICE = 'did:talos:alice'
const kp = ed25519.generateKeyPair()
const publicKeyOf = (did: string): Uint8Array | undefined => (did === ALICE ? kp.publicKey : undefined)
const groupId = new Uint8Array(8).fill(3)
const base = { groupId, sender: ALICE, epoch: 2 }
const cast = <T>(v: unknown): T => v as T

const codeOf = thrownCode
const asyncCodeOf = rejectedCode

async function twoEntries(): Promise<AuditEntry[]> {
  const log = await AuditLog.open(new MemoryAuditStorage(), ed25519AuditSigner(ALICE, kp.privateKey), { now: () => 5 })
  await log.append(epochChangedEvent(base))
  await log.append(memberAddedEvent({ ...base, member: 'did:talos:bob' }))
  return log.entries()
}

describe('event builders', () => {
  it.each([
    ['not an object', null],
    ['groupId a string', { ...base, groupId: 'abc' }],
    ['epoch a numeric string', { ...base, epoch: '2' }],
    ['epoch not a number', { ...base, epoch: 'x' }],
    ['epoch a fraction', { ...base, epoch: 1.5 }],
    ['sender a number', { ...base, sender: 5 }],
  ])('an event base with %s is AUDIT_INVALID_EVENT', (_, bad) => {
    expect(codeOf(() => epochChangedEvent(cast(bad)))).toBe('AUDIT_INVALID_EVENT')
  })

  it('a message event with recipients, content or content hash of the wrong type is AUDIT_INVALID_EVENT', () => {
    const ok = { ...base, recipients: [ALICE], content: new Uint8Array(1) }
    for (const bad of [
      { ...ok, recipients: undefined },
      { ...ok, recipients: 'did:talos:bob' },
      { ...ok, recipients: [5] },
      { ...ok, content: 'hello' },
      { ...base, recipients: [], contentHash: 'h'.repeat(32) },
    ]) {
      expect(codeOf(() => groupMessageEvent(cast(bad))), JSON.stringify(bad)).toBe('AUDIT_INVALID_EVENT')
    }
  })
})

describe('AuditLog', () => {
  it('refuses storages, signers and options of the wrong shape at open', async () => {
    const signer = ed25519AuditSigner(ALICE, kp.privateKey)
    const storage = new MemoryAuditStorage()
    expect(await asyncCodeOf(() => AuditLog.open(cast(null), signer))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(await asyncCodeOf(() => AuditLog.open(cast({ append: () => undefined }), signer))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(await asyncCodeOf(() => AuditLog.open(storage, cast(null)))).toBe('AUDIT_INVALID_SIGNER')
    expect(await asyncCodeOf(() => AuditLog.open(storage, cast({ did: ALICE, sign: 5 })))).toBe('AUDIT_INVALID_SIGNER')
    expect(await asyncCodeOf(() => AuditLog.open(storage, signer, cast({ now: 5 })))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(await asyncCodeOf(() => AuditLog.open(storage, signer, cast(null)))).toBe('AUDIT_INVALID_ARGUMENT')
    const junkStorage = { append: async () => undefined, readAll: async () => ['x'] }
    expect(await asyncCodeOf(() => AuditLog.open(cast(junkStorage), signer))).toBe('AUDIT_IO')
  })

  it('ed25519AuditSigner refuses a key that is not 32 bytes at once', () => {
    for (const bad of ['k'.repeat(32), undefined, new Uint8Array(31)]) {
      expect(codeOf(() => ed25519AuditSigner(ALICE, cast(bad)))).toBe('AUDIT_INVALID_SIGNER')
    }
  })

  it('append of a malformed event, under a broken clock or signer, throws and leaves the log as it was', async () => {
    const storage = new MemoryAuditStorage()
    const log = await AuditLog.open(storage, ed25519AuditSigner(ALICE, kp.privateKey))
    const good = epochChangedEvent(base)
    for (const bad of [null, {}, { ...good, recipients: undefined }, { ...good, groupId: 'abc' }, { ...good, epoch: 2 }, { ...good, member: 5 }]) {
      expect(await asyncCodeOf(() => log.append(cast(bad))), JSON.stringify(bad, (_, v: unknown) => String(v))).toBe(
        'AUDIT_INVALID_EVENT',
      )
    }
    for (const now of [() => NaN, () => Infinity, () => 'soon']) {
      const clocked = await AuditLog.open(storage, ed25519AuditSigner(ALICE, kp.privateKey), { now: cast(now) })
      expect(await asyncCodeOf(() => clocked.append(good))).toBe('AUDIT_INVALID_ARGUMENT')
    }
    const mute = await AuditLog.open(storage, cast({ did: ALICE, sign: () => 'signature' }))
    expect(await asyncCodeOf(() => mute.append(good))).toBe('AUDIT_INVALID_SIGNER')
    expect(storage.entries).toHaveLength(0)
    expect(log.head()).toBeUndefined()
    await log.append(good)
    expect(storage.entries).toHaveLength(1)
  })

  it('storages refuse entries that are not bytes', async () => {
    for (const bad of ['entry', [1, 2], undefined, new Uint8Array(0)]) {
      expect(await asyncCodeOf(() => new MemoryAuditStorage().append(cast(bad)))).toBe('AUDIT_INVALID_ENTRY')
    }
  })
})

describe('verification of entries of the wrong shape', () => {
  it('a junk entry anywhere is malformed at its index, never a crash', async () => {
    const entries = await twoEntries()
    expect(verifyAuditLog(entries, publicKeyOf)).toMatchObject({ ok: true, count: 2 })
    const json = JSON.parse(JSON.stringify(entries[0], (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    const junk: unknown[] = [null, 'entry', 5, {}, json, { ...entries[0], seq: 0 }, { ...entries[0], prevHash: 'p'.repeat(32) }]
    junk.push({ ...entries[0], event: { ...entries[0]!.event, recipients: 'x' } })
    junk.push({ ...entries[0], event: { ...entries[0]!.event, epoch: 2 } })
    for (const bad of junk) {
      expect(verifyAuditLog(cast([bad, entries[1]]), publicKeyOf)).toMatchObject({ ok: false, index: 0, reason: 'malformed' })
      expect(verifyAuditLog(cast([entries[0], bad]), publicKeyOf)).toMatchObject({ ok: false, index: 1, reason: 'malformed' })
    }
  })

  it('a junk successor does not break the lookahead of a bad signature', async () => {
    const entries = await twoEntries()
    const sig = entries[0]!.signature.slice()
    sig[0]! ^= 1
    const first = { ...entries[0]!, signature: sig }
    for (const next of [null, { seq: 1n, prevHash: 'p'.repeat(32) }]) {
      expect(verifyAuditLog(cast([first, next]), publicKeyOf)).toMatchObject({ ok: false, index: 0, reason: 'bad_signature' })
    }
  })

  it("the verifier's own arguments of the wrong shape are AUDIT_INVALID_ARGUMENT", async () => {
    const entries = await twoEntries()
    expect(codeOf(() => verifyAuditLog(cast(null), publicKeyOf))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(codeOf(() => verifyAuditLog(entries, cast(undefined)))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(codeOf(() => verifyAuditLog(entries, () => cast('k'.repeat(32))))).toBe('AUDIT_INVALID_ARGUMENT')
    for (const checkpoints of ['x', [null], [{ seq: 1, hash: new Uint8Array(32) }], [{ seq: 1n, hash: 'h' }]]) {
      expect(codeOf(() => verifyAuditLog(entries, publicKeyOf, cast({ checkpoints })))).toBe('AUDIT_INVALID_ARGUMENT')
    }
    expect(codeOf(() => verifyAuditLogBytes(cast(null), publicKeyOf))).toBe('AUDIT_INVALID_ARGUMENT')
    expect(verifyAuditLogBytes(cast(['not bytes']), publicKeyOf)).toMatchObject({ ok: false, index: 0, reason: 'malformed' })
  })
})
