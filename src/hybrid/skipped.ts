/**
 * Skipped message keys and buffered messages: bookkeeping applied at commit
 * time (HYBRID.md §6, §7). Limits: 100 keys per (sender, chain), the lowest
 * n evicted first; 2000 per group, the oldest evicted first; expiry after
 * 24 h or once the sender's chain is 2 steps further; buffered messages
 * expire with the same time bound. Every deleted key is zeroed.
 *
 * The keys live in a SkippedKeys store (skipped-store.ts) indexed by chain
 * and by age, so adding, evicting and the step expiry of a rekey touch only
 * the keys concerned; only the periodic expiry pass (at most once a second,
 * session.ts) looks at every key.
 */
import { memzero } from '../crypto/sodium.js'
import type { HybridPolicy } from './policy.js'
import type { SkippedKey } from './skipped-store.js'
import type { EpochState } from './state.js'

function zero(k: SkippedKey): void {
  memzero(k.key)
  memzero(k.nonce)
}

/** Deletes (zeroes) one stored key. */
export function deleteSkipped(s: EpochState, k: SkippedKey): void {
  s.skipped.delete(k)
  zero(k)
}

/** A live skipped key (present and not expired by time). */
export function lookupSkipped(s: EpochState, policy: HybridPolicy, sender: number, step: number, n: number, now: number): SkippedKey | undefined {
  const k = s.skipped.get(sender, step, n)
  return k !== undefined && now - k.createdMs <= policy.skippedKeyTtlMs ? k : undefined
}

/** Adds keys (ascending n, one chain) and enforces the per-chain and per-group caps. */
export function addSkipped(
  s: EpochState,
  policy: HybridPolicy,
  sender: number,
  step: number,
  keys: readonly { n: number; key: Uint8Array; nonce: Uint8Array }[],
  now: number,
): void {
  if (keys.length === 0) return
  for (const k of keys) {
    const seq = s.skippedSeq++
    const displaced = s.skipped.add({ sender, step, n: k.n, key: k.key, nonce: k.nonce, createdMs: now, seq })
    if (displaced !== undefined) zero(displaced)
  }
  const chain = s.skipped.chainKeys(sender, step)
  if (chain !== undefined && chain.size > policy.maxSkippedPerChain) {
    // Ascending n: the first ones are the lowest.
    const drop: SkippedKey[] = []
    for (const k of chain.values()) {
      if (chain.size - drop.length <= policy.maxSkippedPerChain) break
      drop.push(k)
    }
    for (const k of drop) deleteSkipped(s, k)
  }
  while (s.skipped.size > policy.maxSkippedPerGroup) deleteSkipped(s, s.skipped.oldest()!)
}

/** §6: on a rekey of `sender` to `step`, its keys of chains skippedKeyMaxSteps or more behind are gone. */
export function expireSkippedSteps(s: EpochState, policy: HybridPolicy, sender: number, step: number): void {
  for (const k of s.skipped.keysUpToStep(sender, step - policy.skippedKeyMaxSteps)) deleteSkipped(s, k)
}

/** Time and step expiry of skipped keys and buffered messages. */
export function expireSkipped(s: EpochState, policy: HybridPolicy, now: number): void {
  const gone: SkippedKey[] = []
  for (const k of s.skipped.values()) {
    const chain = s.receive.get(k.sender)
    const stepGone = chain !== undefined && chain.step - k.step >= policy.skippedKeyMaxSteps
    if (stepGone || now - k.createdMs > policy.skippedKeyTtlMs) gone.push(k)
  }
  for (const k of gone) deleteSkipped(s, k)
  if (s.buffered.some((b) => now - b.receivedMs > policy.skippedKeyTtlMs)) {
    s.buffered = s.buffered.filter((b) => now - b.receivedMs <= policy.skippedKeyTtlMs)
  }
}
