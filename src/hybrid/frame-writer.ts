/**
 * HybridFrame { message: HybridMessage } (proto/hybrid.proto, HYBRID.md §4)
 * written directly into one buffer of its exact size, instead of through
 * protobufjs' Writer (a fork/ldelim list per nested message, then a copy of
 * every chunk): the frame of a copath rekey at n = 1024 took ~8 µs that way.
 *
 * The bytes are exactly those the generated encoder (src/proto/hybrid.ts)
 * writes for the same message: fields in field-number order, proto3 zero
 * values (0, empty bytes) omitted, nested messages as length-delimited
 * fields even when empty, enum values as varints, every length and uint32 a
 * minimal varint. test/hybrid/frame-writer.test.ts compares the two on random
 * messages. Like the generated encoder, ill-typed values (a number outside
 * uint32, an undeclared enum value, bytes that are not a Uint8Array) are
 * TalosError DECODE_INVALID_VALUE; so is an entry list that is not an array.
 *
 * `layoutMessageFrame` leaves the ciphertext out so the sender can seal
 * straight into the frame (send.ts); `encodeMessageFrame` copies it in. The
 * ciphertext (field 9) is not last when the message has rekey entries
 * (fields 10 and 11 follow it).
 */
import { TalosError } from '../errors.js'
import {
  HybridMessageType,
  type HybridCopathEntry,
  type HybridKeyAnnouncement,
  type HybridMessage,
  type HybridPairwiseEntry,
} from '../proto/hybrid.js'

/** Everything of a HybridMessage but the ciphertext bytes (the entry lists only read). */
export type MessageHeader = Omit<HybridMessage, 'ciphertext' | 'copath' | 'pairwise'> & {
  readonly copath: readonly HybridCopathEntry[]
  readonly pairwise: readonly HybridPairwiseEntry[]
}

// Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_FRAME_MESSAGE = 0x0a
const TAG_VERSION = 0x08
const TAG_TYPE = 0x10
const TAG_STEP = 0x18
const TAG_N = 0x20
const TAG_PN = 0x28
const TAG_REUSE_GUARD = 0x32
const TAG_ANNOUNCEMENT = 0x42
const TAG_CIPHERTEXT = 0x4a
const TAG_COPATH = 0x52
const TAG_PAIRWISE = 0x5a

function invalid(field: string, what: string): never {
  throw new TalosError('DECODE_INVALID_VALUE', `talos.v1.${field}: ${what}`)
}

function u32(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) invalid(field, `${String(v)} is not a uint32`)
  return v
}

function bytes(v: Uint8Array, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(field, 'not a Uint8Array')
  return v
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5
}

/** v is a uint32 (checked by the caller). */
function putVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  out[pos++] = v
  return pos
}

const uintFieldSize = (v: number): number => (v === 0 ? 0 : 1 + varintSize(v))
const bytesFieldSize = (len: number): number => (len === 0 ? 0 : 1 + varintSize(len) + len)
const messageFieldSize = (len: number): number => 1 + varintSize(len) + len

function putUint(out: Uint8Array, pos: number, tag: number, v: number): number {
  if (v === 0) return pos
  out[pos++] = tag
  return putVarint(out, pos, v)
}

function putBytes(out: Uint8Array, pos: number, tag: number, b: Uint8Array): number {
  if (b.length === 0) return pos
  out[pos++] = tag
  pos = putVarint(out, pos, b.length)
  out.set(b, pos)
  return pos + b.length
}

function copathEntrySize(e: HybridCopathEntry): number {
  return (
    uintFieldSize(u32(e.nodeIndex, 'HybridCopathEntry.node_index')) +
    bytesFieldSize(bytes(e.kemOutput, 'HybridCopathEntry.kem_output').length) +
    bytesFieldSize(bytes(e.ciphertext, 'HybridCopathEntry.ciphertext').length)
  )
}

function pairwiseEntrySize(e: HybridPairwiseEntry): number {
  return (
    uintFieldSize(u32(e.leaf, 'HybridPairwiseEntry.leaf')) +
    uintFieldSize(u32(e.keyVersion, 'HybridPairwiseEntry.key_version')) +
    bytesFieldSize(bytes(e.kemOutput, 'HybridPairwiseEntry.kem_output').length) +
    bytesFieldSize(bytes(e.ciphertext, 'HybridPairwiseEntry.ciphertext').length)
  )
}

/**
 * The entry lists' bodies: each entry's body size, and the bytes of both
 * repeated fields (tag, length, body per entry).
 */
interface EntrySizes {
  readonly copath: number[]
  readonly pairwise: number[]
  readonly total: number
}

function entrySizes(h: MessageHeader): EntrySizes {
  const copath = list(h.copath, 'HybridMessage.copath').map(copathEntrySize)
  const pairwise = list(h.pairwise, 'HybridMessage.pairwise').map(pairwiseEntrySize)
  let total = 0
  for (const e of copath) total += messageFieldSize(e)
  for (const e of pairwise) total += messageFieldSize(e)
  return { copath, pairwise, total }
}

function list<T>(v: readonly T[], field: string): readonly T[] {
  if (!Array.isArray(v)) invalid(field, 'not an array')
  return v
}

function putEntries(out: Uint8Array, pos: number, h: MessageHeader, sizes: EntrySizes): number {
  for (let i = 0; i < h.copath.length; i++) {
    const e = h.copath[i]!
    out[pos++] = TAG_COPATH
    pos = putVarint(out, pos, sizes.copath[i]!)
    pos = putUint(out, pos, 0x08, e.nodeIndex)
    pos = putBytes(out, pos, 0x12, e.kemOutput)
    pos = putBytes(out, pos, 0x1a, e.ciphertext)
  }
  for (let i = 0; i < h.pairwise.length; i++) {
    const e = h.pairwise[i]!
    out[pos++] = TAG_PAIRWISE
    pos = putVarint(out, pos, sizes.pairwise[i]!)
    pos = putUint(out, pos, 0x08, e.leaf)
    pos = putUint(out, pos, 0x10, e.keyVersion)
    pos = putBytes(out, pos, 0x1a, e.kemOutput)
    pos = putBytes(out, pos, 0x22, e.ciphertext)
  }
  return pos
}

function announcementSize(a: HybridKeyAnnouncement): number {
  return uintFieldSize(u32(a.version, 'HybridKeyAnnouncement.version')) + bytesFieldSize(bytes(a.publicKey, 'HybridKeyAnnouncement.public_key').length)
}

/**
 * The frame of `h` with a ciphertext of `ciphertextLength` bytes, all but
 * the ciphertext written: the caller fills frame[ciphertextOffset ..
 * ciphertextOffset + ciphertextLength).
 */
export function layoutMessageFrame(h: MessageHeader, ciphertextLength: number): { frame: Uint8Array; ciphertextOffset: number } {
  const version = u32(h.version, 'HybridMessage.version')
  const type = h.type
  if (type !== HybridMessageType.DATA && type !== HybridMessageType.DATA_REKEY && type !== HybridMessageType.HYBRID_MESSAGE_TYPE_UNSPECIFIED) {
    invalid('HybridMessage.type', `${String(type)} is not a declared enum value`)
  }
  const step = u32(h.step, 'HybridMessage.step')
  const n = u32(h.n, 'HybridMessage.n')
  const pn = u32(h.pn, 'HybridMessage.pn')
  const reuseGuard = bytes(h.reuseGuard, 'HybridMessage.reuse_guard')
  u32(ciphertextLength, 'HybridMessage.ciphertext')
  const entries = entrySizes(h)
  const an = h.announcement === undefined ? undefined : announcementSize(h.announcement)
  const body =
    uintFieldSize(version) +
    uintFieldSize(type) +
    uintFieldSize(step) +
    uintFieldSize(n) +
    uintFieldSize(pn) +
    bytesFieldSize(reuseGuard.length) +
    (an === undefined ? 0 : messageFieldSize(an)) +
    bytesFieldSize(ciphertextLength) +
    entries.total
  const frame = new Uint8Array(messageFieldSize(body))
  let p = 0
  frame[p++] = TAG_FRAME_MESSAGE
  p = putVarint(frame, p, body)
  p = putUint(frame, p, TAG_VERSION, version)
  p = putUint(frame, p, TAG_TYPE, type)
  p = putUint(frame, p, TAG_STEP, step)
  p = putUint(frame, p, TAG_N, n)
  p = putUint(frame, p, TAG_PN, pn)
  p = putBytes(frame, p, TAG_REUSE_GUARD, reuseGuard)
  if (an !== undefined) {
    const a = h.announcement!
    frame[p++] = TAG_ANNOUNCEMENT
    p = putVarint(frame, p, an)
    p = putUint(frame, p, 0x08, a.version)
    p = putBytes(frame, p, 0x12, a.publicKey)
  }
  if (ciphertextLength > 0) {
    frame[p++] = TAG_CIPHERTEXT
    p = putVarint(frame, p, ciphertextLength)
  }
  const ciphertextOffset = p
  if (putEntries(frame, p + ciphertextLength, h, entries) !== frame.length) throw new TalosError('HYBRID_INTERNAL', 'frame layout size mismatch')
  return { frame, ciphertextOffset }
}

/**
 * layoutMessageFrame for the per-message case, a DATA message (version 1, no
 * pn, rekey entries or announcement): the same bytes, with fewer steps (no nested
 * sizes to work out). step and n are uint32 (the chain's counters).
 */
export function layoutDataFrame(step: number, n: number, reuseGuard: Uint8Array, ciphertextLength: number): { frame: Uint8Array; ciphertextOffset: number } {
  if (!(Number.isInteger(step) && Number.isInteger(n) && Number.isInteger(ciphertextLength) && step >= 0 && step <= 0xffffffff && n >= 0 && n <= 0xffffffff && ciphertextLength > 0 && ciphertextLength <= 0xffffffff && reuseGuard instanceof Uint8Array && reuseGuard.length > 0)) {
    return layoutMessageFrame({ version: 1, type: HybridMessageType.DATA, step, n, pn: 0, reuseGuard, copath: [], pairwise: [] }, ciphertextLength)
  }
  const body = 4 + uintFieldSize(step) + uintFieldSize(n) + bytesFieldSize(reuseGuard.length) + 1 + varintSize(ciphertextLength) + ciphertextLength
  const frame = new Uint8Array(1 + varintSize(body) + body)
  frame[0] = TAG_FRAME_MESSAGE
  let p = putVarint(frame, 1, body)
  frame[p++] = TAG_VERSION
  frame[p++] = 1
  frame[p++] = TAG_TYPE
  frame[p++] = HybridMessageType.DATA
  p = putUint(frame, p, TAG_STEP, step)
  p = putUint(frame, p, TAG_N, n)
  p = putBytes(frame, p, TAG_REUSE_GUARD, reuseGuard)
  frame[p++] = TAG_CIPHERTEXT
  p = putVarint(frame, p, ciphertextLength)
  return { frame, ciphertextOffset: p }
}

/** The frame of a whole message: the same bytes as encodeProto(HybridFrame, { body: { case: 'message', value: m } }). */
export function encodeMessageFrame(m: HybridMessage): Uint8Array {
  const ct = bytes(m.ciphertext, 'HybridMessage.ciphertext')
  const { frame, ciphertextOffset } = layoutMessageFrame(m, ct.length)
  frame.set(ct, ciphertextOffset)
  return frame
}
