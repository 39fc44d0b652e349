/**
 * The Double Ratchet's KDF chains (Signal "The Double Ratchet Algorithm" §5.2,
 * recommended cryptographic algorithms), over SHA-256:
 *
 *   KDF_RK(rk, dh_out) = HKDF(salt = rk, IKM = dh_out, info = "TALOS-DR root v1")
 *                        -> 32-byte root key || 32-byte chain key
 *     with header encryption (§4, KDF_RK_HE) the info is "TALOS-DR root+header v1"
 *     and a third 32-byte output is the next header key.
 *   KDF_CK(ck)         = (HMAC(ck, 0x02) as the next chain key, HMAC(ck, 0x01) as the message key)
 *   ENCRYPT keys       = HKDF-Expand(mk, "TALOS-DR message keys v1", 44)
 *                        -> ChaCha20-Poly1305 key (32) || nonce (12)
 *
 * The message key is used as an HKDF PRK directly (it is a uniformly random
 * HMAC output of the hash length), as the spec's ENCRYPT does with a zero salt.
 *
 * `ratchetCounters` counts every DH and KDF call so that tests can prove a
 * hostile message was rejected before any derivation.
 */
import { x25519 } from '../crypto/dh.js'
import { hkdfExpand, hkdfExtract, hmac, memzero } from '../crypto/sodium.js'
import { LABEL } from './constants.js'

export const KEY_BYTES = 32
export const NONCE_BYTES = 12

/** Derivation counters (monotonic; tests read differences). */
export const ratchetCounters = { dh: 0, kdfRk: 0, kdfCk: 0, messageKeys: 0 }

export function totalDerivations(): number {
  return ratchetCounters.dh + ratchetCounters.kdfRk + ratchetCounters.kdfCk + ratchetCounters.messageKeys
}

const CK_MESSAGE = new Uint8Array([0x01])
const CK_NEXT = new Uint8Array([0x02])

/** DH(dh_pair, dh_pub) of the spec, counted. */
export function ratchetDh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  ratchetCounters.dh++
  return x25519(privateKey, publicKey)
}

export interface RootStep {
  readonly rootKey: Uint8Array
  readonly chainKey: Uint8Array
  /** Next header key, with header encryption only. */
  readonly nextHeaderKey: Uint8Array | undefined
}

/** KDF_RK / KDF_RK_HE. Zeroes dhOut (consumed); the caller zeroes the old root key. */
export function kdfRk(rootKey: Uint8Array, dhOut: Uint8Array, headerEncryption: boolean): RootStep {
  ratchetCounters.kdfRk++
  const prk = hkdfExtract('SHA256', rootKey, dhOut)
  memzero(dhOut)
  const out = hkdfExpand('SHA256', prk, headerEncryption ? LABEL.kdfRkHeader : LABEL.kdfRk, headerEncryption ? 96 : 64)
  memzero(prk)
  const step: RootStep = {
    rootKey: out.slice(0, 32),
    chainKey: out.slice(32, 64),
    nextHeaderKey: headerEncryption ? out.slice(64, 96) : undefined,
  }
  memzero(out)
  return step
}

export interface ChainStep {
  readonly chainKey: Uint8Array
  readonly messageKey: Uint8Array
}

/** KDF_CK. The caller zeroes the input chain key once it has replaced it. */
export function kdfCk(chainKey: Uint8Array): ChainStep {
  ratchetCounters.kdfCk++
  return { messageKey: hmac('SHA256', chainKey, CK_MESSAGE), chainKey: hmac('SHA256', chainKey, CK_NEXT) }
}

export interface AeadKeys {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
}

/** The AEAD key and nonce of one message key. Zeroes the message key (consumed). */
export function messageAeadKeys(messageKey: Uint8Array): AeadKeys {
  ratchetCounters.messageKeys++
  const out = hkdfExpand('SHA256', messageKey, LABEL.messageKeys, KEY_BYTES + NONCE_BYTES)
  memzero(messageKey)
  // Copies, not subarray views: a 44-byte array lives on V8's JS heap, and a
  // view of it would first move it off-heap (slower than the two copies).
  const keys = { key: out.slice(0, KEY_BYTES), nonce: out.slice(KEY_BYTES) }
  memzero(out)
  return keys
}
