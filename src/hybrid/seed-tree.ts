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
 * The walk, frontier and staging are src/mls/schedule/lazy-tree.ts
 * (LazyTreeSecrets, which the RFC 9420 secret and exporter trees use) with
 * the child derivation swapped: RFC 9420 derives with ExpandWithLabel
 * ("MLS 1.0 tree"), the seed tree with HybExpand ("HYB1 tree"), so that no
 * seed can equal an MLS secret. This file adds the hybrid error codes.
 *
 * Staged: `stage(leaf)` changes nothing; `apply()` commits, `discard()` zeroes
 * what was derived. The receive path relies on that (a rejected first message
 * from a sender leaves the tree as it was).
 */
import type { CipherSuite } from '../crypto/suite.js'
import { isTalosError } from '../errors.js'
import { LazyTreeSecrets, type DeriveChild } from '../mls/schedule/lazy-tree.js'
import { hybridError } from './errors.js'
import { hybExpand } from './kdf.js'

const LEFT = new TextEncoder().encode('left')
const RIGHT = new TextEncoder().encode('right')

/** seed[child] = HybExpand(seed[x], "tree", side, Nh). */
function hybDeriveChild(suite: CipherSuite): DeriveChild {
  return (seed, side) => hybExpand(suite, seed, 'tree', side === 'left' ? LEFT : RIGHT, suite.Nh)
}

export interface StagedSeed {
  /** base[L]; owned by the caller. */
  readonly base: Uint8Array
  apply(): void
  discard(): void
}

export class SeedTree {
  private constructor(
    private readonly tree: LazyTreeSecrets,
    readonly leafWidth: number,
  ) {}

  /** Takes ownership of E_e: it becomes seed[root] and is zeroed once the root's children exist. */
  static fromEpochSeed(suite: CipherSuite, leafWidth: number, epochSeed: Uint8Array): SeedTree {
    checkWidth(leafWidth)
    if (epochSeed.length !== suite.Nh) throw hybridError('HYBRID_VIEW', `the epoch seed must be ${suite.Nh} bytes`)
    return new SeedTree(LazyTreeSecrets.fromRoot(suite, leafWidth, epochSeed, hybDeriveChild(suite)), leafWidth)
  }

  /** Restores a frontier; checks bounds, lengths and that no node is an ancestor of another. */
  static fromFrontier(suite: CipherSuite, leafWidth: number, nodes: ReadonlyMap<number, Uint8Array>): SeedTree {
    checkWidth(leafWidth)
    try {
      return new SeedTree(LazyTreeSecrets.fromFrontier(suite, leafWidth, nodes, hybDeriveChild(suite)), leafWidth)
    } catch (e) {
      if (isTalosError(e, 'MLS_INVALID_TREE_STATE')) throw hybridError('HYBRID_INVALID_STATE', `seed tree: ${e.message}`)
      throw e
    }
  }

  /** Frontier ascending by node index (buffers not copied). */
  entries(): [number, Uint8Array][] {
    return this.tree.entries()
  }

  hasLeaf(leaf: number): boolean {
    return Number.isInteger(leaf) && leaf >= 0 && leaf < this.leafWidth && this.tree.hasLeaf(leaf)
  }

  /** Derives base[L] without changing the tree; undefined if it was already consumed. */
  stage(leaf: number): StagedSeed | undefined {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.leafWidth) {
      throw hybridError('HYBRID_UNKNOWN_SENDER', `leaf ${leaf} is outside a tree of ${this.leafWidth} leaves`)
    }
    const staged = this.tree.stageLeaf(leaf)
    if (staged === undefined) return undefined
    return {
      base: staged.leafSecret,
      apply: () => {
        try {
          staged.apply()
        } catch (e) {
          if (isTalosError(e, 'MLS_STALE_STAGE')) throw hybridError('HYBRID_INVALID_STATE', 'stale seed-tree stage')
          throw e
        }
      },
      discard: () => staged.discard(),
    }
  }

  clone(): SeedTree {
    return new SeedTree(this.tree.clone(), this.leafWidth)
  }

  zeroize(): void {
    this.tree.zeroize()
  }
}

function checkWidth(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 30 || (n & (n - 1)) !== 0) {
    throw hybridError('HYBRID_VIEW', `leaf width ${n} is not a power of two`)
  }
}
