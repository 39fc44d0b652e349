/**
 * The per-epoch seed tree (HYBRID.md §3), shaped exactly like the RFC 9420
 * §9 secret tree over the epoch's leaf width:
 *
 *   seed[root]     = E_e
 *   seed[left(x)]  = HybExpand(seed[x], "tree", "left",  Nh)
 *   seed[right(x)] = HybExpand(seed[x], "tree", "right", Nh)
 *   base[L]        = seed[2L]
 *
 * Only the frontier is kept: the derived, unconsumed node seeds. Reaching a
 * leaf derives both children of every node on the way down from the one
 * frontier node above it, keeps the off-path child, and deletes (zeroes) the
 * parent, so a node never outlives the derivation of both its children (§7).
 * A base costs 2·depth HybExpand calls and nothing is O(n) per epoch.
 *
 * The same shape as src/mls/schedule/lazy-tree.ts (LazyTreeSecrets), which
 * derives with RFC 9420's ExpandWithLabel ("MLS 1.0 tree"); the seed tree
 * must use HybExpand ("HYB1 tree"), so that no seed can equal an MLS secret.
 *
 * Staged: `stage(leaf)` changes nothing; `apply()` commits, `discard()` zeroes
 * what was derived. The receive path relies on that (a rejected first message
 * from a sender leaves the tree as it was).
 */
import type { CipherSuite } from '../crypto/suite.js'
import { memzero } from '../crypto/sodium.js'
import { left, level, right } from '../mls/treemath.js'
import { hybridError } from './errors.js'
import { hybExpand } from './kdf.js'

const LEFT = new TextEncoder().encode('left')
const RIGHT = new TextEncoder().encode('right')

export interface StagedSeed {
  /** base[L]; owned by the caller. */
  readonly base: Uint8Array
  apply(): void
  discard(): void
}

export class SeedTree {
  private version = 0

  private constructor(
    private readonly suite: CipherSuite,
    readonly leafWidth: number,
    private readonly frontier: Map<number, Uint8Array>,
  ) {}

  /** Takes ownership of E_e: it becomes seed[root] and is zeroed once the root's children exist. */
  static fromEpochSeed(suite: CipherSuite, leafWidth: number, epochSeed: Uint8Array): SeedTree {
    checkWidth(leafWidth)
    if (epochSeed.length !== suite.Nh) throw hybridError('HYBRID_VIEW', `the epoch seed must be ${suite.Nh} bytes`)
    return new SeedTree(suite, leafWidth, new Map([[leafWidth - 1, epochSeed]]))
  }

  /** Restores a frontier; checks bounds, lengths and that no node is an ancestor of another. */
  static fromFrontier(suite: CipherSuite, leafWidth: number, nodes: ReadonlyMap<number, Uint8Array>): SeedTree {
    checkWidth(leafWidth)
    const sorted = [...nodes.keys()].sort((a, b) => a - b)
    for (const x of sorted) {
      if (x >= 2 * leafWidth - 1) throw hybridError('HYBRID_INVALID_STATE', `seed node ${x} is outside the tree`)
      if (nodes.get(x)!.length !== suite.Nh) throw hybridError('HYBRID_INVALID_STATE', `seed node ${x} has the wrong length`)
    }
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!
      const b = sorted[i]!
      if (a + 2 ** level(a) - 1 >= b - (2 ** level(b) - 1)) throw hybridError('HYBRID_INVALID_STATE', `seed nodes ${a} and ${b} overlap`)
    }
    return new SeedTree(suite, leafWidth, new Map(nodes))
  }

  /** Frontier ascending by node index (buffers not copied). */
  entries(): [number, Uint8Array][] {
    return [...this.frontier.entries()].sort((a, b) => a[0] - b[0])
  }

  /** The frontier node above leaf L, if base[L] can still be derived. */
  private holder(leaf: number): number | undefined {
    const target = 2 * leaf
    let x = this.leafWidth - 1
    for (;;) {
      if (this.frontier.has(x)) return x
      if (x === target) return undefined
      x = target < x ? left(x) : right(x)
    }
  }

  hasLeaf(leaf: number): boolean {
    return Number.isInteger(leaf) && leaf >= 0 && leaf < this.leafWidth && this.holder(leaf) !== undefined
  }

  /** Derives base[L] without changing the tree; undefined if it was already consumed. */
  stage(leaf: number): StagedSeed | undefined {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.leafWidth) {
      throw hybridError('HYBRID_UNKNOWN_SENDER', `leaf ${leaf} is outside a tree of ${this.leafWidth} leaves`)
    }
    const start = this.holder(leaf)
    if (start === undefined) return undefined
    const target = 2 * leaf
    const stored = this.frontier.get(start)!
    const siblings: [number, Uint8Array][] = []
    let x = start
    let seed = stored
    try {
      while (x !== target) {
        const l = hybExpand(this.suite, seed, 'tree', LEFT, this.suite.Nh)
        const r = hybExpand(this.suite, seed, 'tree', RIGHT, this.suite.Nh)
        if (seed !== stored) memzero(seed)
        if (target < x) {
          siblings.push([right(x), r])
          seed = l
          x = left(x)
        } else {
          siblings.push([left(x), l])
          seed = r
          x = right(x)
        }
      }
    } catch (e) {
      if (seed !== stored) memzero(seed)
      for (const [, s] of siblings) memzero(s)
      throw e
    }
    const base = seed === stored ? stored.slice() : seed
    const version = this.version
    let done = false
    return {
      base,
      apply: () => {
        if (done || version !== this.version) throw hybridError('HYBRID_INVALID_STATE', 'stale seed-tree stage')
        done = true
        memzero(stored)
        this.frontier.delete(start)
        for (const [n, s] of siblings) this.frontier.set(n, s)
        this.version++
      },
      discard: () => {
        if (done) return
        done = true
        memzero(base)
        for (const [, s] of siblings) memzero(s)
      },
    }
  }

  clone(): SeedTree {
    const copy = new Map<number, Uint8Array>()
    for (const [x, s] of this.frontier) copy.set(x, s.slice())
    return new SeedTree(this.suite, this.leafWidth, copy)
  }

  zeroize(): void {
    for (const s of this.frontier.values()) memzero(s)
    this.frontier.clear()
    this.version++
  }
}

function checkWidth(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 30 || (n & (n - 1)) !== 0) {
    throw hybridError('HYBRID_VIEW', `leaf width ${n} is not a power of two`)
  }
}
