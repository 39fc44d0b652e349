/**
 * The secret tree of an epoch (RFC 9420 §9): encryption_secret at the root,
 * one leaf per member, and per leaf a handshake and an application hash
 * ratchet (§9.1) seeded by
 *
 *   handshake_ratchet_secret_[N]_[0]   = ExpandWithLabel(tree_node_[N]_secret, "handshake",   "", KDF.Nh)
 *   application_ratchet_secret_[N]_[0] = ExpandWithLabel(tree_node_[N]_secret, "application", "", KDF.Nh)
 *
 * Node secrets are derived lazily along one root-to-leaf path (lazy-tree.ts),
 * so a message from one sender costs O(log n) however large the group. The
 * leaf secret is deleted as soon as both ratchets are seeded (§9.2).
 *
 * Every key request is staged: `stageKey` derives the key and nonce and the
 * would-be next state into scratch buffers, checks limits first, and changes
 * nothing. `commit()` installs the new state and zeroes the consumed values
 * (including the returned key and nonce, which the caller has used by then);
 * `discard()` zeroes the scratch. A message that fails to decrypt therefore
 * leaves the tree byte-identical (compare `serialize()` outputs).
 *
 * Limits (per sender, per ratchet): at most `maxOutOfOrder` skipped keys kept
 * for late messages; a generation more than `maxForwardDistance` ahead is
 * refused with MLS_GENERATION_TOO_FAR before any derivation; a generation
 * already used (or whose key was evicted) is MLS_GENERATION_REUSED.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import {
  applyRatchetPlan,
  checkGeneration,
  cloneRatchet,
  discardRatchetPlan,
  newRatchet,
  planRatchet,
  zeroKeyNonce,
  zeroRatchet,
  type RatchetLimits,
  type RatchetPlan,
  type RatchetState,
} from './hash-ratchet.js'
import { LazyTreeSecrets, type StagedLeaf } from './lazy-tree.js'

export type RatchetType = 'handshake' | 'application'

export interface SecretTreeOptions {
  /** Skipped keys retained per sender per ratchet (default 5). */
  maxOutOfOrder?: number
  /** Largest accepted jump ahead of a ratchet's current generation (default 1000). */
  maxForwardDistance?: number
}

export const DEFAULT_MAX_OUT_OF_ORDER = 5
export const DEFAULT_MAX_FORWARD_DISTANCE = 1000
/** Upper bounds on the configuration itself, so a stored state cannot ask for unbounded work. */
export const LIMIT_MAX_OUT_OF_ORDER = 1000
export const LIMIT_MAX_FORWARD_DISTANCE = 100_000

/** Handshake and application ratchets of one leaf. */
export interface LeafRatchets {
  handshake: RatchetState
  application: RatchetState
}

/** A key/nonce ready for one AEAD operation, not yet consumed. */
export interface StagedKey {
  readonly leaf: number
  readonly type: RatchetType
  readonly generation: number
  readonly key: Uint8Array
  readonly nonce: Uint8Array
  /** Consumes the key: installs the new ratchet state, zeroes key and nonce. */
  commit(): void
  /** Abandons the key: zeroes the scratch, the tree is unchanged. */
  discard(): void
}

const EMPTY = new Uint8Array(0)

export function resolveLimits(options: SecretTreeOptions = {}): RatchetLimits {
  const maxOutOfOrder = options.maxOutOfOrder ?? DEFAULT_MAX_OUT_OF_ORDER
  const maxForwardDistance = options.maxForwardDistance ?? DEFAULT_MAX_FORWARD_DISTANCE
  if (!Number.isInteger(maxOutOfOrder) || maxOutOfOrder < 0 || maxOutOfOrder > LIMIT_MAX_OUT_OF_ORDER) {
    throw new TalosError('MLS_INVALID_CONFIG', `maxOutOfOrder must be an integer in [0, ${LIMIT_MAX_OUT_OF_ORDER}]`)
  }
  if (!Number.isInteger(maxForwardDistance) || maxForwardDistance < 0 || maxForwardDistance > LIMIT_MAX_FORWARD_DISTANCE) {
    throw new TalosError('MLS_INVALID_CONFIG', `maxForwardDistance must be an integer in [0, ${LIMIT_MAX_FORWARD_DISTANCE}]`)
  }
  return { maxOutOfOrder, maxForwardDistance }
}

export class SecretTree {
  /** Bumped on every commit; a StagedKey from an older version is stale. */
  private version = 0

  /** @internal use SecretTree.create or deserializeSecretTree. */
  constructor(
    readonly suite: CipherSuite,
    readonly limits: RatchetLimits,
    private readonly nodes: LazyTreeSecrets,
    private readonly ratchets: Map<number, LeafRatchets>,
  ) {}

  /**
   * The tree of an epoch. Takes ownership of `encryptionSecret`: it is zeroed
   * as soon as the first leaf is derived. `nLeaves` is the ratchet tree's leaf
   * count (a power of two).
   */
  static create(suite: CipherSuite, nLeaves: number, encryptionSecret: Uint8Array, options?: SecretTreeOptions): SecretTree {
    return new SecretTree(suite, resolveLimits(options), LazyTreeSecrets.fromRoot(suite, nLeaves, encryptionSecret), new Map())
  }

  get nLeaves(): number {
    return this.nodes.nLeaves
  }

  /**
   * Stages the key/nonce of `generation` in the leaf's ratchet, for
   * decrypting a message from that leaf. Throws (changing nothing) on an
   * out-of-range leaf, a generation too far ahead, or a reused generation.
   */
  stageKey(leaf: number, type: RatchetType, generation: number): StagedKey {
    this.checkLeaf(leaf)
    const existing = this.ratchets.get(leaf)
    if (existing === undefined) {
      // Window check against generation 0 before the path is derived.
      checkGeneration(0, generation, this.limits, () => false)
      if (!this.nodes.hasLeaf(leaf)) {
        throw new TalosError('MLS_INVALID_TREE_STATE', `secrets of leaf ${leaf} are missing`)
      }
    } else {
      const r = existing[type]
      checkGeneration(r.generation, generation, this.limits, (g) => r.skipped.has(g))
    }
    return this.stage(leaf, type, generation, existing)
  }

  /** Stages the next key/nonce of our own leaf's ratchet, for encrypting. */
  stageNextKey(leaf: number, type: RatchetType): StagedKey {
    this.checkLeaf(leaf)
    const r = this.ratchets.get(leaf)?.[type]
    return this.stageKey(leaf, type, r === undefined ? 0 : r.generation)
  }

  /** The generation the leaf's ratchet is at (0 if never used). */
  currentGeneration(leaf: number, type: RatchetType): number {
    this.checkLeaf(leaf)
    return this.ratchets.get(leaf)?.[type].generation ?? 0
  }

  private checkLeaf(leaf: number): void {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.nLeaves) {
      throw new TalosError('MLS_INVALID_LEAF_INDEX', `leaf ${leaf} is outside a tree of ${this.nLeaves} leaves`)
    }
  }

  private stage(leaf: number, type: RatchetType, generation: number, existing: LeafRatchets | undefined): StagedKey {
    let stagedLeaf: StagedLeaf | undefined
    let fresh: LeafRatchets | undefined
    let plan: RatchetPlan
    try {
      if (existing === undefined) {
        stagedLeaf = this.nodes.stageLeaf(leaf)!
        fresh = this.seedRatchets(stagedLeaf.leafSecret)
      }
      plan = planRatchet(this.suite, (existing ?? fresh!)[type], generation, this.limits)
    } catch (e) {
      stagedLeaf?.discard()
      if (fresh) zeroLeaf(fresh)
      throw e
    }
    return new TreeKey(this, this.version, leaf, type, generation, plan, stagedLeaf, fresh)
  }

  /** @internal TreeKey.commit: installs a staged key's ratchet state. */
  applyStaged(k: TreeKey): void {
    if (k.version !== this.version) {
      throw new TalosError('MLS_STALE_STAGE', 'the secret tree changed since this key was staged')
    }
    if (k.stagedLeaf) {
      k.stagedLeaf.apply()
      this.ratchets.set(k.leaf, k.fresh!)
    }
    applyRatchetPlan(this.ratchets.get(k.leaf)![k.type], k.plan, this.limits.maxOutOfOrder)
    this.version++
  }

  /** Both ratchet roots from a leaf secret, which is then zeroed (§9.2). */
  private seedRatchets(leafSecret: Uint8Array): LeafRatchets {
    try {
      const handshake = this.suite.expandWithLabel(leafSecret, 'handshake', EMPTY, this.suite.Nh)
      const application = this.suite.expandWithLabel(leafSecret, 'application', EMPTY, this.suite.Nh)
      return { handshake: newRatchet(handshake), application: newRatchet(application) }
    } finally {
      memzero(leafSecret)
    }
  }

  /** A deep copy with fresh buffers (copy-on-write staging of a whole epoch). */
  clone(): SecretTree {
    const ratchets = new Map<number, LeafRatchets>()
    for (const [leaf, r] of this.ratchets) {
      ratchets.set(leaf, { handshake: cloneRatchet(r.handshake), application: cloneRatchet(r.application) })
    }
    return new SecretTree(this.suite, this.limits, this.nodes.clone(), ratchets)
  }

  /** Zeroes every secret in the tree (when the epoch is dropped). */
  zeroize(): void {
    this.nodes.zeroize()
    for (const r of this.ratchets.values()) zeroLeaf(r)
    this.ratchets.clear()
    this.version++
  }

  /** @internal for serialization: frontier nodes and leaf ratchets, ascending. */
  snapshot(): { nodes: [number, Uint8Array][]; leaves: [number, LeafRatchets][] } {
    return { nodes: this.nodes.entries(), leaves: [...this.ratchets.entries()].sort((a, b) => a[0] - b[0]) }
  }
}

/**
 * A staged key. A class rather than closures: one object per message on the
 * hot path, no per-message function objects.
 */
class TreeKey implements StagedKey {
  private done = false
  readonly key: Uint8Array
  readonly nonce: Uint8Array

  constructor(
    private readonly tree: SecretTree,
    readonly version: number,
    readonly leaf: number,
    readonly type: RatchetType,
    readonly generation: number,
    readonly plan: RatchetPlan,
    readonly stagedLeaf: StagedLeaf | undefined,
    readonly fresh: LeafRatchets | undefined,
  ) {
    this.key = plan.out.key
    this.nonce = plan.out.nonce
  }

  commit(): void {
    if (this.done) throw new TalosError('MLS_STALE_STAGE', 'the secret tree changed since this key was staged')
    this.tree.applyStaged(this)
    this.finish()
  }

  discard(): void {
    if (this.done) return
    discardRatchetPlan(this.plan)
    this.stagedLeaf?.discard() // the derived path siblings
    if (this.fresh) zeroLeaf(this.fresh)
    this.finish()
  }

  private finish(): void {
    this.done = true
    zeroKeyNonce(this.plan.out)
  }
}

function zeroLeaf(r: LeafRatchets): void {
  zeroRatchet(r.handshake)
  zeroRatchet(r.application)
}
