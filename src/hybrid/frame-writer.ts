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
 * uint32, an undeclared enum value or oneof case, bytes that are not a
 * Uint8Array) are TalosError DECODE_INVALID_VALUE.
 *
 * `layoutMessageFrame` leaves the ciphertext out so the sender can seal
 * straight into the frame (send.ts); `encodeMessageFrame` copies it in.
 */
import { TalosError } from '../errors.js'
import {
  HybridMessageType,
  type HybridCopathEntry,
  type HybridKeyAnnouncement,
  type HybridMessage,
  type HybridPairwiseEntry,
  type HybridRekey,
} from '../proto/hybrid.js'

/** Everything of a HybridMessage but the ciphertext bytes. */
export type MessageHeader = Omit<HybridMessage, 'ciphertext'>

// Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_FRAME_MESSAGE = 0x0a
const TAG_VERSION = 0x08
const TAG_TYPE = 0x10
const TAG_STEP = 0x18
const TAG_N = 0x20
const TAG_PN = 0x28
const TAG_REUSE_GUARD = 0x32
const TAG_REKEY = 0x3a
const TAG_ANNOUNCEMENT = 0x42
const TAG_CIPHERTEXT = 0x4a
const TAG_REKEY_COPATH = 0x0a
const TAG_REKEY_PAIRWISE = 0x12
const TAG_ENTRIES = 0x0a

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

/** Body sizes of a rekey: [HybridRekey body, its targets' body, each entry's body]. */
interface RekeySizes {
  readonly rekey: number
  readonly targets: number
  readonly entries: number[]
}

function rekeySizes(r: HybridRekey): RekeySizes {
  const t = r.targets
  if (t === undefined) return { rekey: 0, targets: 0, entries: [] }
  let entries: number[]
  if (t.case === 'copath') entries = t.value.entries.map(copathEntrySize)
  else if (t.case === 'pairwise') entries = t.value.entries.map(pairwiseEntrySize)
  else invalid('HybridRekey.targets', `unknown oneof case ${String((t as { case: unknown }).case)}`)
  let targets = 0
  for (const e of entries) targets += messageFieldSize(e)
  return { rekey: messageFieldSize(targets), targets, entries }
}

function putRekey(out: Uint8Array, pos: number, r: HybridRekey, sizes: RekeySizes): number {
  const t = r.targets
  if (t === undefined) return pos
  out[pos++] = t.case === 'copath' ? TAG_REKEY_COPATH : TAG_REKEY_PAIRWISE
  pos = putVarint(out, pos, sizes.targets)
  for (let i = 0; i < t.value.entries.length; i++) {
    out[pos++] = TAG_ENTRIES
    pos = putVarint(out, pos, sizes.entries[i]!)
    if (t.case === 'copath') {
      const e = t.value.entries[i]!
      pos = putUint(out, pos, 0x08, e.nodeIndex)
      pos = putBytes(out, pos, 0x12, e.kemOutput)
      pos = putBytes(out, pos, 0x1a, e.ciphertext)
    } else {
      const e = t.value.entries[i]!
      pos = putUint(out, pos, 0x08, e.leaf)
      pos = putUint(out, pos, 0x10, e.keyVersion)
      pos = putBytes(out, pos, 0x1a, e.kemOutput)
      pos = putBytes(out, pos, 0x22, e.ciphertext)
    }
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
  const rk = h.rekey === undefined ? undefined : rekeySizes(h.rekey)
  const an = h.announcement === undefined ? undefined : announcementSize(h.announcement)
  const body =
    uintFieldSize(version) +
    uintFieldSize(type) +
    uintFieldSize(step) +
    uintFieldSize(n) +
    uintFieldSize(pn) +
    bytesFieldSize(reuseGuard.length) +
    (rk === undefined ? 0 : messageFieldSize(rk.rekey)) +
    (an === undefined ? 0 : messageFieldSize(an)) +
    bytesFieldSize(ciphertextLength)
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
  if (rk !== undefined) {
    frame[p++] = TAG_REKEY
    p = putVarint(frame, p, rk.rekey)
    p = putRekey(frame, p, h.rekey!, rk)
  }
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
  if (p + ciphertextLength !== frame.length) throw new TalosError('HYBRID_INTERNAL', 'frame layout size mismatch')
  return { frame, ciphertextOffset: p }
}

/**
 * layoutMessageFrame for the per-message case, a DATA message (version 1, no
 * pn, rekey or announcement): the same bytes, with fewer steps (no nested
 * sizes to work out). step and n are uint32 (the chain's counters).
 */
export function layoutDataFrame(step: number, n: number, reuseGuard: Uint8Array, ciphertextLength: number): { frame: Uint8Array; ciphertextOffset: number } {
  if (!(Number.isInteger(step) && Number.isInteger(n) && Number.isInteger(ciphertextLength) && step >= 0 && step <= 0xffffffff && n >= 0 && n <= 0xffffffff && ciphertextLength > 0 && ciphertextLength <= 0xffffffff && reuseGuard instanceof Uint8Array && reuseGuard.length > 0)) {
    return layoutMessageFrame({ version: 1, type: HybridMessageType.DATA, step, n, pn: 0, reuseGuard }, ciphertextLength)
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
