/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, 192-bit nonce) on libsodium,
 * for keys that encrypt many messages under random nonces: the Double
 * Ratchet's header keys (Signal Double Ratchet spec §4, "HENCRYPT") stay the
 * same for a whole chain, so the nonce must be random and 96 bits is too
 * short a random nonce to be comfortable. The IETF ChaCha20-Poly1305 of the
 * MLS suites is in aead.ts.
 *
 * Output: nonce (24) || ciphertext || tag (16). Types and sizes are checked
 * before any call: libsodium would otherwise take a string as UTF-8 bytes (a
 * 32-character string would pass as a key) and raise a TypeError on
 * undefined. A bad tag or a short or untyped sealed input is
 * CRYPTO_AEAD_DECRYPT, nothing else.
 */
import { TalosError } from '../errors.js'
import { secureRandom } from './dh.js'
import { sodium } from './sodium.js'

export const XCHACHA_KEY_BYTES = 32
export const XCHACHA_NONCE_BYTES = 24
export const XCHACHA_TAG_BYTES = 16
/** Bytes added to a plaintext by xchachaSeal. */
export const XCHACHA_OVERHEAD = XCHACHA_NONCE_BYTES + XCHACHA_TAG_BYTES

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== XCHACHA_KEY_BYTES) {
    const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key
    throw new TalosError('CRYPTO_INVALID_KEY', `XChaCha20-Poly1305 key must be 32 bytes, got ${got}`)
  }
}

function checkBytes(v: Uint8Array, what: string): void {
  if (!(v instanceof Uint8Array)) throw new TalosError('CRYPTO_INVALID_ARGUMENT', `XChaCha20-Poly1305 ${what} must be a Uint8Array`)
}

/** Encrypts under a fresh random nonce, returned in front of the ciphertext. */
export function xchachaSeal(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKey(key)
  checkBytes(aad, 'aad')
  checkBytes(plaintext, 'plaintext')
  const nonce = secureRandom(XCHACHA_NONCE_BYTES)
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key)
  const out = new Uint8Array(XCHACHA_NONCE_BYTES + ct.length)
  out.set(nonce, 0)
  out.set(ct, XCHACHA_NONCE_BYTES)
  return out
}

/** Opens nonce || ciphertext || tag; TalosError CRYPTO_AEAD_DECRYPT on any failure. */
export function xchachaOpen(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  checkKey(key)
  checkBytes(aad, 'aad')
  if (!(sealed instanceof Uint8Array) || sealed.length < XCHACHA_OVERHEAD) throw new TalosError('CRYPTO_AEAD_DECRYPT', 'XChaCha20-Poly1305: input is not bytes or too short')
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(XCHACHA_NONCE_BYTES),
      aad,
      sealed.subarray(0, XCHACHA_NONCE_BYTES),
      key,
    )
  } catch {
    throw new TalosError('CRYPTO_AEAD_DECRYPT', 'XChaCha20-Poly1305: authentication failed')
  }
}
