/**
 * The sender-key chain (as Signal's SenderChainKey): one HMAC-SHA256 chain per
 * sender key,
 *
 *   message_seed[i] = HMAC(CK[i], 0x01)
 *   CK[i+1]         = HMAC(CK[i], 0x02)          then CK[i] is deleted
 *   key || nonce    = HKDF-Expand(message_seed[i], "TALOS-SK message keys v1" || uint32(i), 32 + 12)
 *
 * then ChaCha20-Poly1305 under (key, nonce). The iteration is in the expand
 * info so a seed cannot be replayed at another position. `senderKeyCounters`
 * counts every derivation, so tests can prove a refusal happened before any.
 */
import { hkdfExpand, hmac, memzero } from '../crypto/sodium.js'
import { SK_LABEL } from './constants.js'

export const senderKeyCounters = { chain: 0, messageKeys: 0 }

export function totalSenderKeyDerivations(): number {
  return senderKeyCounters.chain + senderKeyCounters.messageKeys
}

const SEED = new Uint8Array([0x01])
const NEXT = new Uint8Array([0x02])

export interface SenderChainStep {
  readonly seed: Uint8Array
  readonly chainKey: Uint8Array
}

/** One chain step. The caller zeroes the input chain key when it replaces it. */
export function senderChainStep(chainKey: Uint8Array): SenderChainStep {
  senderKeyCounters.chain++
  return { seed: hmac('SHA256', chainKey, SEED), chainKey: hmac('SHA256', chainKey, NEXT) }
}

const info = new Uint8Array(SK_LABEL.messageKeys.length + 4)
info.set(SK_LABEL.messageKeys, 0)
const infoView = new DataView(info.buffer)

export interface SenderMessageKeys {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
}

/** AEAD key and nonce of one message seed. Zeroes the seed (consumed). */
export function senderMessageKeys(seed: Uint8Array, iteration: number): SenderMessageKeys {
  senderKeyCounters.messageKeys++
  infoView.setUint32(SK_LABEL.messageKeys.length, iteration)
  const out = hkdfExpand('SHA256', seed, info, 44)
  memzero(seed)
  // Copies, not subarray views: a 44-byte array lives on V8's JS heap, and a
  // view of it would first move it off-heap (slower than the two copies).
  const keys = { key: out.slice(0, 32), nonce: out.slice(32, 44) }
  memzero(out)
  return keys
}
