/**
 * Skipped message keys (Double Ratchet spec §3.2 MKSKIPPED, §3.5, §6.5):
 * keys derived for messages that have not arrived yet, so that out-of-order
 * and lost messages stay decryptable. Bounded three ways: at most
 * `maxStoredSkipped` keys (oldest evicted first), at most MAX_SKIPPED_CHAINS
 * chains (which also bounds trial decryption of encrypted headers), and
 * expiry by age and by receiving steps.
 *
 * Chains are identified by the sender's ratchet public key, never by a
 * secret: a Map key is a string, which cannot be zeroed. With header
 * encryption a chain also carries its header key (as bytes, zeroed when the
 * chain goes).
 *
 * Insertion order is age order: chains are created in the order they were
 * received, and keys of a chain are added in increasing message number, so
 * eviction walks the maps from the front.
 */
import { memzero } from '../crypto/sodium.js'
import type { SkippedChain } from '../proto/ratchet.js'
import type { RatchetPolicy } from './constants.js'

/** Chains with skipped keys kept at once. */
export const MAX_SKIPPED_CHAINS = 8

export interface SkippedEntry {
  readonly messageKey: Uint8Array
  readonly storedAtMs: number
  readonly step: number
}

export interface Chain {
  readonly ratchetKey: Uint8Array
  readonly headerKey: Uint8Array | undefined
  readonly keys: Map<number, SkippedEntry>
}

/** A key derived during a decryption, stored only if that decryption succeeds. */
export interface PendingSkipped {
  readonly n: number
  readonly messageKey: Uint8Array
}

const id = (ratchetKey: Uint8Array): string =>
  Buffer.from(ratchetKey.buffer, ratchetKey.byteOffset, ratchetKey.byteLength).toString('latin1')

function isExpired(e: SkippedEntry, nowMs: number, steps: number, policy: RatchetPolicy): boolean {
  return nowMs - e.storedAtMs > policy.skippedMaxAgeMs || steps - e.step > policy.skippedMaxSteps
}

export class SkippedKeys {
  private readonly chains = new Map<string, Chain>()
  private count = 0

  get size(): number {
    return this.count
  }

  /** Chains that have a header key, for trial decryption of an encrypted header. */
  headerChains(): Chain[] {
    return [...this.chains.values()].filter((c) => c.headerKey !== undefined)
  }

  chain(ratchetKey: Uint8Array): Chain | undefined {
    return this.chains.get(id(ratchetKey))
  }

  /** The live (unexpired) key for message n of a chain, without removing it. */
  find(ratchetKey: Uint8Array, n: number, nowMs: number, steps: number, policy: RatchetPolicy): SkippedEntry | undefined {
    if (this.count === 0) return undefined
    const e = this.chains.get(id(ratchetKey))?.keys.get(n)
    return e !== undefined && !isExpired(e, nowMs, steps, policy) ? e : undefined
  }

  /** Deletes (zeroing) the key for message n of a chain. */
  remove(ratchetKey: Uint8Array, n: number): void {
    const k = id(ratchetKey)
    const c = this.chains.get(k)
    const e = c?.keys.get(n)
    if (c === undefined || e === undefined) return
    memzero(e.messageKey)
    c.keys.delete(n)
    this.count--
    if (c.keys.size === 0) this.dropChain(k, c)
  }

  /** Stores keys derived by a successful decryption (ownership of the key bytes passes here). */
  add(ratchetKey: Uint8Array, headerKey: Uint8Array | undefined, keys: readonly PendingSkipped[], nowMs: number, step: number): void {
    if (keys.length === 0) return
    const k = id(ratchetKey)
    let c = this.chains.get(k)
    if (c === undefined) {
      c = { ratchetKey: ratchetKey.slice(), headerKey: headerKey?.slice(), keys: new Map() }
      this.chains.set(k, c)
    }
    for (const s of keys) {
      const old = c.keys.get(s.n)
      if (old !== undefined) {
        memzero(old.messageKey)
        this.count--
      }
      c.keys.set(s.n, { messageKey: s.messageKey, storedAtMs: nowMs, step })
      this.count++
    }
  }

  /**
   * Deletes expired keys, then the oldest beyond the bounds. Storage time and
   * step only grow in insertion order, so expired keys are a prefix: the scan
   * stops at the first live one (O(deleted), not O(stored), per message).
   */
  prune(nowMs: number, steps: number, policy: RatchetPolicy): void {
    scan: for (const [k, c] of this.chains) {
      for (const [n, e] of c.keys) {
        if (!isExpired(e, nowMs, steps, policy)) break scan
        memzero(e.messageKey)
        c.keys.delete(n)
        this.count--
      }
      this.dropChain(k, c)
    }
    while (this.chains.size > MAX_SKIPPED_CHAINS) {
      const [k, c] = this.chains.entries().next().value as [string, Chain]
      this.count -= c.keys.size
      for (const e of c.keys.values()) memzero(e.messageKey)
      this.dropChain(k, c)
    }
    while (this.count > policy.maxStoredSkipped) {
      const [k, c] = this.chains.entries().next().value as [string, Chain]
      const [n, e] = c.keys.entries().next().value as [number, SkippedEntry]
      memzero(e.messageKey)
      c.keys.delete(n)
      this.count--
      if (c.keys.size === 0) this.dropChain(k, c)
    }
  }

  private dropChain(k: string, c: Chain): void {
    memzero(c.headerKey)
    this.chains.delete(k)
  }

  /** Zeroes every key. */
  clear(): void {
    for (const [k, c] of this.chains) {
      for (const e of c.keys.values()) memzero(e.messageKey)
      this.dropChain(k, c)
    }
    this.count = 0
  }

  toRecords(): SkippedChain[] {
    return [...this.chains.values()].map((c) => ({
      ratchetKey: c.ratchetKey,
      headerKey: c.headerKey ?? new Uint8Array(0),
      keys: [...c.keys].map(([n, e]) => ({
        messageNumber: n,
        messageKey: e.messageKey,
        storedAtMs: BigInt(e.storedAtMs),
        step: e.step,
      })),
    }))
  }

  /** Rebuilds from a record; the caller has checked sizes and bounds. */
  static fromRecords(records: readonly SkippedChain[]): SkippedKeys {
    const s = new SkippedKeys()
    for (const r of records) {
      const c: Chain = {
        ratchetKey: r.ratchetKey,
        headerKey: r.headerKey.length > 0 ? r.headerKey : undefined,
        keys: new Map(),
      }
      for (const k of r.keys) {
        if (!c.keys.has(k.messageNumber)) s.count++
        c.keys.set(k.messageNumber, { messageKey: k.messageKey, storedAtMs: Number(k.storedAtMs), step: k.step })
      }
      s.chains.set(id(r.ratchetKey), c)
    }
    return s
  }
}
