/**
 * HybridFrame / HybridMessage decoding and the structural checks of HYBRID.md
 * §4 that need no key (and so come before any derivation):
 *
 *   version = 1; type DATA or DATA_REKEY; reuse_guard 4 bytes;
 *   DATA:       no rekey entries, pn = 0;
 *   DATA_REKEY: step >= 1, n = 0, copath or pairwise entries (not both),
 *               at most members - 1 of them;
 *   every length bounded (HPKE outputs, announced keys, the frame itself).
 *
 * A frame of the earlier layout (entries wrapped in field 7, now reserved)
 * decodes with field 7 skipped: a DATA_REKEY without entries, which no tree
 * with another member prescribes, so findCopathEntry refuses it before any
 * HPKE or derivation.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import {
  HybridFrame,
  HybridMessageType,
  type HybridCopathEntry,
  type HybridMessage,
  type HybridPairwiseEntry,
  type HybridRekeyMissing,
} from '../proto/hybrid.js'
import { hybridError } from './errors.js'
import { encodeMessageFrame, layoutDataFrame } from './frame-writer.js'

export const HYBRID_VERSION = 1
export const REUSE_GUARD_BYTES = 4
/** Bounds on HPKE outputs and public keys: P-521's 133-byte points are the largest of the MLS suites. */
const MAX_KEM_OUTPUT = 133
const MAX_HPKE_CIPHERTEXT = 64 + 16
const MAX_PUBLIC_KEY = 133
/** The tag of every MLS suite's AEAD. */
export const AEAD_TAG_BYTES = 16

export type DecodedFrame =
  | { readonly kind: 'message'; readonly message: HybridMessage }
  | { readonly kind: 'rekey-missing'; readonly request: HybridRekeyMissing }

/**
 * `copy = false` (the session's own use): a DATA message's byte fields may be
 * views into `bytes`, which the caller must then leave alone while the
 * message is processed (synchronously, for DATA).
 */
export function decodeFrame(bytes: Uint8Array, maxBytes: number, copy = true): DecodedFrame {
  if (bytes instanceof Uint8Array && bytes.length <= maxBytes) {
    const fast = decodeDataFrame(bytes, copy)
    if (fast !== undefined) return { kind: 'message', message: fast }
  }
  let f: HybridFrame
  try {
    f = decodeProto(HybridFrame, bytes, { maxBytes, maxDepth: 8 })
  } catch (e) {
    if (e instanceof TalosError && e.code === 'DECODE_PROTOBUF') throw hybridError('HYBRID_MALFORMED', e.message, e)
    throw e
  }
  const b = f.body
  if (b === undefined) throw hybridError('HYBRID_MALFORMED', 'empty hybrid frame')
  if (b.case === 'message') return { kind: 'message', message: b.value }
  return { kind: 'rekey-missing', request: b.value }
}

export { encodeMessageFrame }

export function encodeRekeyMissingFrame(r: HybridRekeyMissing): Uint8Array {
  return encodeProto(HybridFrame, { body: { case: 'rekeyMissing', value: r } })
}

/** Structural checks; throws HYBRID_* and never derives anything. */
export function checkMessage(m: HybridMessage, memberCount: number): void {
  if (m.version !== HYBRID_VERSION) throw hybridError('HYBRID_UNSUPPORTED_VERSION', `hybrid message version ${m.version}`)
  if (m.reuseGuard.length !== REUSE_GUARD_BYTES) throw hybridError('HYBRID_MALFORMED', 'reuse_guard must be 4 bytes')
  if (m.ciphertext.length < AEAD_TAG_BYTES) throw hybridError('HYBRID_MALFORMED', 'ciphertext shorter than an AEAD tag')
  if (m.type === HybridMessageType.DATA) {
    if (m.copath.length !== 0 || m.pairwise.length !== 0) throw hybridError('HYBRID_MALFORMED', 'a DATA message carries no rekey entries')
    if (m.pn !== 0) throw hybridError('HYBRID_MALFORMED', 'pn is only set on DATA_REKEY')
  } else if (m.type === HybridMessageType.DATA_REKEY) checkRekey(m, memberCount)
  else throw hybridError('HYBRID_MALFORMED', `unknown hybrid message type ${String(m.type)}`)
  if (m.announcement !== undefined) checkAnnouncement(m.announcement)
}

function checkRekey(m: HybridMessage, memberCount: number): void {
  if (m.n !== 0 || m.step === 0) throw hybridError('HYBRID_MALFORMED', 'a DATA_REKEY message starts a chain: step >= 1, n = 0')
  if (m.copath.length !== 0 && m.pairwise.length !== 0) throw hybridError('HYBRID_MALFORMED', 'a DATA_REKEY message has copath and pairwise entries')
  const entries: readonly (HybridCopathEntry | HybridPairwiseEntry)[] = m.pairwise.length !== 0 ? m.pairwise : m.copath
  // §6: more entries than members - 1 is refused outright.
  if (entries.length > Math.max(0, memberCount - 1)) {
    throw hybridError('HYBRID_BLOB_TOO_LARGE', `rekey blob of ${entries.length} entries in a group of ${memberCount}`)
  }
  for (const e of entries) {
    if (e.kemOutput.length === 0 || e.kemOutput.length > MAX_KEM_OUTPUT || e.ciphertext.length === 0 || e.ciphertext.length > MAX_HPKE_CIPHERTEXT) {
      throw hybridError('HYBRID_MALFORMED', 'rekey entry with an impossible HPKE output length')
    }
  }
}

function checkAnnouncement(a: NonNullable<HybridMessage['announcement']>): void {
  if (a.version === 0 || a.publicKey.length === 0 || a.publicKey.length > MAX_PUBLIC_KEY) {
    throw hybridError('HYBRID_MALFORMED', 'invalid receive-key announcement')
  }
}

/**
 * The frame of a plain DATA message (no rekey, no announcement): the bytes
 * encodeProto writes for the same HybridFrame (frame-writer.ts).
 */
export function encodeDataFrame(step: number, n: number, reuseGuard: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { frame, ciphertextOffset } = layoutDataFrame(step, n, reuseGuard, ciphertext.length)
  frame.set(ciphertext, ciphertextOffset)
  return frame
}

// The fast path's empty entry lists, shared (frozen: a push would throw, not leak into the next message).
const NO_COPATH = Object.freeze([]) as unknown as HybridCopathEntry[]
const NO_PAIRWISE = Object.freeze([]) as unknown as HybridPairwiseEntry[]

/** A minimal (canonical) varint at `pos` of at most uint32 range: [value, next pos], or undefined. */
function readVarint32(b: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let v = 0
  let mul = 1
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return undefined
    const x = b[pos++]!
    v += (x & 0x7f) * mul
    if ((x & 0x80) === 0) {
      // Not minimal (a trailing zero group), or beyond uint32: left to the generic decoder.
      if ((x === 0 && i > 0) || v > 0xffffffff) return undefined
      return [v, pos]
    }
    mul *= 128
  }
  return undefined
}

/**
 * The inverse of encodeDataFrame, for the per-message hot path: accepts
 * exactly the canonical bytes of a HybridFrame holding a DATA message with
 * version 1, no pn, rekey entries or announcement, and non-empty reuse_guard and
 * ciphertext; returns undefined for anything else, which then goes to the
 * generic Protobuf decoder. The result equals that decoder's (fresh copies
 * of the byte fields unless `copy` is false, absent fields at their proto3
 * defaults).
 */
export function decodeDataFrame(b: Uint8Array, copy = true): HybridMessage | undefined {
  const end = b.length
  if (end < 12 || b[0] !== 0x0a) return undefined
  let r = readVarint32(b, 1, end)
  if (r === undefined || r[1] + r[0] !== end) return undefined
  let p = r[1]
  if (b[p] !== 0x08 || b[p + 1] !== HYBRID_VERSION || b[p + 2] !== 0x10 || b[p + 3] !== HybridMessageType.DATA) return undefined
  p += 4
  let step = 0
  let n = 0
  if (b[p] === 0x18) {
    r = readVarint32(b, p + 1, end)
    if (r === undefined || r[0] === 0) return undefined
    step = r[0]
    p = r[1]
  }
  if (b[p] === 0x20) {
    r = readVarint32(b, p + 1, end)
    if (r === undefined || r[0] === 0) return undefined
    n = r[0]
    p = r[1]
  }
  if (b[p] !== 0x32) return undefined
  r = readVarint32(b, p + 1, end)
  if (r === undefined || r[0] === 0 || r[1] + r[0] > end) return undefined
  const reuseGuard = copy ? new Uint8Array(b.subarray(r[1], r[1] + r[0])) : b.subarray(r[1], r[1] + r[0])
  p = r[1] + r[0]
  if (b[p] !== 0x4a) return undefined
  r = readVarint32(b, p + 1, end)
  if (r === undefined || r[0] === 0 || r[1] + r[0] !== end) return undefined
  const ciphertext = copy ? new Uint8Array(b.subarray(r[1], end)) : b.subarray(r[1], end)
  return { version: HYBRID_VERSION, type: HybridMessageType.DATA, step, n, pn: 0, reuseGuard, announcement: undefined, ciphertext, copath: NO_COPATH, pairwise: NO_PAIRWISE }
}
