/**
 * The error codes of the hybrid layer (HYBRID.md §4–§7). Every failure is a
 * TalosError with one of these codes; a rejected message never changes the
 * state. Codes are stable: callers branch on them.
 */
import { TalosError } from '../errors.js'

export const HybridErrorCode = {
  /** The frame or message is not a well-formed HybridMessage (bad field values, wrong lengths). */
  MALFORMED: 'HYBRID_MALFORMED',
  /** `version` is not 1. */
  UNSUPPORTED_VERSION: 'HYBRID_UNSUPPORTED_VERSION',
  /** The sender is not a member of the epoch, or is ourselves. */
  UNKNOWN_SENDER: 'HYBRID_UNKNOWN_SENDER',
  /** n (or pn) lies more than maximum_forward_distance ahead of the chain (§6). */
  TOO_FAR_AHEAD: 'HYBRID_TOO_FAR_AHEAD',
  /** The (step, n) was already decrypted, or its skipped key is gone: replay or duplicate. */
  DUPLICATE: 'HYBRID_DUPLICATE',
  /** The message belongs to a chain older than the skipped-key window (§6: 2 steps). */
  STALE_STEP: 'HYBRID_STALE_STEP',
  /** Already 64 messages of this sender wait for a missing rekey (§6). */
  BUFFER_FULL: 'HYBRID_BUFFER_FULL',
  /** A rekey blob with more entries than members - 1, or more than the targets (§6). */
  BLOB_TOO_LARGE: 'HYBRID_BLOB_TOO_LARGE',
  /** A rekey blob whose entries are not the targets the tree prescribes (§5). */
  BLOB_MISMATCH: 'HYBRID_BLOB_MISMATCH',
  /** No entry of the rekey blob is for us (or we lack the private key it was sealed to). */
  NO_REKEY_ENTRY: 'HYBRID_NO_REKEY_ENTRY',
  /** HPKE DecryptWithLabel of our rekey entry failed. */
  REKEY_DECRYPT: 'HYBRID_REKEY_DECRYPT',
  /** AEAD open failed: wrong key, tampered header/AAD, or an insider sent inconsistent r (§9). */
  DECRYPT: 'HYBRID_DECRYPT',
  /** The message's epoch is neither the current one nor a previous one inside its grace (§6). */
  EPOCH_EXPIRED: 'HYBRID_EPOCH_EXPIRED',
  /** A persisted state that does not decode or is inconsistent with the group view. */
  INVALID_STATE: 'HYBRID_INVALID_STATE',
  /** The group view could not provide something the protocol needs (a bug in the adapter). */
  VIEW: 'HYBRID_VIEW',
  /** A rekey_missing request we cannot answer (the rekey is no longer kept). */
  REKEY_UNAVAILABLE: 'HYBRID_REKEY_UNAVAILABLE',
  /** A configuration value out of range. */
  INVALID_POLICY: 'HYBRID_INVALID_POLICY',
  /** A caller's argument of the wrong type (a plaintext that is not a Uint8Array). */
  INVALID_ARGUMENT: 'HYBRID_INVALID_ARGUMENT',
} as const

export type HybridErrorCode = (typeof HybridErrorCode)[keyof typeof HybridErrorCode]

export function hybridError(code: HybridErrorCode, message: string, cause?: unknown): TalosError {
  return new TalosError(code, message, cause === undefined ? undefined : { cause })
}
