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
import { MAX_VARINT, Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'

const PREFIX = 'HYB1 '
const utf8 = new TextEncoder()
const heads = new Map<string, Map<number, Uint8Array>>()

/** uint16 length || opaque label<V>, cached per (label, length). */
function head(label: string, length: number): Uint8Array {
  let byLength = heads.get(label)
  if (byLength === undefined) {
    byLength = new Map()
    if (heads.size < 64) heads.set(label, byLength)
  }
  let h = byLength.get(length)
  if (h === undefined) {
    h = new Writer(16 + label.length).u16(length).opaque(utf8.encode(PREFIX + label)).finish()
    if (byLength.size < 8) byLength.set(length, h)
  }
  return h
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) {
    throw new TalosError('HYBRID_MALFORMED', `HybExpand length ${length} does not fit uint16`)
  }
}

/** The TLS encoding of HybLabel (exported for the vectors and for other implementations' debugging). */
export function hybLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  checkLength(length)
  const h = head(label, length)
  const c = context.length
  // opaque context<V>: the RFC 9420 §2.1.2 varint (1, 2 or 4 bytes), as Writer.opaque writes it.
  if (c > MAX_VARINT) throw new TalosError('DECODE_VARINT_TOO_LARGE', `length ${c} does not fit an MLS varint`)
  const v = c < 0x40 ? 1 : c < 0x4000 ? 2 : 4
  const out = new Uint8Array(h.length + v + c)
  out.set(h, 0)
  let p = h.length
  if (v === 1) out[p++] = c
  else if (v === 2) {
    out[p++] = 0x40 | (c >>> 8)
    out[p++] = c & 0xff
  } else {
    out[p++] = 0x80 | (c >>> 24)
    out[p++] = (c >>> 16) & 0xff
    out[p++] = (c >>> 8) & 0xff
    out[p++] = c & 0xff
  }
  out.set(context, p)
  return out
}

/**
 * HybLabel with context uint32(n): head || 0x04 || uint32(n), equal to
 * hybLabel(label, uint32Bytes(n), length) in one allocation (the symmetric
 * ratchet calls it three times per message).
 */
export function hybLabelU32(label: string, n: number, length: number): Uint8Array {
  checkLength(length)
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TalosError('HYBRID_MALFORMED', `${n} does not fit uint32`)
  const h = head(label, length)
  const p = h.length
  const out = new Uint8Array(p + 5)
  out.set(h, 0)
  out[p] = 4
  out[p + 1] = n >>> 24
  out[p + 2] = (n >>> 16) & 0xff
  out[p + 3] = (n >>> 8) & 0xff
  out[p + 4] = n & 0xff
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

/** Per (Nk, Nn, Nh): the three infos of a ratchet step, heads written once, uint32(n) rewritten per step. */
const stepInfos = new Map<number, [Uint8Array, Uint8Array, Uint8Array]>()

/**
 * The HybLabels of key[k,n], nonce[k,n] and CK[k,n+1] (labels "key",
 * "nonce", "secret", context uint32(n)), written into three buffers reused
 * across calls: they are public, and valid only until the next call, so hand
 * them only to a synchronous KDF that copies them (suite.expandMany,
 * ratchetOpen, ratchetSealInto).
 */
export function ratchetStepInfos(n: number, nk: number, nn: number, nh: number): readonly [Uint8Array, Uint8Array, Uint8Array] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TalosError('HYBRID_MALFORMED', `${n} does not fit uint32`)
  const id = (nk << 20) | (nn << 10) | nh
  let infos = stepInfos.get(id)
  if (infos === undefined) {
    infos = [hybLabelU32('key', 0, nk), hybLabelU32('nonce', 0, nn), hybLabelU32('secret', 0, nh)]
    if (stepInfos.size < 16) stepInfos.set(id, infos)
  }
  for (const b of infos) {
    const p = b.length - 4
    b[p] = n >>> 24
    b[p + 1] = (n >>> 16) & 0xff
    b[p + 2] = (n >>> 8) & 0xff
    b[p + 3] = n & 0xff
  }
  return infos
}

