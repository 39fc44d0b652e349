/**
 * Test-only reference crypto for checking wire encodings against the
 * official vectors: the bytes our codecs produce must hash, MAC, sign and
 * decrypt exactly as the vectors say. Independent of src/crypto on purpose
 * (node:crypto only, native and fast), so a wire bug cannot hide behind a
 * crypto bug that mirrors it. RFC 9420 §5.1 (ExpandWithLabel, SignWithLabel), §5.2.
 */
import { createDecipheriv, createHash, createHmac, createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import { Writer } from '../../../src/codec/tls.js'

interface Suite {
  hash: 'sha256' | 'sha384' | 'sha512'
  nh: number
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'
  nk: number
  verify: (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url')

/** EdDSA over the raw public key (RFC 8032 encoding). */
const eddsa = (crv: 'Ed25519' | 'Ed448') => (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) =>
  verify(null, msg, createPublicKey({ key: { kty: 'OKP', crv, x: b64u(pub) } as JsonWebKey, format: 'jwk' }), sig)

/** ECDSA with a DER signature over an uncompressed SEC1 point (0x04 || x || y). */
const ecdsa = (crv: 'P-256' | 'P-384' | 'P-521', h: string) => (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => {
  const n = (pub.length - 1) / 2
  const jwk = { kty: 'EC', crv, x: b64u(pub.subarray(1, 1 + n)), y: b64u(pub.subarray(1 + n)) } as JsonWebKey
  return verify(h, msg, { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'der' }, sig)
}

export const SUITES: Record<number, Suite> = {
  1: { hash: 'sha256', nh: 32, aead: 'aes-128-gcm', nk: 16, verify: eddsa('Ed25519') },
  2: { hash: 'sha256', nh: 32, aead: 'aes-128-gcm', nk: 16, verify: ecdsa('P-256', 'sha256') },
  3: { hash: 'sha256', nh: 32, aead: 'chacha20-poly1305', nk: 32, verify: eddsa('Ed25519') },
  4: { hash: 'sha512', nh: 64, aead: 'aes-256-gcm', nk: 32, verify: eddsa('Ed448') },
  5: { hash: 'sha512', nh: 64, aead: 'aes-256-gcm', nk: 32, verify: ecdsa('P-521', 'sha512') },
  6: { hash: 'sha512', nh: 64, aead: 'chacha20-poly1305', nk: 32, verify: eddsa('Ed448') },
  7: { hash: 'sha384', nh: 48, aead: 'aes-256-gcm', nk: 32, verify: ecdsa('P-384', 'sha384') },
}

export function suite(id: number): Suite {
  const s = SUITES[id]
  if (!s) throw new Error(`unknown cipher suite ${id}`)
  return s
}

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
const utf8 = (s: string) => new TextEncoder().encode(s)

export function hash(s: Suite, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(s.hash)
  for (const p of parts) h.update(p)
  return u8(h.digest())
}

export function mac(s: Suite, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac(s.hash, key).update(data).digest())
}

function hkdfExpand(s: Suite, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let t: Uint8Array = new Uint8Array(0)
  for (let i = 1, off = 0; off < length; i++) {
    t = mac(s, prk, new Uint8Array([...t, ...info, i]))
    out.set(t.subarray(0, Math.min(t.length, length - off)), off)
    off += t.length
  }
  return out
}

export function expandWithLabel(s: Suite, secret: Uint8Array, label: string, context: Uint8Array, length: number) {
  const kdfLabel = new Writer().u16(length).opaque(utf8(`MLS 1.0 ${label}`)).opaque(context).finish()
  return hkdfExpand(s, secret, kdfLabel, length)
}

export function deriveTreeSecret(s: Suite, secret: Uint8Array, label: string, generation: number, length: number) {
  return expandWithLabel(s, secret, label, new Writer().u32(generation).finish(), length)
}

export function verifyWithLabel(s: Suite, pub: Uint8Array, label: string, content: Uint8Array, sig: Uint8Array) {
  const signContent = new Writer().opaque(utf8(`MLS 1.0 ${label}`)).opaque(content).finish()
  return s.verify(sig, signContent, pub)
}

/** AEAD open with a 16-byte tag appended to the ciphertext; throws on a bad tag. */
export function aeadOpen(s: Suite, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const d = createDecipheriv(s.aead, key, nonce, { authTagLength: 16 } as never) as ReturnType<typeof createDecipheriv> & {
    setAAD(b: Uint8Array, o?: unknown): void
    setAuthTag(b: Uint8Array): void
  }
  d.setAAD(aad, { plaintextLength: ct.length - 16 })
  d.setAuthTag(ct.subarray(ct.length - 16))
  return u8(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]))
}
