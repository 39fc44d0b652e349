/**
 * The audit log: appends every event type, survives a restart, and the
 * verifier finds each kind of tampering at the right entry — removed,
 * reordered, altered (with and without re-signing), bad signature.
 */
import { mkdtempSync, rmSync, appendFileSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { entryHash, entryTbs } from '../../src/audit/canonical.js'
import { epochChangedEvent, groupMessageEvent, memberAddedEvent, memberRemovedEvent } from '../../src/audit/events.js'
import { AuditLog, ed25519AuditSigner } from '../../src/audit/log.js'
import { FileAuditStorage, MemoryAuditStorage } from '../../src/audit/storage.js'
import { verifyAuditLog, verifyAuditLogBytes, type AuditCheckpoint } from '../../src/audit/verify.js'
import { AuditEntry, AuditEventType } from '../../src/proto/audit.js'

const ALICE = 'did:talos:alice'
const MALLORY = 'did:talos:mallory'
const alice = ed25519.generateKeyPair()
const mallory = ed25519.generateKeyPair()
const keys = new Map([
  [ALICE, alice.publicKey],
  [MALLORY, mallory.publicKey],
])
const publicKeyOf = (did: string): Uint8Array | undefined => keys.get(did)
const groupId = new Uint8Array(16).fill(7)
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

let clock = 1_700_000_000_000
const now = (): number => clock++

/** A six-entry log covering every event type; returns the entries and the head. */
async function sampleLog(): Promise<{ entries: AuditEntry[]; head: AuditCheckpoint; storage: MemoryAuditStorage }> {
  const storage = new MemoryAuditStorage()
  const log = await AuditLog.open(storage, ed25519AuditSigner(ALICE, alice.privateKey), { now })
  await log.append(memberAddedEvent({ groupId, sender: ALICE, member: 'did:talos:bob', epoch: 1 }))
  await log.append(epochChangedEvent({ groupId, sender: ALICE, epoch: 1 }))
  await log.append(groupMessageEvent({ groupId, sender: ALICE, recipients: ['did:talos:bob'], content: enc('hi bob'), epoch: 1 }))
  await log.append(memberAddedEvent({ groupId, sender: ALICE, member: 'did:talos:carol', epoch: 2 }))
  await log.append(groupMessageEvent({ groupId, sender: ALICE, recipients: ['did:talos:bob', 'did:talos:carol'], content: enc('hi all'), epoch: 2 }))
  const { head } = await log.append(memberRemovedEvent({ groupId, sender: ALICE, member: 'did:talos:bob', epoch: 3 }))
  return { entries: await log.entries(), head, storage }
}

function resign(e: AuditEntry, privateKey: Uint8Array): AuditEntry {
  return { ...e, signature: ed25519.sign(privateKey, entryTbs({ ...e, event: e.event! })) }
}

describe('AuditLog', () => {
  it('appends a signed, chained entry for every event type and verifies', async () => {
    const { entries, head } = await sampleLog()
    expect(entries.map((e) => e.event!.type)).toEqual([
      AuditEventType.MEMBER_ADDED,
      AuditEventType.EPOCH_CHANGED,
      AuditEventType.GROUP_MESSAGE,
      AuditEventType.MEMBER_ADDED,
      AuditEventType.GROUP_MESSAGE,
      AuditEventType.MEMBER_REMOVED,
    ])
    expect(entries.map((e) => e.seq)).toEqual([0n, 1n, 2n, 3n, 4n, 5n])
    expect(entries[2]!.event!.contentHash).toHaveLength(32)
    expect(entries[0]!.prevHash).toEqual(new Uint8Array(32))
    expect(entries[1]!.prevHash).toEqual(entryHash({ ...entries[0]!, event: entries[0]!.event! }))
    const v = verifyAuditLog(entries, publicKeyOf, { checkpoints: [head] })
    expect(v).toEqual({ ok: true, count: 6, head })
  })

  it('refuses events whose fields do not fit their type', () => {
    expect(() => groupMessageEvent({ groupId, sender: ALICE, recipients: [], contentHash: new Uint8Array(3), epoch: 1 })).toThrow(
      expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }),
    )
    expect(() => memberAddedEvent({ groupId, sender: ALICE, member: 'bob', epoch: 1 })).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }))
    expect(() => epochChangedEvent({ groupId: new Uint8Array(0), sender: ALICE, epoch: 1 })).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }))
    expect(() => epochChangedEvent({ groupId, sender: 'alice', epoch: 1 })).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }))
    expect(() => groupMessageEvent({ groupId, sender: ALICE, recipients: ['x'], content: enc('m'), epoch: 1 })).toThrow(
      expect.objectContaining({ code: 'AUDIT_INVALID_EVENT' }),
    )
  })

  it('hashes the canonical encoding, not the Protobuf bytes: a re-encoded entry (unknown field added) still verifies', async () => {
    const { storage } = await sampleLog()
    const reencoded = storage.entries.map((b) => {
      const out = new Uint8Array(b.length + 3)
      out.set(b)
      out.set([0xf8, 0x07, 0x01], b.length) // field 127, varint 1: unknown, skipped
      return out
    })
    expect(verifyAuditLogBytes(reencoded, publicKeyOf).ok).toBe(true)
  })
})

describe('verifyAuditLog detects tampering', () => {
  let entries: AuditEntry[]
  let head: AuditCheckpoint
  beforeAll(async () => {
    ;({ entries, head } = await sampleLog())
  })

  const expectFailure = (log: AuditEntry[], index: number, reason: string, checkpoints: AuditCheckpoint[] = []): void => {
    const v = verifyAuditLog(log, publicKeyOf, { checkpoints })
    expect(v).toMatchObject({ ok: false, index, reason })
  }

  it('a removed entry in the middle, and the first one', () => {
    expectFailure([...entries.slice(0, 2), ...entries.slice(3)], 2, 'removed')
    expectFailure(entries.slice(1), 0, 'removed')
  })

  it('a removed tail: invisible to the chain alone, caught against the head checkpoint', () => {
    // Honest limit of any hash chain: a truncated log is a valid shorter log.
    expect(verifyAuditLog(entries.slice(0, 4), publicKeyOf).ok).toBe(true)
    expectFailure(entries.slice(0, 4), 4, 'removed', [head])
  })

  it('reordered entries, and a replayed duplicate', () => {
    expectFailure([entries[0]!, entries[2]!, entries[1]!, ...entries.slice(3)], 1, 'reordered')
    expectFailure([...entries.slice(0, 4), entries[2]!, ...entries.slice(4)], 4, 'reordered')
  })

  it('an altered entry (content changed, signature kept)', () => {
    const e = entries[2]!
    const altered = { ...e, event: { ...e.event!, recipients: ['did:talos:eve'] } }
    expectFailure([...entries.slice(0, 2), altered, ...entries.slice(3)], 2, 'altered')
    const changedLink = { ...entries[3]!, prevHash: new Uint8Array(32).fill(1) }
    expectFailure([...entries.slice(0, 3), changedLink, ...entries.slice(4)], 3, 'altered')
  })

  it('an altered entry re-signed by its own signer (an insider rewriting history)', () => {
    const e = entries[4]!
    const rewritten = resign({ ...e, event: { ...e.event!, contentHash: new Uint8Array(32).fill(9) } }, alice.privateKey)
    expectFailure([...entries.slice(0, 4), rewritten, entries[5]!], 4, 'altered')
    // The newest entry has no successor: only a checkpoint catches its rewrite.
    const last = resign({ ...entries[5]!, event: { ...entries[5]!.event!, member: 'did:talos:carol' } }, alice.privateKey)
    expect(verifyAuditLog([...entries.slice(0, 5), last], publicKeyOf).ok).toBe(true)
    expectFailure([...entries.slice(0, 5), last], 5, 'altered', [head])
  })

  it('an entry passed off as another signer (re-signed with their key)', () => {
    const forged = resign({ ...entries[1]!, signer: MALLORY }, mallory.privateKey)
    expectFailure([entries[0]!, forged, ...entries.slice(2)], 1, 'altered')
  })

  it('a bad signature over unchanged content', () => {
    const sig = entries[3]!.signature.slice()
    sig[10] ^= 0x40
    expectFailure([...entries.slice(0, 3), { ...entries[3]!, signature: sig }, ...entries.slice(4)], 3, 'bad_signature')
    const other = ed25519.sign(mallory.privateKey, entryTbs({ ...entries[5]!, event: entries[5]!.event! }))
    expectFailure([...entries.slice(0, 5), { ...entries[5]!, signature: other }], 5, 'bad_signature')
  })

  it('an unknown signer, and malformed entries', () => {
    expect(verifyAuditLog(entries, () => undefined)).toMatchObject({ ok: false, index: 0, reason: 'unknown_signer' })
    const bytes = entries.map((e) => encodeProto(AuditEntry, e))
    bytes[2] = bytes[2]!.subarray(0, 10)
    expect(verifyAuditLogBytes(bytes, publicKeyOf)).toMatchObject({ ok: false, index: 2, reason: 'malformed' })
    const shortSig = { ...entries[1]!, signature: new Uint8Array(10) }
    expectFailure([entries[0]!, shortSig], 1, 'malformed')
  })
})

describe('FileAuditStorage', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const file = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'talos-audit-'))
    dirs.push(d)
    return join(d, 'audit.log')
  }

  it('continues the chain after a restart, and cuts off an append torn by a crash', async () => {
    const path = file()
    const signer = ed25519AuditSigner(ALICE, alice.privateKey)
    let storage = await FileAuditStorage.open(path)
    let log = await AuditLog.open(storage, signer, { now })
    for (let epoch = 1; epoch <= 3; epoch++) await log.append(epochChangedEvent({ groupId, sender: ALICE, epoch }))
    await storage.close()
    // The process died in the middle of the 4th append: a length prefix and part of the body.
    const whole = readFileSync(path).length
    appendFileSync(path, Buffer.from([0, 0, 0, 200, 1, 2, 3]))
    storage = await FileAuditStorage.open(path)
    // Cut off, but kept: the tail is in a side file and reported.
    expect(storage.recovered).toMatchObject({ offset: whole, bytes: 7 })
    expect([...readFileSync(storage.recovered!.savedTo)]).toEqual([0, 0, 0, 200, 1, 2, 3])
    expect(readFileSync(path).length).toBe(whole)
    log = await AuditLog.open(storage, signer, { now })
    expect(log.head()!.seq).toBe(2n)
    const { head } = await log.append(epochChangedEvent({ groupId, sender: ALICE, epoch: 4 }))
    expect(head.seq).toBe(3n)
    expect(verifyAuditLog(await log.entries(), publicKeyOf, { checkpoints: [head] }).ok).toBe(true)
    await storage.close()
  })

  it('keeps the entries behind a length prefix that points past the end (it reads as a torn append)', async () => {
    const path = file()
    let storage = await FileAuditStorage.open(path)
    const log = await AuditLog.open(storage, ed25519AuditSigner(ALICE, alice.privateKey), { now })
    for (let epoch = 1; epoch <= 3; epoch++) await log.append(epochChangedEvent({ groupId, sender: ALICE, epoch }))
    await storage.close()
    const bytes = readFileSync(path)
    const corrupt = Buffer.from(bytes)
    corrupt.writeUInt32BE(bytes.length, 0) // the first record now claims more than the file holds
    writeFileSync(path, corrupt)
    storage = await FileAuditStorage.open(path)
    expect(await storage.readAll()).toEqual([])
    // Nothing is lost: every byte that was cut off, the two intact entries included, is in the side file.
    expect(storage.recovered).toMatchObject({ offset: 0, bytes: bytes.length })
    expect(Buffer.compare(readFileSync(storage.recovered!.savedTo), corrupt)).toBe(0)
    await storage.close()
    // A second open finds a clean (empty) log and saves nothing.
    storage = await FileAuditStorage.open(path)
    expect(storage.recovered).toBeUndefined()
    await storage.close()
  })

  it('refuses a file corrupted in the middle instead of cutting it, and a log whose chain is broken', async () => {
    const path = file()
    const storage = await FileAuditStorage.open(path)
    const log = await AuditLog.open(storage, ed25519AuditSigner(ALICE, alice.privateKey), { now })
    for (let epoch = 1; epoch <= 3; epoch++) await log.append(epochChangedEvent({ groupId, sender: ALICE, epoch }))
    await storage.close()
    const bytes = readFileSync(path)
    const corrupt = Buffer.from(bytes)
    corrupt.writeUInt32BE(0xffffff, 0)
    writeFileSync(path, corrupt)
    await expect(FileAuditStorage.open(path)).rejects.toMatchObject({ code: 'AUDIT_CORRUPT' })
    expect(readFileSync(path).length).toBe(bytes.length)

    const tampered = new MemoryAuditStorage()
    const { storage: good } = await sampleLog()
    tampered.entries.push(good.entries[0]!, good.entries[2]!)
    await expect(AuditLog.open(tampered, ed25519AuditSigner(ALICE, alice.privateKey))).rejects.toMatchObject({
      code: 'AUDIT_CORRUPT',
    })
  })
})

describe('MemoryAuditStorage copies', () => {
  it('keeps a real copy of an appended Node Buffer (Buffer#slice is a view)', async () => {
    const storage = new MemoryAuditStorage()
    const buf = Buffer.from([4, 5, 6])
    await storage.append(buf)
    buf.fill(0)
    expect((await storage.readAll()).map((e) => [...e])).toEqual([[4, 5, 6]])
  })
})
