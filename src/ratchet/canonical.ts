/**
 * Exactly sized canonical encoding for the per-message structures of the
 * Double Ratchet (header.ts) and sender keys (senderkeys/message.ts): the
 * caller computes the size (codec/tls varintSize), allocates once, and these
 * write the TLS-style fields (RFC 9420 §2.1.2 varint length prefixes, lengths
 * far below 2^30) with the same bytes the TLS Writer would produce.
 *
 * No DataView: arrays under 64 bytes (a header, a short AD) live on V8's JS
 * heap, and taking their `.buffer` for a DataView would move them off-heap,
 * at a cost of microseconds per message.
 */

export function putU32(out: Uint8Array, at: number, v: number): number {
  out[at] = v >>> 24
  out[at + 1] = (v >>> 16) & 0xff
  out[at + 2] = (v >>> 8) & 0xff
  out[at + 3] = v & 0xff
  return at + 4
}

export function putVarint(out: Uint8Array, at: number, n: number): number {
  if (n < 0x40) {
    out[at] = n
    return at + 1
  }
  if (n < 0x4000) {
    out[at] = (n >>> 8) | 0x40
    out[at + 1] = n & 0xff
    return at + 2
  }
  return putU32(out, at, (n | 0x80000000) >>> 0)
}

export function putOpaque(out: Uint8Array, at: number, b: Uint8Array): number {
  at = putVarint(out, at, b.length)
  out.set(b, at)
  return at + b.length
}
