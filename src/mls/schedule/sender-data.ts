/**
 * Sender data key and nonce (RFC 9420 §6.3.2):
 *
 *   ciphertext_sample = ciphertext[0..KDF.Nh-1]   (the whole ciphertext if shorter)
 *   sender_data_key   = ExpandWithLabel(sender_data_secret, "key",   ciphertext_sample, AEAD.Nk)
 *   sender_data_nonce = ExpandWithLabel(sender_data_secret, "nonce", ciphertext_sample, AEAD.Nn)
 *
 * sender_data_secret lives for the whole epoch (every PrivateMessage needs it),
 * so it is borrowed here and never zeroed.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'

export interface SenderDataKeyNonce {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
}

/** The first Nh bytes of the content ciphertext (a view, not a copy). */
export function ciphertextSample(suite: CipherSuite, ciphertext: Uint8Array): Uint8Array {
  return ciphertext.subarray(0, Math.min(suite.Nh, ciphertext.length))
}

export function deriveSenderDataKeyNonce(
  suite: CipherSuite,
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): SenderDataKeyNonce {
  if (senderDataSecret.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_SECRET_LENGTH', `sender_data_secret must be ${suite.Nh} bytes`)
  }
  const sample = ciphertextSample(suite, ciphertext)
  return {
    key: suite.expandWithLabel(senderDataSecret, 'key', sample, suite.Nk),
    nonce: suite.expandWithLabel(senderDataSecret, 'nonce', sample, suite.Nn),
  }
}
