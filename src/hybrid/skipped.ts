/**
 * Skipped message keys and buffered messages: bookkeeping applied at commit
 * time (HYBRID.md §6, §7). Limits: 100 keys per (sender, chain), 2000 per
 * group (oldest evicted first), expiry after 24 h or once the sender's chain
 * is 2 steps further; buffered messages expire with the same time bound.
 * Every deleted key is zeroed.
 *
 * The skipped map is kept in insertion (= seq) order, so the oldest key is
 * always the first one iterated.
 */
import { memzero } from '../crypto/sodium.js'
import type { HybridPolicy } from './policy.js'
import { skippedId, type EpochState, type SkippedKey } from './state.js'

export function deleteSkipped(s: EpochState, id: string): void {
  const k = s.skipped.get(id)
  if (k === undefined) return
  memzero(k.key)
  memzero(k.nonce)
  s.skipped.delete(id)
}

/** A live skipped key (present and not expired by time). */
export function lookupSkipped(s: EpochState, policy: HybridPolicy, sender: number, step: number, n: number, now: number): SkippedKey | undefined {
  const k = s.skipped.get(skippedId(sender, step, n))
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
    s.skipped.set(skippedId(sender, step, k.n), { sender, step, n: k.n, key: k.key, nonce: k.nonce, createdMs: now, seq })
  }
  const chainKeys = [...s.skipped.values()].filter((k) => k.sender === sender && k.step === step)
  if (chainKeys.length > policy.maxSkippedPerChain) {
    chainKeys.sort((a, b) => a.n - b.n)
    for (const k of chainKeys.slice(0, chainKeys.length - policy.maxSkippedPerChain)) deleteSkipped(s, skippedId(k.sender, k.step, k.n))
  }
  while (s.skipped.size > policy.maxSkippedPerGroup) {
    const oldest = s.skipped.keys().next().value as string
    deleteSkipped(s, oldest)
  }
}

/** Time and step expiry of skipped keys and buffered messages. */
export function expireSkipped(s: EpochState, policy: HybridPolicy, now: number): void {
  for (const [id, k] of [...s.skipped]) {
    const chain = s.receive.get(k.sender)
    const stepGone = chain !== undefined && chain.step - k.step >= policy.skippedKeyMaxSteps
    if (stepGone || now - k.createdMs > policy.skippedKeyTtlMs) deleteSkipped(s, id)
  }
  if (s.buffered.some((b) => now - b.receivedMs > policy.skippedKeyTtlMs)) {
    s.buffered = s.buffered.filter((b) => now - b.receivedMs <= policy.skippedKeyTtlMs)
  }
}
