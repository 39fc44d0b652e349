/**
 * Ed25519 (RFC 8032 §5.1) on libsodium, for suites 1 and 3.
 *
 * MLS stores the 32-byte seed as the private key (FORMAT.md: "native byte
 * string"); libsodium signs with the 64-byte seed || public key, which costs
 * a scalar multiplication to build. That expansion is done once per key and
 * cached (key-cache.ts). libsodium's verify rejects non-canonical S and
 * small-order public keys.
 */
import { TalosError } from '../../errors.js'
import { PrivateKeyCache } from '../key-cache.js'
import { memzero, randomBytes, sodium } from '../sodium.js'
import type { SignatureScheme } from './scheme.js'

interface Expanded {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

function expand(seed: Uint8Array): Expanded {
  if (seed.length !== 32) {
    throw new TalosError('CRYPTO_INVALID_PRIVATE_KEY', `Ed25519 private key must be 32 bytes, got ${seed.length}`)
  }
  const kp = sodium.crypto_sign_seed_keypair(seed)
  return { secretKey: kp.privateKey, publicKey: kp.publicKey }
}

const cache = new PrivateKeyCache<Expanded>((e) => memzero(e.secretKey))

export const ed25519: SignatureScheme = {
  name: 'ed25519',
  generateKeyPair() {
    const seed = randomBytes(32)
    const kp = sodium.crypto_sign_seed_keypair(seed)
    memzero(kp.privateKey)
    return { privateKey: seed, publicKey: kp.publicKey }
  },
  publicKey(privateKey) {
    return cache.get(privateKey, expand).publicKey.slice()
  },
  sign(privateKey, message) {
    return sodium.crypto_sign_detached(message, cache.get(privateKey, expand).secretKey)
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
