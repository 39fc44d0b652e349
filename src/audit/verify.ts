/**
 * verifyAuditLog: checks a whole log, or a prefix of one, and names the
 * first entry that cannot be trusted and why:
 *
 *   removed        an entry is missing (seq jumps and the missing one is
 *                  nowhere later; or a checkpoint lies past the end)
 *   reordered      entries are out of order, or one appears twice
 *   altered        an entry's content differs from what its successor (or a
 *                  checkpoint) chained to: changed after the fact, whether
 *                  or not someone re-signed it
 *   bad_signature  the signature does not verify and nothing shows the
 *                  content changed (a forged or damaged signature)
 *   unknown_signer no public key for the signer's DID
 *   malformed      an entry that is not well-formed at all
 *
 * The hash chain makes any change to an entry visible at its successor. The
 * newest entries have no successor, and a signer who rewrites its own log
 * and re-signs everything produces a valid chain; both are caught only
 * against checkpoints, i.e. (seq, hash) pairs of this log that someone else
 * kept (the head reported by AuditLog.append, published or countersigned).
 *
 * Pure: no I/O, no clock; the same input always gives the same answer.
 * Entries of any shape are at worst `malformed`. Only the verifier's own
 * arguments throw: entries that are not an array, a publicKeyOf that is not
 * a function or answers with something other than bytes, checkpoints that
 * are not (bigint, Uint8Array) pairs are TalosError AUDIT_INVALID_ARGUMENT.
 */
import { constantTimeEqual } from '../crypto/sodium.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { decodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import { AuditEntry } from '../proto/audit.js'
import { entryHash, entryProblem, entryTbs, GENESIS_HASH } from './canonical.js'

/** Largest encoded entry (5000 recipients of 256-character DIDs fit). */
export const MAX_ENTRY_BYTES = 2 * 1024 * 1024

export type AuditFailure = 'removed' | 'reordered' | 'altered' | 'bad_signature' | 'unknown_signer' | 'malformed'

export interface AuditCheckpoint {
  readonly seq: bigint
  readonly hash: Uint8Array
}

export type AuditVerification =
  | { readonly ok: true; readonly count: number; readonly head: AuditCheckpoint | undefined }
  | { readonly ok: false; readonly index: number; readonly reason: AuditFailure; readonly message: string }

export interface VerifyAuditOptions {
  /** Known (seq, hash) pairs of this log; the latest known head catches truncation and rewrites. */
  readonly checkpoints?: readonly AuditCheckpoint[]
}

/** Ed25519 public key of a signer, or undefined if unknown. */
export type PublicKeyOf = (did: string) => Uint8Array | undefined

const invalidArgument = (why: string): TalosError => new TalosError('AUDIT_INVALID_ARGUMENT', why)

function checkpointMap(options: VerifyAuditOptions): Map<bigint, Uint8Array> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options is not an object')
  const list: unknown = options.checkpoints ?? []
  if (!Array.isArray(list)) throw invalidArgument('checkpoints is not an array')
  const checkpoints = new Map<bigint, Uint8Array>()
  for (const c of list as unknown[]) {
    const { seq, hash } = (typeof c === 'object' && c !== null ? c : {}) as { seq?: unknown; hash?: unknown }
    if (typeof seq !== 'bigint' || !(hash instanceof Uint8Array)) throw invalidArgument('a checkpoint is not a (bigint seq, Uint8Array hash) pair')
    checkpoints.set(seq, hash)
  }
  return checkpoints
}

function keyOf(publicKeyOf: PublicKeyOf, did: string): Uint8Array | undefined {
  const key: unknown = publicKeyOf(did)
  if (key === undefined || key instanceof Uint8Array) return key
  throw invalidArgument(`publicKeyOf returned ${typeof key}, not a Uint8Array or undefined`)
}

/** The seq of a not yet checked entry, if it has one: lookahead must not trip over junk. */
const seqOf = (x: unknown): unknown => (typeof x === 'object' && x !== null ? (x as { seq?: unknown }).seq : undefined)

const fail = (index: number, reason: AuditFailure, message: string): AuditVerification => ({
  ok: false,
  index,
  reason,
  message,
})

export function verifyAuditLog(
  entries: readonly AuditEntry[],
  publicKeyOf: PublicKeyOf,
  options: VerifyAuditOptions = {},
): AuditVerification {
  if (!Array.isArray(entries)) throw invalidArgument('entries is not an array')
  if (typeof publicKeyOf !== 'function') throw invalidArgument('publicKeyOf is not a function')
  const checkpoints = checkpointMap(options)
  let prevHash = GENESIS_HASH
  let head: AuditCheckpoint | undefined
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const expectedSeq = BigInt(i)
    const problem = entryProblem(e)
    if (problem !== undefined) return fail(i, 'malformed', problem)
    if (e.seq !== expectedSeq) {
      if (e.seq < expectedSeq) return fail(i, 'reordered', `seq ${e.seq} appears again at position ${i}`)
      const later = entries.slice(i + 1).some((x) => seqOf(x) === expectedSeq)
      return later
        ? fail(i, 'reordered', `seq ${e.seq} comes before seq ${expectedSeq}`)
        : fail(i, 'removed', `seq ${expectedSeq} is missing (found ${e.seq})`)
    }
    const key = keyOf(publicKeyOf, e.signer)
    if (key === undefined) return fail(i, 'unknown_signer', `no public key for ${e.signer}`)
    const hash = entryHash({ ...e, event: e.event! })
    const signed = ed25519.verify(key, entryTbs({ ...e, event: e.event! }), e.signature)
    if (!constantTimeEqual(e.prevHash, prevHash)) {
      // Either this entry's link was changed after signing, or the previous entry (whose signature
      // verified) is not the one this entry chained to.
      if (!signed || i === 0) return fail(i, 'altered', `entry ${i} does not chain to the entry before it`)
      return fail(i - 1, 'altered', `entry ${i - 1} differs from what entry ${i} chained to`)
    }
    if (!signed) {
      const next: unknown = entries[i + 1]
      const nextLink = seqOf(next) === e.seq + 1n ? (next as { prevHash?: unknown }).prevHash : undefined
      const pinned = nextLink instanceof Uint8Array ? nextLink : checkpoints.get(e.seq)
      const contentChanged = pinned !== undefined && pinned.length === hash.length && !constantTimeEqual(pinned, hash)
      return contentChanged
        ? fail(i, 'altered', `entry ${i} was changed after it was signed`)
        : fail(i, 'bad_signature', `signature of entry ${i} does not verify`)
    }
    const pinned = checkpoints.get(e.seq)
    if (pinned !== undefined && !constantTimeEqual(pinned, hash)) {
      return fail(i, 'altered', `entry ${i} does not match the checkpoint for seq ${e.seq}`)
    }
    prevHash = hash
    head = { seq: e.seq, hash }
  }
  const beyond = [...checkpoints.keys()].filter((s) => s >= BigInt(entries.length))
  if (beyond.length > 0) {
    return fail(entries.length, 'removed', `the log ends at ${entries.length} entries but a checkpoint names seq ${beyond[0]}`)
  }
  return { ok: true, count: entries.length, head }
}

/** As verifyAuditLog, from stored Protobuf bytes; an undecodable entry is `malformed`. */
export function verifyAuditLogBytes(
  entries: readonly Uint8Array[],
  publicKeyOf: PublicKeyOf,
  options: VerifyAuditOptions = {},
): AuditVerification {
  if (!Array.isArray(entries)) throw invalidArgument('entries is not an array')
  const decoded: AuditEntry[] = []
  for (let i = 0; i < entries.length; i++) {
    try {
      decoded.push(decodeProto(AuditEntry, entries[i]!, { maxBytes: MAX_ENTRY_BYTES }))
    } catch (e) {
      return fail(i, 'malformed', e instanceof Error ? e.message : String(e))
    }
  }
  return verifyAuditLog(decoded, publicKeyOf, options)
}
