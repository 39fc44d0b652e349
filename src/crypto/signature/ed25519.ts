/**
 * Ed25519 (RFC 8032 §5.1) for suites 1 and 3: signing on node:crypto
 * (OpenSSL), verifying on libsodium.
 *
 * MLS stores the 32-byte seed as the private key (FORMAT.md: "native byte
 * string"). Signing needs it expanded (a scalar multiplication for the public
 * key): that is done once per key, by importing the seed into an OpenSSL
 * KeyObject (JWK `d`; OpenSSL derives the public key, which is exported and
 * never trusted from outside), and cached (key-cache.ts). Ed25519 is
 * deterministic, so the signature is the same whichever library computes it.
 *
 * Why the split, measured in CPU time per call on this machine (process.cpuUsage,
 * loaded 2-core box, 150 B / 1.1 KiB / 200 KB messages):
 *   sign    libsodium WASM  ~50 / 53 / 2700 µs   node:crypto ~40 / 40 / 1500 µs
 *   verify  libsodium WASM ~113 / 115 / 1700 µs  node:crypto ~112 / 113 / 1250 µs
 *                                                 (+ ~10 µs to import a public key)
 * Signing is faster on OpenSSL at every size (large messages: its native
 * SHA-512). Verifying is a tie for the small messages MLS verifies in bulk
 * (leaf nodes, framed content), and libsodium's verify is strict in a way
 * OpenSSL's is not (it rejects small-order public keys and R values and
 * non-canonical encodings), which every member must agree on: verify stays
 * on libsodium.
 */
import { sign as nodeSign, type KeyObject } from 'node:crypto'
import { TalosError } from '../../errors.js'
import { PrivateKeyCache } from '../key-cache.js'
import { okpPrivateKey } from '../node-keys.js'
import { randomBytes, sodium } from '../sodium.js'
import type { SignatureScheme } from './scheme.js'

interface Expanded {
  readonly key: KeyObject
  readonly publicKey: Uint8Array
}

function expand(seed: Uint8Array): Expanded {
  if (seed.length !== 32) {
    throw new TalosError('CRYPTO_INVALID_PRIVATE_KEY', `Ed25519 private key must be 32 bytes, got ${seed.length}`)
  }
  return okpPrivateKey('Ed25519', seed)
}

const cache = new PrivateKeyCache<Expanded>()

export const ed25519: SignatureScheme = {
  name: 'ed25519',
  generateKeyPair() {
    // The expansion is cached for the signature that usually follows (a KeyPackage, a leaf node).
    const seed = randomBytes(32)
    return { privateKey: seed, publicKey: cache.get(seed, expand).publicKey.slice() }
  },
  publicKey(privateKey) {
    return cache.get(privateKey, expand).publicKey.slice()
  },
  sign(privateKey, message) {
    const sig = nodeSign(null, message, cache.get(privateKey, expand).key)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength).slice()
  },
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    try {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    } catch {
      return false
    }
  },
}
