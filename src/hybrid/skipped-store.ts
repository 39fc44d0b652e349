/**
 * The skipped message keys of one epoch (HYBRID.md §6, §7), indexed two ways
 * so that no operation scans them all:
 *
 *   by chain   sender -> step -> n -> key, each chain's map in ascending n
 *              (keys of a chain are only ever added walking forward, so
 *              insertion order is n order): lookup, the per-chain cap (drop
 *              the lowest n) and the step expiry of one sender are O(1) per
 *              key touched;
 *   by age     one Set in insertion (= seq) order: the per-group cap drops
 *              the oldest key first in O(1).
 *
 * The store only files and unfiles keys; zeroing and the policy (caps, time
 * and step expiry) are skipped.ts's.
 */

export interface SkippedKey {
  readonly sender: number
  readonly step: number
  readonly n: number
  readonly key: Uint8Array
  readonly nonce: Uint8Array
  readonly createdMs: number
  readonly seq: number
}

type Chain = Map<number, SkippedKey>

export class SkippedKeys {
  private readonly bySender = new Map<number, Map<number, Chain>>()
  private readonly byAge = new Set<SkippedKey>()

  get size(): number {
    return this.byAge.size
  }

  get(sender: number, step: number, n: number): SkippedKey | undefined {
    return this.bySender.get(sender)?.get(step)?.get(n)
  }

  /**
   * Files `k` as the newest key. Its n must exceed every key already filed
   * for its chain (keys are derived walking forward); the one caller that
   * could break this, state restore, checks it first. Returns the key it
   * displaced for the same (sender, step, n), if any, for the caller to zero.
   */
  add(k: SkippedKey): SkippedKey | undefined {
    let steps = this.bySender.get(k.sender)
    if (steps === undefined) {
      steps = new Map()
      this.bySender.set(k.sender, steps)
    }
    let chain = steps.get(k.step)
    if (chain === undefined) {
      chain = new Map()
      steps.set(k.step, chain)
    }
    const old = chain.get(k.n)
    if (old !== undefined) {
      this.byAge.delete(old)
      chain.delete(k.n) // re-inserted below, at the newest position
    }
    chain.set(k.n, k)
    this.byAge.add(k)
    return old
  }

  /** Unfiles `k` (the caller zeroes it). */
  delete(k: SkippedKey): void {
    if (!this.byAge.delete(k)) return
    const steps = this.bySender.get(k.sender)!
    const chain = steps.get(k.step)!
    chain.delete(k.n)
    if (chain.size === 0) {
      steps.delete(k.step)
      if (steps.size === 0) this.bySender.delete(k.sender)
    }
  }

  /** The keys of one chain, ascending n (a live view: copy before deleting while iterating). */
  chainKeys(sender: number, step: number): ReadonlyMap<number, SkippedKey> | undefined {
    return this.bySender.get(sender)?.get(step)
  }

  /** The keys of one sender's chains with step <= maxStep. */
  keysUpToStep(sender: number, maxStep: number): SkippedKey[] {
    const out: SkippedKey[] = []
    const steps = this.bySender.get(sender)
    if (steps === undefined) return out
    for (const [step, chain] of steps) if (step <= maxStep) for (const k of chain.values()) out.push(k)
    return out
  }

  /** The oldest key (lowest seq). */
  oldest(): SkippedKey | undefined {
    for (const k of this.byAge) return k
    return undefined
  }

  /** Every key, oldest first. */
  values(): IterableIterator<SkippedKey> {
    return this.byAge.values()
  }

  clear(): void {
    this.bySender.clear()
    this.byAge.clear()
  }
}
