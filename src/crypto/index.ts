/**
 * Public face of src/crypto: the MLS cipher suites (RFC 9420 §17.1) behind
 * the CipherSuite contract of suite.ts, plus the libsodium primitives of
 * sodium.ts (HKDF, HMAC, SHA-2, randomness, zeroing, constant-time compare).
 *
 *   const cs = getCipherSuite(1)
 *   const key = cs.expandWithLabel(secret, 'key', context, cs.Nk)
 *
 * One CipherSuite object per suite, built on first use and then shared.
 */
import { TalosError } from '../errors.js'
import { buildCipherSuite } from './suites.js'
import { CIPHER_SUITE_IDS, type CipherSuite, type CipherSuiteId } from './suite.js'

export * from './sodium.js'
export * from './suite.js'
/** The suite-independent building blocks, for protocols that are not MLS (sender keys, ratchet). */
export { aead, type Aead, type AeadName } from './aead.js'
export { hashKdf, type HashKdf } from './kdf.js'
export { ratchetAead, type RatchetAead, type RatchetInfos } from './ratchet-aead.js'
/** Drops the parsed/expanded forms of a private key from every cache (call when the key is deleted). */
export { forgetPrivateKey } from './key-cache.js'

const built = new Map<CipherSuiteId, CipherSuite>()

export function isSupportedCipherSuite(id: number): id is CipherSuiteId {
  return (CIPHER_SUITE_IDS as readonly number[]).includes(id)
}

/** The cipher suite with this RFC 9420 §17.1 id; TalosError CRYPTO_UNSUPPORTED_SUITE otherwise. */
export function getCipherSuite(id: number): CipherSuite {
  if (!isSupportedCipherSuite(id)) {
    throw new TalosError('CRYPTO_UNSUPPORTED_SUITE', `cipher suite ${id} is not supported`)
  }
  let suite = built.get(id)
  if (suite === undefined) {
    suite = buildCipherSuite(id)
    built.set(id, suite)
  }
  return suite
}
