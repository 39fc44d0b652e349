/**
 * The labeled constructions of RFC 9420 that every cipher suite shares:
 *
 *   §8    ExpandWithLabel(Secret, Label, Context, Length)
 *           = KDF.Expand(Secret, KDFLabel, Length)
 *         struct { uint16 length; opaque label<V>; opaque context<V>; } KDFLabel
 *         DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh)
 *   §9.1  DeriveTreeSecret(Secret, Label, Generation, Length)
 *           = ExpandWithLabel(Secret, Label, uint32 Generation, Length)
 *   §5.2  RefHash(Label, Value) = Hash(struct { opaque label<V>; opaque value<V>; })
 *   §5.1.2 SignContent     = struct { opaque label<V>; opaque content<V>; }
 *   §5.1.3 EncryptContext  = struct { opaque label<V>; opaque context<V>; }
 *
 * with label = "MLS 1.0 " + Label everywhere except RefHash, whose callers
 * pass the full label ("MLS 1.0 KeyPackage Reference").
 *
 * src/crypto sits below src/codec, so the few bytes of TLS encoding needed
 * here (uint16, uint32, RFC 9420 §2.1.2 varint-prefixed opaque) are written
 * directly rather than through the codec.
 */
import { TalosError } from '../errors.js'

const MLS_PREFIX = 'MLS 1.0 '
/** Largest opaque<V> body (RFC 9420 §2.1.2: a 30-bit varint). */
const MAX_OPAQUE = 0x3fffffff

const utf8 = new TextEncoder()

function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
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

function checkOpaque(b: Uint8Array, what: string): void {
  if (b.length > MAX_OPAQUE) throw new TalosError('CRYPTO_INVALID_LENGTH', `${what} of ${b.length} bytes exceeds opaque<V>`)
}

/**
 * Encoded labels, length prefix included, memoised: labels are a small fixed
 * set chosen by code (the cap keeps an application-chosen label set bounded).
 * One map per prefix mode, keyed on the label itself (no string built per call).
 */
const prefixedLabels = new Map<string, Uint8Array>()
const plainLabels = new Map<string, Uint8Array>()
const LABEL_CACHE_MAX = 256

/** opaque label<V> holding `prefix + label`, varint prefix included. */
function encodedLabel(label: string, prefixed: boolean): Uint8Array {
  const cache = prefixed ? prefixedLabels : plainLabels
  const hit = cache.get(label)
  if (hit !== undefined) return hit
  const body = utf8.encode(prefixed ? MLS_PREFIX + label : label)
  checkOpaque(body, 'label')
  const out = new Uint8Array(varintSize(body.length) + body.length)
  out.set(body, writeVarint(out, 0, body.length))
  if (cache.size < LABEL_CACHE_MAX) cache.set(label, out)
  return out
}

/** struct { opaque label<V>; opaque second<V>; } */
function labelAndOpaque(label: Uint8Array, second: Uint8Array, what: string): Uint8Array {
  checkOpaque(second, what)
  const out = new Uint8Array(label.length + varintSize(second.length) + second.length)
  out.set(label, 0)
  out.set(second, writeVarint(out, label.length, second.length))
  return out
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new TalosError('CRYPTO_INVALID_LENGTH', `ExpandWithLabel length ${length} does not fit uint16`)
  }
}

/** KDFLabel (RFC 9420 §8), built in one buffer. Length must fit uint16. */
export function kdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  checkLength(length)
  checkOpaque(context, 'ExpandWithLabel context')
  const l = encodedLabel(label, true)
  const out = new Uint8Array(2 + l.length + varintSize(context.length) + context.length)
  out[0] = length >>> 8
  out[1] = length & 0xff
  out.set(l, 2)
  out.set(context, writeVarint(out, 2 + l.length, context.length))
  return out
}

/**
 * The KDFLabel of DeriveTreeSecret (RFC 9420 §9.1): context = uint32
 * Generation, written in place (same bytes as kdfLabel(label, generationContext(generation), length)).
 */
export function treeSecretLabel(label: string, generation: number, length: number): Uint8Array {
  checkLength(length)
  checkGeneration(generation)
  const l = encodedLabel(label, true)
  const out = new Uint8Array(2 + l.length + 1 + 4)
  out[0] = length >>> 8
  out[1] = length & 0xff
  out.set(l, 2)
  let p = 2 + l.length
  out[p++] = 4 // varint length of the 4-byte context
  out[p++] = generation >>> 24
  out[p++] = (generation >>> 16) & 0xff
  out[p++] = (generation >>> 8) & 0xff
  out[p] = generation & 0xff
  return out
}

function checkGeneration(generation: number): void {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new TalosError('CRYPTO_INVALID_LENGTH', `generation ${generation} does not fit uint32`)
  }
}

/** The uint32 Generation context of DeriveTreeSecret (RFC 9420 §9.1). */
export function generationContext(generation: number): Uint8Array {
  checkGeneration(generation)
  return new Uint8Array([generation >>> 24, (generation >>> 16) & 0xff, (generation >>> 8) & 0xff, generation & 0xff])
}

/** RefHashInput (RFC 9420 §5.2): the label is used as given, without the "MLS 1.0 " prefix. */
export function refHashInput(label: string, value: Uint8Array): Uint8Array {
  return labelAndOpaque(encodedLabel(label, false), value, 'RefHash value')
}

/** SignContent (RFC 9420 §5.1.2). */
export function signContent(label: string, content: Uint8Array): Uint8Array {
  return labelAndOpaque(encodedLabel(label, true), content, 'SignWithLabel content')
}

/**
 * The bytes of SignContent (§5.1.2) before the content: opaque label<V> and
 * the content's varint length, for callers that write a large content right
 * after them in one buffer (sign(prefix || content) = SignWithLabel(label, content)).
 */
export function signContentPrefix(label: string, contentLength: number): Uint8Array {
  return opaquePrefix(encodedLabel(label, true), contentLength, 'SignWithLabel content')
}

/** The bytes of EncryptContext (§5.1.3) before the context (see signContentPrefix). */
export function encryptContextPrefix(label: string, contextLength: number): Uint8Array {
  return opaquePrefix(encodedLabel(label, true), contextLength, 'EncryptWithLabel context')
}

function opaquePrefix(label: Uint8Array, length: number, what: string): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_OPAQUE) throw new TalosError('CRYPTO_INVALID_LENGTH', `${what} of ${length} bytes exceeds opaque<V>`)
  const out = new Uint8Array(label.length + varintSize(length))
  out.set(label, 0)
  writeVarint(out, label.length, length)
  return out
}

/** EncryptContext (RFC 9420 §5.1.3). */
export function encryptContext(label: string, context: Uint8Array): Uint8Array {
  return labelAndOpaque(encodedLabel(label, true), context, 'EncryptWithLabel context')
}
