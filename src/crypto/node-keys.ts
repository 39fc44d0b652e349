/**
 * Raw key bytes <-> node:crypto KeyObjects, for the algorithms libsodium does
 * not have (X448, Ed448, the NIST curves) and for native X25519.
 *
 * Encodings are those of RFC 9420 §5.1.1 / RFC 9180 §7.1.1 and FORMAT.md:
 *   OKP (X25519, X448, Ed448): raw RFC 7748 / RFC 8032 byte strings;
 *   NIST curves: private key = big-endian scalar of exactly Nsk bytes
 *   (Field-Element-to-Octet-String), public key = uncompressed point
 *   0x04 || x || y (SEC1 §2.3.3).
 *
 * Keys go in through JWK: OpenSSL's PKCS#8/SPKI DER decoders cost ~400 µs
 * and ~75 µs per key here, JWK import ~10-40 µs. Every malformed input
 * becomes a TalosError (CRYPTO_INVALID_PUBLIC_KEY / _PRIVATE_KEY).
 *
 * Secret hygiene: a JWK carries the private scalar as a base64url string,
 * which JavaScript cannot zero; it is short-lived garbage, and the key is
 * imported once and cached (key-cache.ts), so this happens once per key.
 * The KeyObject itself holds the key in OpenSSL memory, freed with it.
 */
import { createECDH, createPrivateKey, createPublicKey, randomFillSync, type KeyObject } from 'node:crypto'
import { TalosError } from '../errors.js'

export type OkpCurve = 'X25519' | 'X448' | 'Ed448' | 'Ed25519'
export type NistCurve = 'P-256' | 'P-384' | 'P-521'

/** Field/scalar size in bytes and group order n (SEC 2 §2.4.2, §2.5.1; FIPS 186-4 D.1.2). */
export const NIST: Record<NistCurve, { size: number; order: bigint; ecdhName: string }> = {
  'P-256': {
    size: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    ecdhName: 'prime256v1',
  },
  'P-384': {
    size: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    ecdhName: 'secp384r1',
  },
  'P-521': {
    size: 66,
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    ecdhName: 'secp521r1',
  },
}

export const OKP_SIZE: Record<OkpCurve, number> = { X25519: 32, X448: 56, Ed25519: 32, Ed448: 57 }

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
const unb64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'))

function invalid(kind: 'PUBLIC' | 'PRIVATE', what: string): TalosError {
  return new TalosError(kind === 'PUBLIC' ? 'CRYPTO_INVALID_PUBLIC_KEY' : 'CRYPTO_INVALID_PRIVATE_KEY', what)
}

/** Left-pads a big-endian value (JWK may drop leading zero octets) to `size` bytes. */
function pad(b: Uint8Array, size: number): Uint8Array {
  if (b.length === size) return b
  if (b.length > size) throw new TalosError('CRYPTO_INTERNAL', `value of ${b.length} bytes exceeds ${size}`)
  const out = new Uint8Array(size)
  out.set(b, size - b.length)
  return out
}

export function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  return v
}

// --- OKP curves -----------------------------------------------------------

export function okpPublicKey(crv: OkpCurve, x: Uint8Array): KeyObject {
  if (x.length !== OKP_SIZE[crv]) throw invalid('PUBLIC', `${crv} public key must be ${OKP_SIZE[crv]} bytes, got ${x.length}`)
  try {
    return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(x) }, format: 'jwk' })
  } catch {
    throw invalid('PUBLIC', `${crv} public key rejected`)
  }
}

/**
 * An OKP private KeyObject and its public key. Node builds OKP private keys
 * from `d` alone (the JWK `x` member must be present but is not read), so the
 * public key is derived by OpenSSL from `d` and exported, never trusted.
 */
export function okpPrivateKey(crv: OkpCurve, d: Uint8Array): { key: KeyObject; publicKey: Uint8Array } {
  if (d.length !== OKP_SIZE[crv]) throw invalid('PRIVATE', `${crv} private key must be ${OKP_SIZE[crv]} bytes, got ${d.length}`)
  let key: KeyObject
  try {
    key = createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(d), x: '' }, format: 'jwk' })
  } catch {
    throw invalid('PRIVATE', `${crv} private key rejected`)
  }
  const publicKey = unb64u(createPublicKey(key).export({ format: 'jwk' }).x)
  return { key, publicKey }
}

/**
 * A fresh OKP key pair. The private key is drawn from the CSPRNG and imported,
 * rather than made by generateKeyPairSync: on Node 20.20 exporting a key from
 * generateKeyPairSync can deadlock when a garbage collection runs the
 * KeyGenJob destructor while the export holds the key's mutex (reproduced
 * here under load). Any 32/56/57-byte string is a valid X25519/X448/Ed448
 * private key (clamping or hashing happens inside the scheme).
 */
export function okpGenerate(crv: OkpCurve): { privateKey: Uint8Array; publicKey: Uint8Array; key: KeyObject } {
  const privateKey = randomFillSync(new Uint8Array(OKP_SIZE[crv]))
  const { key, publicKey } = okpPrivateKey(crv, privateKey)
  return { privateKey, publicKey, key }
}

// --- NIST curves ----------------------------------------------------------

export function ecPublicKey(crv: NistCurve, point: Uint8Array): KeyObject {
  const n = NIST[crv].size
  if (point.length !== 1 + 2 * n || point[0] !== 0x04) {
    throw invalid('PUBLIC', `${crv} public key must be an uncompressed point of ${1 + 2 * n} bytes`)
  }
  try {
    // OpenSSL rejects points that are not on the curve (RFC 9180 §7.1.4 validation).
    return createPublicKey({
      key: { kty: 'EC', crv, x: b64u(point.subarray(1, 1 + n)), y: b64u(point.subarray(1 + n)) },
      format: 'jwk',
    })
  } catch {
    throw invalid('PUBLIC', `${crv} public key is not a valid curve point`)
  }
}

/** Checks 1 <= d < n for a big-endian scalar of exactly Nsk bytes. */
export function ecScalarInRange(crv: NistCurve, d: Uint8Array): boolean {
  if (d.length !== NIST[crv].size) return false
  const v = bytesToBigInt(d)
  return v > 0n && v < NIST[crv].order
}

/** The uncompressed public point d·G. */
export function ecPublicFromPrivate(crv: NistCurve, d: Uint8Array): Uint8Array {
  if (!ecScalarInRange(crv, d)) throw invalid('PRIVATE', `${crv} private key is not a scalar in [1, n-1] of ${NIST[crv].size} bytes`)
  const ecdh = createECDH(NIST[crv].ecdhName)
  ecdh.setPrivateKey(d)
  return new Uint8Array(ecdh.getPublicKey())
}

export function ecPrivateKey(crv: NistCurve, d: Uint8Array): { key: KeyObject; publicKey: Uint8Array } {
  const publicKey = ecPublicFromPrivate(crv, d)
  const n = NIST[crv].size
  try {
    const key = createPrivateKey({
      key: { kty: 'EC', crv, d: b64u(d), x: b64u(publicKey.subarray(1, 1 + n)), y: b64u(publicKey.subarray(1 + n)) },
      format: 'jwk',
    })
    return { key, publicKey }
  } catch {
    throw invalid('PRIVATE', `${crv} private key rejected`)
  }
}

/**
 * A fresh NIST key pair: a scalar d drawn uniformly from [1, n-1] by
 * rejection sampling (top byte masked to the order's bit length, so a draw
 * is accepted with probability > 1/2), then imported (see okpGenerate for
 * why generateKeyPairSync is avoided).
 */
export function ecGenerate(crv: NistCurve): { privateKey: Uint8Array; publicKey: Uint8Array; key: KeyObject } {
  const { size, order } = NIST[crv]
  const topBits = order.toString(2).length - 8 * (size - 1)
  const mask = (1 << topBits) - 1
  for (let tries = 0; tries < 256; tries++) {
    const d = randomFillSync(new Uint8Array(size))
    d[0] = d[0]! & mask
    if (!ecScalarInRange(crv, d)) {
      d.fill(0)
      continue
    }
    const { key, publicKey } = ecPrivateKey(crv, d)
    return { privateKey: d, publicKey, key }
  }
  throw new TalosError('CRYPTO_KEYGEN_FAILED', `${crv} key generation failed to find a scalar`)
}

/** Public KeyObject of a generated key pair's private KeyObject (for ephemeral HPKE keys). */
export function publicKeyObject(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey)
}
