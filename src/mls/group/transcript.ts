/**
 * Transcript hashes and the confirmation tag (RFC 9420 §8.2, §6.1).
 *
 *   confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n])
 *   interim_transcript_hash_[n]   = Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n])
 *   confirmation_tag              = MAC(confirmation_key, confirmed_transcript_hash)
 *
 * At group creation (§11) the confirmed transcript hash is empty and the
 * interim one follows from the epoch-0 confirmation tag.
 */
import { constantTimeEqual } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import type { AuthenticatedContent } from '../wire/framing.js'
import { confirmedTranscriptHashInputBytes, interimTranscriptHashInputBytes } from '../wire/transcript.js'

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export function confirmationTag(suite: CipherSuite, confirmationKey: Uint8Array, confirmedTranscriptHash: Uint8Array): Uint8Array {
  return suite.mac(confirmationKey, confirmedTranscriptHash)
}

/** Constant-time check of a received confirmation tag (MLS_INVALID_CONFIRMATION_TAG). */
export function verifyConfirmationTag(
  suite: CipherSuite,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
  tag: Uint8Array,
): void {
  if (!constantTimeEqual(confirmationTag(suite, confirmationKey, confirmedTranscriptHash), tag)) {
    throw new TalosError('MLS_INVALID_CONFIRMATION_TAG', 'confirmation_tag does not match the new epoch')
  }
}

/** confirmed_transcript_hash after a commit (its AuthenticatedContent carries the signature). */
export function nextConfirmedTranscriptHash(
  suite: CipherSuite,
  interimTranscriptHash: Uint8Array,
  commit: AuthenticatedContent,
): Uint8Array {
  return suite.hash(concat(interimTranscriptHash, confirmedTranscriptHashInputBytes(commit)))
}

export function nextInterimTranscriptHash(
  suite: CipherSuite,
  confirmedTranscriptHash: Uint8Array,
  confirmationTag: Uint8Array,
): Uint8Array {
  return suite.hash(concat(confirmedTranscriptHash, interimTranscriptHashInputBytes(confirmationTag)))
}
