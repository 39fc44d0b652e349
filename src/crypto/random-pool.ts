/**
 * Small CSPRNG outputs served from a block of node:crypto randomness.
 *
 * randomFillSync has a fixed cost of ~3-4 µs per call here whatever the size
 * (a synchronous RandomBytesJob into OpenSSL's DRBG), so an HPKE seal that
 * draws a 32-byte ephemeral key, or a hybrid message that draws a 4-byte
 * reuse guard, paid more for the call than for the bytes. A 4 KiB block is
 * drawn at once (~10-30 µs) and handed out in slices.
 *
 * Every slice is copied out and its bytes zeroed in the block in the same
 * call, so nothing handed out stays behind or is handed out twice; the rest
 * of the block is future output of the same DRBG, held in process memory as
 * OpenSSL's own state is. Not libsodium's randombytes_buf: its WASM build
 * calls back into JavaScript for every 4 bytes (~17-40 µs for 4 bytes).
 */
import { randomFillSync } from 'node:crypto'
import { TalosError } from '../errors.js'

const BLOCK_BYTES = 4096
let block = new Uint8Array(0)
let pos = 0

/** n fresh random bytes (a new array owned by the caller). */
export function pooledRandomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new TalosError('CRYPTO_INVALID_LENGTH', `bad random length ${n}`)
  if (n > BLOCK_BYTES / 4) return randomFillSync(new Uint8Array(n))
  if (pos + n > block.length) {
    block.fill(0)
    block = randomFillSync(new Uint8Array(BLOCK_BYTES))
    pos = 0
  }
  const out = block.slice(pos, pos + n)
  block.fill(0, pos, pos + n)
  pos += n
  return out
}
