/**
 * Limits, defaults and domain-separation labels of the two-party sessions.
 *
 * MAX_SKIP is the Double Ratchet spec's (§3.2 "MAX_SKIP"): the largest number
 * of message keys one incoming message may make us derive and store, in the
 * current chain and again in the next one. A message beyond it is rejected
 * before any derivation. At most MAX_STORED_SKIPPED keys are kept (oldest
 * evicted first), and a stored key expires with age or after enough
 * receiving steps (spec §6.5 recommends deleting skipped keys "after an
 * appropriate time").
 */

export const RATCHET_VERSION = 1

/** Spec §3.2 MAX_SKIP. */
export const MAX_SKIP = 1000
/** Upper bound on stored skipped message keys, all chains together. */
export const MAX_STORED_SKIPPED = 2000
/** Closed receiving chains remembered so a replay to one is refused without a DH. */
export const MAX_PREVIOUS_RECEIVING_KEYS = 8
/** Largest plaintext a session encrypts or accepts (1 MiB). */
export const MAX_PLAINTEXT_BYTES = 1 << 20
/** Largest encoded SessionMessage accepted by the decoder. */
export const MAX_SESSION_MESSAGE_BYTES = MAX_PLAINTEXT_BYTES + 4096
/** Largest encoded SessionRecord accepted: 2000 skipped keys at ~90 bytes plus the rest. */
export const MAX_SESSION_RECORD_BYTES = 1 << 20
/** A chain counter must stay below this (uint32 on the wire). */
export const MAX_COUNTER = 0xffffffff

export interface RatchetPolicy {
  /** Spec MAX_SKIP. */
  readonly maxSkip: number
  /** Total stored skipped keys. */
  readonly maxStoredSkipped: number
  /** A skipped key older than this (ms) is deleted. */
  readonly skippedMaxAgeMs: number
  /** A skipped key stored more than this many receiving steps ago is deleted. */
  readonly skippedMaxSteps: number
}

export const DEFAULT_POLICY: RatchetPolicy = {
  maxSkip: MAX_SKIP,
  maxStoredSkipped: MAX_STORED_SKIPPED,
  skippedMaxAgeMs: 24 * 60 * 60 * 1000,
  skippedMaxSteps: 16,
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Domain-separation labels: every derivation and signature names its purpose and version. */
export const LABEL = {
  identityBinding: utf8('TALOS-DR identity v1'),
  signedPreKey: utf8('TALOS-DR signed prekey v1'),
  oneTimePreKey: utf8('TALOS-DR one-time prekey v1'),
  x3dh: utf8('TALOS-DR X3DH v1'),
  associatedData: utf8('TALOS-DR AD v1'),
  kdfRk: utf8('TALOS-DR root v1'),
  kdfRkHeader: utf8('TALOS-DR root+header v1'),
  messageKeys: utf8('TALOS-DR message keys v1'),
  header: utf8('TALOS-DR header v1'),
} as const
