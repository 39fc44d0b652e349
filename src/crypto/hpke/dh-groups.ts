/**
 * The Diffie-Hellman groups under the DHKEMs of the MLS suites
 * (RFC 9180 §4.1, §7.1): X25519, X448 (RFC 7748) and P-256, P-384, P-521
 * (SP 800-56A ECDH, shared secret = the x-coordinate), all on node:crypto.
 *
 * Why node:crypto for X25519 rather than libsodium: see the measurements at
 * the top of hpke.ts (OpenSSL's native X25519 is ~3x faster than libsodium's
 * WASM scalar multiplication here, and HPKE is all DH).
 */
import { diffieHellman, type KeyObject } from 'node:crypto'
import { TalosError } from '../../errors.js'
import { pooledRandomBytes } from '../random-pool.js'
import type { HashName } from '../sodium.js'
import {
  ecGenerate,
  ecPrivateKey,
  ecPublicKey,
  ecScalarInRange,
  okpPrivateKey,
  okpPublicKey,
  type NistCurve,
} from '../node-keys.js'

export interface DhGroup<Priv = unknown, Pub = unknown> {
  readonly name: string
  /** RFC 9180 §7.1 KEM identifier. */
  readonly kemId: number
  /** The DHKEM's KDF hash. */
  readonly hash: HashName
  readonly Nsecret: number
  /** Size of a serialized public key, which is also Nenc. */
  readonly Npk: number
  readonly Nsk: number
  /**
   * DeriveKeyPair (RFC 9180 §7.1.3): null for the Montgomery curves (sk is
   * LabeledExpand(dkp_prk, "sk", "", Nsk)); for the NIST curves, the mask for
   * the first candidate byte (0xff for P-256/P-384, 0x01 for P-521).
   */
  readonly bitmask: number | null
  /** For the NIST curves: 0 < sk < order. */
  isValidScalar(sk: Uint8Array): boolean
  generate(): { privateKey: Uint8Array; publicKey: Uint8Array; handle: Priv }
  /** A fresh private key as bytes only, for a caller that computes the key pair elsewhere (../x25519-pool.ts). */
  randomPrivateKey(): Uint8Array
  /** Throws TalosError CRYPTO_INVALID_PRIVATE_KEY. */
  importPrivate(sk: Uint8Array): { handle: Priv; publicKey: Uint8Array }
  /** Throws TalosError CRYPTO_INVALID_PUBLIC_KEY (includes point validation, RFC 9180 §7.1.4). */
  importPublic(pk: Uint8Array): Pub
  /** Throws TalosError CRYPTO_DH_FAILED, including on an all-zero X25519/X448 output. */
  dh(sk: Priv, pk: Pub): Uint8Array
}

/** DH via OpenSSL; any failure or an all-zero result is CRYPTO_DH_FAILED (the output buffer is zeroed after copying). */
export function nodeDh(name: string, sk: KeyObject, pk: KeyObject): Uint8Array {
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: sk, publicKey: pk })
  } catch {
    // OpenSSL refuses an all-zero X25519/X448 result (small-order input).
    throw new TalosError('CRYPTO_DH_FAILED', `${name} DH failed`)
  }
  const out = new Uint8Array(shared)
  shared.fill(0)
  let acc = 0
  for (const b of out) acc |= b
  if (acc === 0) throw new TalosError('CRYPTO_DH_FAILED', `${name} DH output is all zero`)
  return out
}

function montgomery(crv: 'X25519' | 'X448'): DhGroup<KeyObject, KeyObject> {
  const x25519 = crv === 'X25519'
  return {
    name: crv,
    kemId: x25519 ? 0x0020 : 0x0021,
    hash: x25519 ? 'SHA256' : 'SHA512',
    Nsecret: x25519 ? 32 : 64,
    Npk: x25519 ? 32 : 56,
    Nsk: x25519 ? 32 : 56,
    bitmask: null,
    isValidScalar: (sk) => sk.length === (x25519 ? 32 : 56),
    // Every Nsk-byte string is a valid X25519/X448 private key (RFC 7748 §5 clamps it), so a fresh key is
    // imported from random bytes: as fast as generateKeyPairSync + JWK export, and without that pair's
    // Node 20 deadlock (see ../dh.ts). The bytes come from the pooled CSPRNG: an HPKE seal draws one
    // ephemeral key, and a randomFillSync call of its own cost ~4 µs of a ~100 µs seal.
    generate: () => {
      const privateKey = pooledRandomBytes(x25519 ? 32 : 56)
      const p = okpPrivateKey(crv, privateKey)
      return { privateKey, publicKey: p.publicKey, handle: p.key }
    },
    randomPrivateKey: () => pooledRandomBytes(x25519 ? 32 : 56),
    importPrivate: (sk) => {
      const p = okpPrivateKey(crv, sk)
      return { handle: p.key, publicKey: p.publicKey }
    },
    importPublic: (pk) => okpPublicKey(crv, pk),
    dh: (sk, pk) => nodeDh(crv, sk, pk),
  }
}

function nist(crv: NistCurve, kemId: number, hash: HashName, nsecret: number, size: number, bitmask: number): DhGroup<KeyObject, KeyObject> {
  return {
    name: crv,
    kemId,
    hash,
    Nsecret: nsecret,
    Npk: 1 + 2 * size,
    Nsk: size,
    bitmask,
    isValidScalar: (sk) => ecScalarInRange(crv, sk),
    generate: () => {
      const kp = ecGenerate(crv)
      return { privateKey: kp.privateKey, publicKey: kp.publicKey, handle: kp.key }
    },
    randomPrivateKey: () => ecGenerate(crv).privateKey,
    importPrivate: (sk) => {
      const p = ecPrivateKey(crv, sk)
      return { handle: p.key, publicKey: p.publicKey }
    },
    importPublic: (pk) => ecPublicKey(crv, pk),
    dh: (sk, pk) => nodeDh(crv, sk, pk),
  }
}

export const X25519_GROUP = montgomery('X25519')
export const X448_GROUP = montgomery('X448')
export const P256_GROUP = nist('P-256', 0x0010, 'SHA256', 32, 32, 0xff)
export const P384_GROUP = nist('P-384', 0x0011, 'SHA384', 48, 48, 0xff)
export const P521_GROUP = nist('P-521', 0x0012, 'SHA512', 64, 66, 0x01)
