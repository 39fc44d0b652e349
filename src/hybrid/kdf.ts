/**
 * HybExpand (HYBRID.md §3):
 *
 *   HybExpand(Secret, Label, Context, L) = HKDF-Expand(Secret, HybLabel, L)
 *   struct { uint16 length = L; opaque label<V> = "HYB1 " + Label; opaque context<V> = Context; } HybLabel;
 *
 * The same shape as RFC 9420's KDFLabel but with the "HYB1 " prefix instead
 * of "MLS 1.0 ", so no hybrid derivation can ever collide with an MLS one.
 * The suite's expandWithLabel adds "MLS 1.0 ", so HybLabel is built here and
 * handed to the plain KDF.Expand. Label heads (length + label) are cached:
 * labels are the fixed set of this folder, and the per-message ratchet calls
 * this three times.
 */
import type { CipherSuite } from '../crypto/suite.js'
import { TalosError } from '../errors.js'

const PREFIX = 'HYB1 '
const utf8 = new TextEncoder()
const heads = new Map<string, Uint8Array>()

function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4
}

function putVarint(out: Uint8Array, pos: number, n: number): number {
  if (n < 0x40) {
    out[pos] = n
    return pos + 1
  }
  if (n < 0x4000) {
    out[pos] = 0x40 | (n >>> 8)
    out[pos + 1] = n & 0xff
    return pos + 2
  }
  out[pos] = 0x80 | (n >>> 24)
  out[pos + 1] = (n >>> 16) & 0xff
  out[pos + 2] = (n >>> 8) & 0xff
  out[pos + 3] = n & 0xff
  return pos + 4
}

/** uint16 length || opaque label<V>, cached per (label, length). */
function head(label: string, length: number): Uint8Array {
  const key = `${length}/${label}`
  let h = heads.get(key)
  if (h === undefined) {
    const body = utf8.encode(PREFIX + label)
    h = new Uint8Array(2 + varintSize(body.length) + body.length)
    h[0] = length >>> 8
    h[1] = length & 0xff
    h.set(body, putVarint(h, 2, body.length))
    if (heads.size < 64) heads.set(key, h)
  }
  return h
}

/** The TLS encoding of HybLabel (exported for the vectors and for other implementations' debugging). */
export function hybLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) {
    throw new TalosError('HYBRID_MALFORMED', `HybExpand length ${length} does not fit uint16`)
  }
  if (context.length > 0x3fffffff) throw new TalosError('HYBRID_MALFORMED', 'HybExpand context too long')
  const h = head(label, length)
  const out = new Uint8Array(h.length + varintSize(context.length) + context.length)
  out.set(h, 0)
  out.set(context, putVarint(out, h.length, context.length))
  return out
}

/** HybExpand(Secret, Label, Context, L). */
export function hybExpand(suite: CipherSuite, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  return suite.expand(secret, hybLabel(label, context, length), length)
}

/** uint32(n), big-endian: the context of the symmetric ratchet's three derivations. */
export function uint32Bytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TalosError('HYBRID_MALFORMED', `${n} does not fit uint32`)
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])
}
