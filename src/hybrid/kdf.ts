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
import { Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'

const PREFIX = 'HYB1 '
const utf8 = new TextEncoder()
const heads = new Map<string, Uint8Array>()

/** uint16 length || opaque label<V>, cached per (label, length). */
function head(label: string, length: number): Uint8Array {
  const key = `${length}/${label}`
  let h = heads.get(key)
  if (h === undefined) {
    h = new Writer(16 + label.length).u16(length).opaque(utf8.encode(PREFIX + label)).finish()
    if (heads.size < 64) heads.set(key, h)
  }
  return h
}

/** The TLS encoding of HybLabel (exported for the vectors and for other implementations' debugging). */
export function hybLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) {
    throw new TalosError('HYBRID_MALFORMED', `HybExpand length ${length} does not fit uint16`)
  }
  const h = head(label, length)
  return new Writer(h.length + 4 + context.length).bytes(h).opaque(context).finish()
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
