/**
 * One step of a symmetric ratchet and the AEAD operation its key and nonce
 * are for, as one call (the per-message step of HYBRID.md §3/§4; RFC 9420
 * §9.1's secret tree has the same shape):
 *
 *   key   = Expand(secret, infos[0], Nk)
 *   nonce = Expand(secret, infos[1], Nn) XOR (mask || zeros)       (the reuse guard, RFC 9420 §6.3.1)
 *   next  = Expand(secret, infos[2], Nh)
 *   then open(key, nonce, aad, ciphertext), or seal(key, nonce, aad, plaintext) into out[offset ..]
 *
 * key and nonce are consumed inside the call: the caller never holds them,
 * so has nothing of them to zero. `next` is fresh and the caller's.
 *
 * For ChaCha20-Poly1305 over SHA-256 or SHA-512 (suites 3 and 6) with small
 * inputs, everything runs in one pass through libsodium's WASM heap
 * (sodium.ts ratchetChacha*): the key and nonce are written by HMAC where
 * the AEAD reads them, and the inputs are copied in once. Other suites and
 * long messages (the node:crypto side of aead.ts) take expandMany, then the
 * AEAD: the same bytes.
 */
import { TalosError } from '../errors.js'
import type { Aead } from './aead.js'
import { NATIVE_CHACHA_MIN } from './aead.js'
import type { HashKdf } from './kdf.js'
import { memzero, NATIVE_MAC_MIN, ratchetChachaOpen, ratchetChachaSealInto } from './sodium.js'

export type RatchetInfos = readonly [Uint8Array, Uint8Array, Uint8Array]

export interface RatchetAead {
  /** The plaintext and `next`; TalosError CRYPTO_AEAD_DECRYPT on a bad tag (then nothing is returned and all is zeroed). */
  open(secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): { plaintext: Uint8Array; next: Uint8Array }
  /** Seals into out[offset .. offset + plaintext.length + Nt) and returns `next`. */
  sealInto(secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): Uint8Array
}

function check(kdf: HashKdf, aead: Aead, secret: Uint8Array, mask: Uint8Array): void {
  if (secret.length !== kdf.Nh) throw new TalosError('CRYPTO_INVALID_KEY', `ratchet secret must be ${kdf.Nh} bytes, got ${secret.length}`)
  if (mask.length > aead.Nn) throw new TalosError('CRYPTO_INVALID_NONCE', `nonce mask of ${mask.length} bytes is longer than the nonce`)
}

/** Whether the one-pass WASM form applies (else the generic form, same result). */
function wasmForm(kdf: HashKdf, aead: Aead, infos: RatchetInfos, messageLength: number): kdf is HashKdf & { name: 'SHA256' | 'SHA512' } {
  return (
    aead.name === 'CHACHA20POLY1305' &&
    kdf.name !== 'SHA384' &&
    messageLength < NATIVE_CHACHA_MIN &&
    infos[0].length < NATIVE_MAC_MIN &&
    infos[1].length < NATIVE_MAC_MIN &&
    infos[2].length < NATIVE_MAC_MIN
  )
}

/** key, nonce (mask applied in place) and next by the generic KDF. */
function derive(kdf: HashKdf, aead: Aead, secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const [key, nonce, next] = kdf.expandMany(secret, infos, [aead.Nk, aead.Nn, kdf.Nh])
  for (let i = 0; i < mask.length; i++) nonce![i]! ^= mask[i]!
  return [key!, nonce!, next!]
}

/**
 * `use` on a generically derived key and nonce, which are zeroed after it;
 * `next` is returned with its result, or zeroed if it throws.
 */
function withDerived<T>(
  kdf: HashKdf,
  aead: Aead,
  secret: Uint8Array,
  infos: RatchetInfos,
  mask: Uint8Array,
  use: (key: Uint8Array, nonce: Uint8Array) => T,
): { value: T; next: Uint8Array } {
  const [key, nonce, next] = derive(kdf, aead, secret, infos, mask)
  try {
    return { value: use(key, nonce), next }
  } catch (e) {
    memzero(next)
    throw e
  } finally {
    memzero(key)
    memzero(nonce)
  }
}

export function ratchetAead(kdf: HashKdf, aead: Aead): RatchetAead {
  return {
    open(secret, infos, mask, aad, ciphertext) {
      check(kdf, aead, secret, mask)
      if (wasmForm(kdf, aead, infos, ciphertext.length - aead.Nt)) {
        const r = ratchetChachaOpen(kdf.name, secret, infos, kdf.Nh, mask, aad, ciphertext)
        if (r === undefined) throw new TalosError('CRYPTO_AEAD_DECRYPT', `${aead.name}: authentication failed`)
        return r
      }
      const r = withDerived(kdf, aead, secret, infos, mask, (key, nonce) => aead.open(key, nonce, aad, ciphertext))
      return { plaintext: r.value, next: r.next }
    },
    sealInto(secret, infos, mask, aad, plaintext, out, offset) {
      check(kdf, aead, secret, mask)
      if (!Number.isInteger(offset) || offset < 0 || offset + plaintext.length + aead.Nt > out.length) {
        throw new TalosError('CRYPTO_INVALID_LENGTH', `${aead.name}: no room for ${plaintext.length + aead.Nt} ciphertext bytes at offset ${offset}`)
      }
      if (wasmForm(kdf, aead, infos, plaintext.length)) return ratchetChachaSealInto(kdf.name, secret, infos, kdf.Nh, mask, aad, plaintext, out, offset)
      return withDerived(kdf, aead, secret, infos, mask, (key, nonce) => aead.sealInto(key, nonce, aad, plaintext, out, offset)).next
    },
  }
}
