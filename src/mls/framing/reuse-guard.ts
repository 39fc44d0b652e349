/**
 * The reuse guard (RFC 9420 §6.3.1): "the sender of a message MUST generate a
 * fresh random four-byte 'reuse guard' value and XOR it with the first four
 * bytes of the nonce from the key schedule before using the nonce for
 * encryption", so a sender that lost its ratchet state and reuses a
 * generation still does not reuse a nonce (with probability 1 - 2^-32).
 *
 * Why a pool: a call for random bytes costs about as much whatever its size
 * (~2.5 µs through node:crypto, far more through libsodium's WASM
 * randombytes), several per cent of a whole message, so guards are cut from a
 * 1 KiB block of CSPRNG output drawn once per 256 messages. Each guard is
 * copied out and its bytes in the pool zeroed, so no guard is ever handed out
 * twice or kept after use.
 */
import { memzero, randomBytes } from '../../crypto/index.js'

export const REUSE_GUARD_LENGTH = 4
const POOL_SIZE = 1024

let pool: Uint8Array = new Uint8Array(0)
let offset = 0

/** Four fresh random octets. */
export function freshReuseGuard(): Uint8Array {
  if (offset + REUSE_GUARD_LENGTH > pool.length) {
    memzero(pool)
    pool = randomBytes(POOL_SIZE)
    offset = 0
  }
  const guard = pool.slice(offset, offset + REUSE_GUARD_LENGTH)
  memzero(pool.subarray(offset, offset + REUSE_GUARD_LENGTH))
  offset += REUSE_GUARD_LENGTH
  return guard
}

/** nonce[0..3] ^= guard, into a fresh buffer (the ratchet's nonce is left as it is). */
export function guardedNonce(nonce: Uint8Array, guard: Uint8Array): Uint8Array {
  const out = nonce.slice()
  for (let i = 0; i < REUSE_GUARD_LENGTH; i++) out[i]! ^= guard[i]!
  return out
}
