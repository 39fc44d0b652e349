/**
 * Lazily derived node secrets of a secret tree (RFC 9420 §9) or exporter
 * tree (draft-ietf-mls-extensions "Exported Secrets"):
 *
 *   tree_node_[left(N)]_secret  = ExpandWithLabel(tree_node_[N]_secret, "tree", "left",  KDF.Nh)
 *   tree_node_[right(N)]_secret = ExpandWithLabel(tree_node_[N]_secret, "tree", "right", KDF.Nh)
 *
 * Only the frontier is stored: the node secrets derived and not yet consumed.
 * Reaching a leaf walks down from the one frontier node above it, deriving
 * both children at each step; the child off the path is stored, the one on
 * the path is used for the next step, and the parent is deleted (§9.2: a
 * node secret is consumed once both its children are derived). Cost per leaf
 * is 2 * (depth) ExpandWithLabel calls, never the whole tree.
 *
 * Invariant: every leaf that has not been reached has exactly one ancestor
 * (itself included) in the frontier; a reached leaf has none. Staging is
 * pure (stageLeaf); mutation happens only in StagedLeaf.apply().
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import { leafToNode, left, level, MAX_LEAVES, right, root } from '../treemath.js'

const LEFT = new TextEncoder().encode('left')
const RIGHT = new TextEncoder().encode('right')

/** The tree math bound (2^30 leaves). */
export const MAX_TREE_LEAVES = MAX_LEAVES

/**
 * How a node's child secret is derived from the node's secret. RFC 9420 and
 * the exporter tree use ExpandWithLabel(secret, "tree", side, Nh); the hybrid
 * seed tree (HYBRID.md §3) has the same shape under its own KDF label.
 */
export type DeriveChild = (secret: Uint8Array, side: 'left' | 'right') => Uint8Array

/** tree_node_[child]_secret = ExpandWithLabel(tree_node_[N]_secret, "tree", side, KDF.Nh). */
export function rfc9420DeriveChild(suite: CipherSuite): DeriveChild {
  return (secret, side) => suite.expandWithLabel(secret, 'tree', side === 'left' ? LEFT : RIGHT, suite.Nh)
}

/** A leaf secret derived but not yet committed to the tree. */
export interface StagedLeaf {
  /** tree_node_[leaf]_secret; owned by the caller from the moment it is staged. */
  readonly leafSecret: Uint8Array
  /** Deletes the consumed frontier node and stores the derived siblings. */
  apply(): void
  /** Zeroes the derived siblings and the leaf secret (nothing was changed). */
  discard(): void
}

export function checkLeafCount(nLeaves: number): void {
  if (!Number.isInteger(nLeaves) || nLeaves < 1 || nLeaves > MAX_TREE_LEAVES || (nLeaves & (nLeaves - 1)) !== 0) {
    // RFC 9420 trees are always full: the leaf count is a power of two.
    throw new TalosError('MLS_INVALID_TREE_SIZE', `a secret tree needs a power-of-two leaf count, got ${nLeaves}`)
  }
}

export class LazyTreeSecrets {
  /** Bumped on every mutation; a StagedLeaf from an older version is stale. */
  private version = 0

  private constructor(
    private readonly suite: CipherSuite,
    readonly nLeaves: number,
    /** node index -> secret of an underived frontier node. */
    private readonly frontier: Map<number, Uint8Array>,
    private readonly derive: DeriveChild,
  ) {}

  /** A tree whose root holds `rootSecret`. Takes ownership of the buffer (it is zeroed when consumed). */
  static fromRoot(
    suite: CipherSuite,
    nLeaves: number,
    rootSecret: Uint8Array,
    derive: DeriveChild = rfc9420DeriveChild(suite),
  ): LazyTreeSecrets {
    checkLeafCount(nLeaves)
    if (rootSecret.length !== suite.Nh) {
      throw new TalosError('MLS_INVALID_SECRET_LENGTH', `tree root secret must be ${suite.Nh} bytes`)
    }
    return new LazyTreeSecrets(suite, nLeaves, new Map([[root(nLeaves), rootSecret]]), derive)
  }

  /**
   * Restores a frontier (deserialization). Checks that every node lies in the
   * tree, holds Nh bytes, and that no stored node is an ancestor of another.
   */
  static fromFrontier(
    suite: CipherSuite,
    nLeaves: number,
    nodes: ReadonlyMap<number, Uint8Array>,
    derive: DeriveChild = rfc9420DeriveChild(suite),
  ): LazyTreeSecrets {
    checkLeafCount(nLeaves)
    const width = 2 * nLeaves - 1
    for (const [x, s] of nodes) {
      if (!Number.isInteger(x) || x < 0 || x >= width) {
        throw new TalosError('MLS_INVALID_TREE_STATE', `frontier node ${x} is outside a tree of ${nLeaves} leaves`)
      }
      if (s.length !== suite.Nh) throw new TalosError('MLS_INVALID_TREE_STATE', `frontier node ${x} secret has the wrong length`)
    }
    // Two stored nodes with one above the other would give a leaf two sources.
    const sorted = [...nodes.keys()].sort((a, b) => a - b)
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!
      const b = sorted[i]!
      if (spanOf(a).hi >= spanOf(b).lo) {
        throw new TalosError('MLS_INVALID_TREE_STATE', `frontier nodes ${a} and ${b} overlap`)
      }
    }
    return new LazyTreeSecrets(suite, nLeaves, new Map(nodes), derive)
  }

  /** The frontier, ascending by node index (for serialization; buffers are not copied). */
  entries(): [number, Uint8Array][] {
    return [...this.frontier.entries()].sort((a, b) => a[0] - b[0])
  }

  /** Whether the leaf's secret can still be derived. */
  hasLeaf(leaf: number): boolean {
    return this.holder(leaf) !== undefined
  }

  /** The frontier node on the leaf's path from the root, if any: O(depth) lookups. */
  private holder(leaf: number): number | undefined {
    const target = leafToNode(leaf)
    let x = root(this.nLeaves)
    for (;;) {
      if (this.frontier.has(x)) return x
      if (x === target) return undefined
      x = target < x ? left(x) : right(x)
    }
  }

  /**
   * Derives tree_node_[leaf]_secret without changing the tree. Returns
   * undefined if the leaf's secret was already consumed.
   */
  stageLeaf(leaf: number): StagedLeaf | undefined {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.nLeaves) {
      throw new TalosError('MLS_INVALID_LEAF_INDEX', `leaf ${leaf} is outside a tree of ${this.nLeaves} leaves`)
    }
    const start = this.holder(leaf)
    if (start === undefined) return undefined
    const target = leafToNode(leaf)
    const stored = this.frontier.get(start)!
    const siblings: [number, Uint8Array][] = []
    let x = start
    let secret = stored
    try {
      while (x !== target) {
        const l = this.derive(secret, 'left')
        const r = this.derive(secret, 'right')
        if (secret !== stored) memzero(secret)
        if (target < x) {
          siblings.push([right(x), r])
          secret = l
          x = left(x)
        } else {
          siblings.push([left(x), l])
          secret = r
          x = right(x)
        }
      }
    } catch (e) {
      if (secret !== stored) memzero(secret)
      for (const [, s] of siblings) memzero(s)
      throw e
    }
    // The leaf secret must not alias the stored buffer that apply() zeroes.
    const leafSecret = secret === stored ? stored.slice() : secret
    const version = this.version
    let done = false
    return {
      leafSecret,
      apply: () => {
        if (done || version !== this.version) {
          throw new TalosError('MLS_STALE_STAGE', 'the tree changed since this leaf secret was staged')
        }
        done = true
        memzero(stored)
        this.frontier.delete(start)
        for (const [n, s] of siblings) this.frontier.set(n, s)
        this.version++
      },
      discard: () => {
        if (done) return
        done = true
        memzero(leafSecret)
        for (const [, s] of siblings) memzero(s)
      },
    }
  }

  /** A deep copy with fresh buffers. */
  clone(): LazyTreeSecrets {
    const copy = new Map<number, Uint8Array>()
    for (const [x, s] of this.frontier) copy.set(x, s.slice())
    return new LazyTreeSecrets(this.suite, this.nLeaves, copy, this.derive)
  }

  /** Zeroes and forgets every stored node secret. */
  zeroize(): void {
    for (const s of this.frontier.values()) memzero(s)
    this.frontier.clear()
    this.version++
  }
}

/** The node-index range [lo, hi] covered by the subtree rooted at x (array representation). */
function spanOf(x: number): { lo: number; hi: number } {
  const half = 2 ** level(x) - 1
  return { lo: x - half, hi: x + half }
}
