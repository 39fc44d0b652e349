/** Shared helpers for the decoder fuzz tests: hostile inputs, and "only TalosError" checks. */
import fc from 'fast-check'
import { isTalosError } from '../../src/errors.js'

/** Runs fn; any exception that is not a TalosError fails the property. */
export function onlyTalosError(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (!isTalosError(e)) throw new Error(`non-Talos error: ${String(e)}`, { cause: e })
  }
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** `b` with `len` bytes at `at` replaced by `rep`. */
const replaceAt = (b: Uint8Array, at: number, len: number, rep: Uint8Array): Uint8Array =>
  concat(b.subarray(0, at), rep, b.subarray(Math.min(b.length, at + len)))

/** Size of the QUIC-style varint (RFC 9420 §2.1.2) whose first byte is `first`. */
const quicSize = (first: number): number => 1 << (first >> 6)

/** Minimal QUIC-style varint encodings of lengths at the edges of each size class, and past 2^30. */
const QUIC_LENGTHS = [
  [0x3f],
  [0x40, 0x40],
  [0x7f, 0xff],
  [0x80, 0x00, 0x40, 0x00],
  [0xbf, 0xff, 0xff, 0xff],
  [0xc0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
].map((b) => Uint8Array.from(b))

/** Protobuf varints near and past the 2^31 / 2^32 limits, and an over-long 10-byte one. */
const PROTO_VARINTS = [
  [0x80, 0x80, 0x80, 0x80, 0x08],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0x80, 0x80, 0x80, 0x80, 0x10],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
].map((b) => Uint8Array.from(b))

/** Length of the protobuf varint at `at` (at most 10), or 1 if it runs off the end. */
function protoVarintSize(b: Uint8Array, at: number): number {
  for (let i = at; i < Math.min(b.length, at + 10); i++) if ((b[i]! & 0x80) === 0) return i - at + 1
  return 1
}

/**
 * Arbitrary bytes, and mutations of a valid encoding: byte flips,
 * truncations and insertions, and structure-aware ones that aim at length
 * prefixes and counters (a TLS varint or a Protobuf varint at some offset
 * overwritten with a value near 2^30/2^31/2^32, a span of the input repeated
 * as a duplicated field would be, two offsets of the input spliced).
 */
export function hostile(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const pos = fc.nat(Math.max(0, valid.length - 1))
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(pos, fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = valid.slice()
      b[i]! ^= x
      return b
    }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat(valid.length), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => concat(valid.subarray(0, i), ins, valid.subarray(i))),
    fc.tuple(pos, fc.constantFrom(...QUIC_LENGTHS)).map(([i, v]) => replaceAt(valid, i, quicSize(valid[i] ?? 0), v)),
    fc.tuple(pos, fc.constantFrom(...PROTO_VARINTS)).map(([i, v]) => replaceAt(valid, i, protoVarintSize(valid, i), v)),
    fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([i, j]) => concat(valid.subarray(0, Math.max(i, j)), valid.subarray(Math.min(i, j)))),
    fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([i, j]) => concat(valid.subarray(0, i), valid.subarray(j))),
  )
}
