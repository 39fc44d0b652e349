/**
 * Sender data encryption (RFC 9420 §6.3.2).
 *
 *   struct { uint32 leaf_index; uint32 generation; opaque reuse_guard[4]; } SenderData;
 *   encrypted_sender_data = AEAD.Seal(sender_data_key, sender_data_nonce, SenderDataAAD, SenderData)
 *
 * with sender_data_key / sender_data_nonce derived from sender_data_secret and
 * the first KDF.Nh octets of the content ciphertext (src/mls/schedule/sender-data.ts).
 * The derived key and nonce are single-use and zeroed here after the AEAD.
 * SenderData is a fixed 12 octets, so it is written and read directly.
 */
import { memzero } from '../../crypto/index.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { deriveSenderDataKeyNonce } from '../schedule/index.js'
import type { SenderData } from '../wire/index.js'

export const SENDER_DATA_LENGTH = 12

function encodeSenderData(sd: SenderData): Uint8Array {
  if (sd.reuseGuard.length !== 4) throw new TalosError('MLS_INVALID_STRUCTURE', 'reuse_guard must be 4 octets')
  const out = new Uint8Array(SENDER_DATA_LENGTH)
  const view = new DataView(out.buffer)
  view.setUint32(0, sd.leafIndex)
  view.setUint32(4, sd.generation)
  out.set(sd.reuseGuard, 8)
  return out
}

export function encryptSenderData(
  suite: CipherSuite,
  senderDataSecret: Uint8Array,
  aad: Uint8Array,
  contentCiphertext: Uint8Array,
  sd: SenderData,
): Uint8Array {
  const plaintext = encodeSenderData(sd)
  const { key, nonce } = deriveSenderDataKeyNonce(suite, senderDataSecret, contentCiphertext)
  try {
    return suite.seal(key, nonce, aad, plaintext)
  } finally {
    memzero(key)
    memzero(nonce)
  }
}

/** MLS_SENDER_DATA_DECRYPT_FAILED on a bad tag or a plaintext that is not a SenderData. */
export function decryptSenderData(
  suite: CipherSuite,
  senderDataSecret: Uint8Array,
  aad: Uint8Array,
  contentCiphertext: Uint8Array,
  encrypted: Uint8Array,
): SenderData {
  const { key, nonce } = deriveSenderDataKeyNonce(suite, senderDataSecret, contentCiphertext)
  let plaintext: Uint8Array
  try {
    plaintext = suite.open(key, nonce, aad, encrypted)
  } catch (e) {
    throw new TalosError('MLS_SENDER_DATA_DECRYPT_FAILED', 'encrypted_sender_data does not decrypt', { cause: e })
  } finally {
    memzero(key)
    memzero(nonce)
  }
  if (plaintext.length !== SENDER_DATA_LENGTH) {
    throw new TalosError('MLS_SENDER_DATA_DECRYPT_FAILED', `SenderData is ${plaintext.length} octets, not ${SENDER_DATA_LENGTH}`)
  }
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
  return { leafIndex: view.getUint32(0), generation: view.getUint32(4), reuseGuard: plaintext.slice(8, 12) }
}
