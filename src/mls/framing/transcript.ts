/**
 * Transcript hashes (RFC 9420 §8.2) and the confirmation tag (§6.1).
 *
 *   confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] || ConfirmedTranscriptHashInput_[n])
 *   interim_transcript_hash_[n]   = Hash(confirmed_transcript_hash_[n] || InterimTranscriptHashInput_[n])
 *   confirmation_tag              = MAC(confirmation_key, confirmed_transcript_hash)
 *
 * with ConfirmedTranscriptHashInput = { wire_format, content (a Commit),
 * signature } and InterimTranscriptHashInput = { confirmation_tag }. Both
 * hashes start as the empty string in epoch 0. Each hash input is written
 * straight after its prefix in one buffer (no intermediate encodings).
 *
 * The confirmation tag check is constant time (MLS_BAD_CONFIRMATION_TAG).
 */
import { Writer } from '../../codec/tls.js'
import { constantTimeEqual } from '../../crypto/index.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import {
  confirmedTranscriptHashInputCodec,
  ContentType,
  type AuthenticatedContent,
} from '../wire/index.js'

export interface TranscriptHashes {
  readonly confirmedTranscriptHash: Uint8Array
  readonly interimTranscriptHash: Uint8Array
}

function requireCommit(ac: AuthenticatedContent): void {
  if (ac.content.contentType !== ContentType.commit) {
    throw new TalosError('MLS_INVALID_STRUCTURE', 'only a Commit enters the transcript hash')
  }
}

/** Hash(interim_transcript_hash_before || ConfirmedTranscriptHashInput(ac)); the confirmation tag is not needed. */
export function confirmedTranscriptHash(
  suite: CipherSuite,
  interimBefore: Uint8Array,
  ac: AuthenticatedContent,
): Uint8Array {
  requireCommit(ac)
  const w = new Writer(interimBefore.length + 512)
  w.bytes(interimBefore)
  confirmedTranscriptHashInputCodec.encode(w, { wireFormat: ac.wireFormat, content: ac.content, signature: ac.auth.signature })
  return suite.hash(w.finish())
}

/** Hash(confirmed_transcript_hash || InterimTranscriptHashInput{confirmation_tag}). */
export function interimTranscriptHash(
  suite: CipherSuite,
  confirmedTranscriptHash: Uint8Array,
  confirmationTag: Uint8Array,
): Uint8Array {
  const w = new Writer(confirmedTranscriptHash.length + confirmationTag.length + 4)
  w.bytes(confirmedTranscriptHash)
  w.opaque(confirmationTag)
  return suite.hash(w.finish())
}

/** Both hashes after the Commit in `ac`, which must carry its confirmation_tag. */
export function nextTranscriptHashes(
  suite: CipherSuite,
  interimBefore: Uint8Array,
  ac: AuthenticatedContent,
): TranscriptHashes {
  const tag = ac.auth.confirmationTag
  if (tag === undefined) throw new TalosError('MLS_MISSING_CONFIRMATION_TAG', 'the Commit carries no confirmation_tag')
  const confirmed = confirmedTranscriptHash(suite, interimBefore, ac)
  return { confirmedTranscriptHash: confirmed, interimTranscriptHash: interimTranscriptHash(suite, confirmed, tag) }
}

/** MAC(confirmation_key, confirmed_transcript_hash). */
export function confirmationTag(suite: CipherSuite, confirmationKey: Uint8Array, confirmedTranscriptHash: Uint8Array): Uint8Array {
  return suite.mac(confirmationKey, confirmedTranscriptHash)
}

/** Throws MLS_BAD_CONFIRMATION_TAG unless `tag` is the confirmation tag (constant-time comparison). */
export function verifyConfirmationTag(
  suite: CipherSuite,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
  tag: Uint8Array,
): void {
  if (!constantTimeEqual(confirmationTag(suite, confirmationKey, confirmedTranscriptHash), tag)) {
    throw new TalosError('MLS_BAD_CONFIRMATION_TAG', 'confirmation_tag does not match the new epoch')
  }
}
