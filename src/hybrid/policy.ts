/**
 * Policy defaults of HYBRID.md §5 and §6, all configurable. Times are in
 * milliseconds of the injected clock.
 */
import { hybridError } from './errors.js'

export type RekeyMode = 'auto' | 'copath' | 'pairwise'

export interface HybridPolicy {
  /** 'auto': pairwise for groups of at most `pairwiseMaxMembers`, copath above (§5). */
  readonly rekeyMode: RekeyMode
  readonly pairwiseMaxMembers: number
  /** The ping-pong rule applies up to this many members (§6). */
  readonly pingPongMaxMembers: number
  /** Rekey once this many messages were sent in the current chain. */
  readonly rekeyAfterMessages: number
  /** Rekey once the current chain is this old. */
  readonly rekeyAfterMs: number
  /** At most one rekey per this interval (a restore rekey is not held back). */
  readonly minRekeyIntervalMs: number
  /** n or pn further than this beyond the chain is rejected before any derivation. */
  readonly maxForwardDistance: number
  readonly maxSkippedPerChain: number
  readonly maxSkippedPerGroup: number
  readonly skippedKeyTtlMs: number
  /** A skipped key of chain k is deleted once the sender's chain reaches k + this. */
  readonly skippedKeyMaxSteps: number
  readonly maxBufferedPerSender: number
  /** Largest encoded HybridMessage that is buffered (bounds memory: 64 × this per sender). */
  readonly maxBufferedMessageBytes: number
  /** Previous epoch kept for this many epochs and this long (§6). */
  readonly epochGraceEpochs: number
  readonly epochGraceMs: number
  /** Pairwise receive keys: announce a new version after this many sends / this long (§5). */
  readonly announceAfterMessages: number
  readonly announceAfterMs: number
  readonly maxReceiveKeyVersions: number
  readonly maxReceiveKeyAgeMs: number
  /** Advisory (the group decides): self-commit after this much activity / this many sends (§6). */
  readonly selfCommitAfterMs: number
  readonly selfCommitAfterMessages: number
  /** DATA_REKEY frames kept to answer rekey_missing. */
  readonly keptRekeys: number
}

const HOUR = 3_600_000

export const DEFAULT_HYBRID_POLICY: HybridPolicy = Object.freeze({
  rekeyMode: 'auto',
  pairwiseMaxMembers: 16,
  pingPongMaxMembers: 256,
  rekeyAfterMessages: 50,
  rekeyAfterMs: HOUR,
  minRekeyIntervalMs: 1000,
  maxForwardDistance: 1000,
  maxSkippedPerChain: 100,
  maxSkippedPerGroup: 2000,
  skippedKeyTtlMs: 24 * HOUR,
  skippedKeyMaxSteps: 2,
  maxBufferedPerSender: 64,
  maxBufferedMessageBytes: 1 << 20,
  epochGraceEpochs: 1,
  epochGraceMs: 10 * 60_000,
  announceAfterMessages: 50,
  announceAfterMs: HOUR,
  maxReceiveKeyVersions: 5,
  maxReceiveKeyAgeMs: 7 * 24 * HOUR,
  selfCommitAfterMs: 24 * HOUR,
  selfCommitAfterMessages: 200,
  keptRekeys: 2,
} satisfies HybridPolicy)

/** Defaults overridden by `overrides`, every number checked. */
export function resolvePolicy(overrides: Partial<HybridPolicy> = {}): HybridPolicy {
  const p: HybridPolicy = { ...DEFAULT_HYBRID_POLICY, ...overrides }
  if (!['auto', 'copath', 'pairwise'].includes(p.rekeyMode)) throw hybridError('HYBRID_INVALID_POLICY', `unknown rekey mode ${String(p.rekeyMode)}`)
  for (const [k, v] of Object.entries(p)) {
    if (k === 'rekeyMode') continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw hybridError('HYBRID_INVALID_POLICY', `${k} must be a non-negative integer`)
  }
  if (p.maxForwardDistance > 1_000_000) throw hybridError('HYBRID_INVALID_POLICY', 'maxForwardDistance is unreasonably large')
  if (p.maxReceiveKeyVersions < 1) throw hybridError('HYBRID_INVALID_POLICY', 'maxReceiveKeyVersions must be at least 1')
  if (p.skippedKeyMaxSteps < 1) throw hybridError('HYBRID_INVALID_POLICY', 'skippedKeyMaxSteps must be at least 1')
  return Object.freeze(p)
}

/** The rekey mode used by a sender in a group of `members` members. */
export function effectiveMode(policy: HybridPolicy, members: number): 'copath' | 'pairwise' {
  if (policy.rekeyMode !== 'auto') return policy.rekeyMode
  return members <= policy.pairwiseMaxMembers ? 'pairwise' : 'copath'
}
