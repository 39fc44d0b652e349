/**
 * Limits and labels of Signal-style sender keys.
 *
 * A receiver accepts a message up to MAX_FORWARD iterations ahead of its
 * chain (deriving and storing the keys in between) and refuses anything
 * further before any derivation. It keeps at most MAX_SKIPPED_KEYS such keys
 * per sender key (oldest evicted) and at most two sender keys per member (the
 * current one and the one before, for messages still in flight across a
 * rotation).
 */

export const SENDERKEY_VERSION = 1

export interface SenderKeyPolicy {
  /** Largest accepted jump ahead of the receiving chain. */
  readonly maxForward: number
  /** Skipped message keys kept per sender key. */
  readonly maxSkippedKeys: number
}

export const DEFAULT_SENDERKEY_POLICY: SenderKeyPolicy = { maxForward: 1000, maxSkippedKeys: 1000 }

/** Sender keys kept per member: current and previous. */
export const MAX_STATES_PER_MEMBER = 2
/** Largest plaintext (1 MiB). */
export const MAX_SENDERKEY_PLAINTEXT = 1 << 20
export const MAX_SENDERKEY_MESSAGE_BYTES = MAX_SENDERKEY_PLAINTEXT + 4096
/** Member ids and group ids are short identifiers (DIDs, random ids). */
export const MAX_ID_BYTES = 512
/** A chain's iteration stays below this (uint32 on the wire). */
export const MAX_ITERATION = 0xfffffffe

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export const SK_LABEL = {
  messageKeys: utf8('TALOS-SK message keys v1'),
  messageTbs: utf8('TALOS-SK message v1'),
  messageAd: utf8('TALOS-SK ad v1'),
} as const
