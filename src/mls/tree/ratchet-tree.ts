/**
 * The public ratchet tree of one epoch (RFC 9420 §4, §7), in array order
 * (Appendix C): leaf i at node 2i, parents at odd indices, always a perfect
 * tree of leafCount = 2^d leaves (§7.7), blank nodes as `undefined`.
 *
 * What it caches, and why (ARCHITECTURE.md "Performance shape"):
 * - the tree hash of every node (§7.8). A change to node x forgets the hashes
 *   of x and its ancestors only; treeHash() recomputes exactly the forgotten
 *   ones. A cached hash is that of the current subtree; hashes of all-blank
 *   subtrees come from a memo shared by every tree (blank-hash.ts).
 * - the exact encoding of each node (node.ts), so hashing never re-encodes,
 *   and the ratchet_tree encoding of each chunk of 256 node slots
 *   (encodedNodes()), so a GroupInfo or a saved state writes the tree from
 *   parts that only a change in their chunk re-encodes, not node by node.
 * - an index of every encryption and signature key (key-index.ts), for the
 *   §7.3 / §12.4.2 uniqueness rules in O(1) per key.
 * - the number of non-blank nodes under each node, so that resolutions and
 *   the filtered direct path skip all-blank subtrees at once instead of
 *   walking them (the blank right edge of a tree with 10,000 members holds
 *   thousands of nodes). Kept exact by every setter in O(log n).
 *
 * Staging: clone() is copy-on-write throughout: the node, hash and count
 * arrays are chunked (cow-array.ts) and the key index is sharded
 * (key-index.ts); a clone copies the chunk and shard tables (O(n / 256)
 * pointers) and later writes copy only the chunks they touch, so staging a
 * commit costs O(log n) chunk copies, never a copy of the whole tree. Nodes are immutable, so a staged
 * clone can be changed freely and the live tree never sees it; merging a
 * staged tree is simply adopting the clone.
 *
 * Errors: structural misuse (index out of range, removing a blank leaf) is
 * MLS_INVALID_LEAF_INDEX / MLS_BLANK_LEAF; a key that would appear twice is
 * MLS_DUPLICATE_ENCRYPTION_KEY / MLS_DUPLICATE_SIGNATURE_KEY; a wire tree
 * whose node types do not fit their positions is DECODE_INVALID_TREE.
 */
import { TalosError } from '../../errors.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { levelUnchecked as levelOf, MAX_LEAVES } from '../treemath.js'
import type { LeafNode } from '../wire/leaf-node.js'
import { NodeType, type Node, type ParentNode, type RatchetTree as WireRatchetTree } from '../wire/ratchet-tree.js'
import { blankSubtreeHash } from './blank-hash.js'
import { leafHashInput, parentHashInput } from './hash-input.js'
import { CowArray } from './cow-array.js'
import { KeyIndex, type KeyRef } from './key-index.js'
import { encodeNodeSlots, leafTreeNode, parentTreeNode, type LeafTreeNode, type ParentTreeNode, type TreeNode } from './node.js'

function parentOf(x: number): number {
  const k = levelOf(x)
  return (x | (1 << k)) & ~(1 << (k + 1))
}

export class RatchetTree {
  readonly suite: CipherSuite
  /** The node slots; derived() gives their ratchet_tree encoding in memoised parts. */
  private nodes: CowArray<TreeNode | undefined, Uint8Array>
  private hashes: CowArray<Uint8Array | undefined>
  /** nonBlank[x] = non-blank nodes in the subtree under x (x included). */
  private nonBlank: CowArray<number>
  private keys: KeyIndex
  private leaves: number
  private members: number
  /** credential_type -> number of leaves whose credential has it (the §7.3 "types in use"). */
  private credentialTypes: Map<number, number>
  /** No blank leaf has an index below this (speeds up Add's leftmost-blank search). */
  private blankHint: number

  private constructor(suite: CipherSuite, leafCount: number) {
    this.suite = suite
    this.leaves = leafCount
    this.nodes = new CowArray<TreeNode | undefined, Uint8Array>(2 * leafCount - 1, undefined, encodeNodeSlots)
    this.hashes = new CowArray<Uint8Array | undefined>(2 * leafCount - 1, undefined)
    this.nonBlank = new CowArray<number>(2 * leafCount - 1, 0)
    this.keys = new KeyIndex()
    this.members = 0
    this.credentialTypes = new Map()
    this.blankHint = 0
  }

  /** A one-member tree (group creation, §11). */
  static create(suite: CipherSuite, leaf: LeafNode, bytes?: Uint8Array): RatchetTree {
    const t = new RatchetTree(suite, 1)
    t.setNode(0, leafTreeNode(leaf, bytes))
    return t
  }

  /**
   * A tree from its ratchet_tree form (§12.4.3.3): `nodes` lists nodes in
   * array order without trailing blanks; the tree is padded to 2^(d+1) - 1.
   * Entries may be wire Nodes or TreeNodes (which keep exact bytes). This only
   * checks the shape and key uniqueness: call validateRatchetTree before
   * trusting a tree received from anyone.
   */
  static fromNodes(suite: CipherSuite, nodes: readonly (Node | TreeNode | undefined)[]): RatchetTree {
    if (nodes.length === 0) throw new TalosError('DECODE_INVALID_TREE', 'ratchet_tree is empty')
    if (nodes[nodes.length - 1] === undefined) throw new TalosError('DECODE_INVALID_TREE', 'ratchet_tree ends with a blank node')
    let leafCount = 1
    while (2 * leafCount - 1 < nodes.length) {
      leafCount *= 2
      if (leafCount > MAX_LEAVES) throw new TalosError('DECODE_INVALID_TREE', `ratchet_tree of ${nodes.length} nodes is too large`)
    }
    const t = new RatchetTree(suite, leafCount)
    nodes.forEach((n, x) => {
      if (n === undefined) return
      const isLeaf = (x & 1) === 0
      if (isLeaf !== (n.nodeType === NodeType.leaf)) {
        throw new TalosError('DECODE_INVALID_TREE', `node ${x} is a ${isLeaf ? 'leaf' : 'parent'} position holding a ${isLeaf ? 'parent' : 'leaf'} node`)
      }
      // TreeNodes (from decodeTree or toNodes) are immutable and carry their bytes: shared as they are.
      if ('bytes' in n && Object.isFrozen(n)) t.setNode(x, n)
      else t.setNode(x, n.nodeType === NodeType.leaf ? leafTreeNode(n.leafNode) : parentTreeNode(n.parentNode))
    })
    return t
  }

  /** A staged copy, copy-on-write: O(n / 256) table copies now, O(1) chunk copies per later write. */
  clone(): RatchetTree {
    // Bring the hint up to date here, on the tree that stays: a staged copy's
    // Add would otherwise rescan from a stale hint every time (the live tree
    // never searches itself; at n = 10,000 that was a 10,000-leaf scan per Add).
    this.leftmostBlankLeaf()
    const c = Object.create(RatchetTree.prototype) as RatchetTree
    ;(c as { suite: CipherSuite }).suite = this.suite
    c.nodes = this.nodes.clone()
    c.hashes = this.hashes.clone()
    c.nonBlank = this.nonBlank.clone()
    c.keys = this.keys.clone()
    c.leaves = this.leaves
    c.members = this.members
    c.credentialTypes = new Map(this.credentialTypes)
    c.blankHint = this.blankHint
    return c
  }

  // --- reading ---

  get leafCount(): number {
    return this.leaves
  }

  get nodeCount(): number {
    return 2 * this.leaves - 1
  }

  get root(): number {
    return this.leaves - 1
  }

  /** How many members have a credential of type `t` (§7.3 credential types in use). O(1). */
  credentialTypeCount(t: number): number {
    return this.credentialTypes.get(t) ?? 0
  }

  /** The credential types in use by members. O(number of types). */
  credentialTypesInUse(): number[] {
    return [...this.credentialTypes.keys()]
  }

  /** Number of non-blank leaves. */
  get memberCount(): number {
    return this.members
  }

  node(x: number): TreeNode | undefined {
    this.checkNode(x)
    return this.nodes.get(x)
  }

  /** The LeafTreeNode at leaf `i`, undefined when blank. */
  leafAt(i: number): LeafTreeNode | undefined {
    this.checkLeaf(i)
    return this.nodes.get(2 * i) as LeafTreeNode | undefined
  }

  leaf(i: number): LeafNode | undefined {
    return this.leafAt(i)?.leafNode
  }

  /** The ParentNode at odd node x, undefined when blank. */
  parent(x: number): ParentNode | undefined {
    this.checkNode(x)
    return (this.nodes.get(x) as ParentTreeNode | undefined)?.parentNode
  }

  /** Leaf indices of the non-blank leaves, in order. O(n). */
  memberIndices(): number[] {
    const out: number[] = []
    for (let i = 0; i < this.leaves; i++) if (this.nodes.get(2 * i) !== undefined) out.push(i)
    return out
  }

  /** The node currently holding this HPKE encryption key, if any. */
  findEncryptionKey(key: Uint8Array): number | undefined {
    return this.keys.get(KeyIndex.ref('e', key))
  }

  /** The leaf index whose LeafNode has this signature key, if any. */
  findSignatureKey(key: Uint8Array): number | undefined {
    const x = this.keys.get(KeyIndex.ref('s', key))
    return x === undefined ? undefined : x >> 1
  }

  /** The leftmost blank leaf, or leafCount when the tree is full (the leaf an extension would create). */
  leftmostBlankLeaf(): number {
    let i = this.blankHint
    while (i < this.leaves && this.nodes.get(2 * i) !== undefined) i++
    this.blankHint = i
    return i
  }

  /**
   * Resolution of node x (§4.1.2), as node indices in the RFC's order: a
   * non-blank node then its unmerged leaves; a blank parent, the resolution
   * of its left then its right child. Leaves in `excludeLeaves` (leaf indices,
   * e.g. members added by the current Commit, §7.6) are left out.
   */
  resolution(x: number, excludeLeaves?: ReadonlySet<number>): number[] {
    this.checkNode(x)
    const out: number[] = []
    this.resolve(x, out, excludeLeaves)
    return out
  }

  private resolve(x: number, out: number[], ex: ReadonlySet<number> | undefined): void {
    if (this.nonBlank.get(x) === 0) return
    const n = this.nodes.get(x)
    if (n !== undefined) {
      if (n.nodeType === NodeType.leaf) {
        if (ex === undefined || !ex.has(x >> 1)) out.push(x)
        return
      }
      out.push(x)
      for (const l of n.parentNode.unmergedLeaves) if (ex === undefined || !ex.has(l)) out.push(2 * l)
      return
    }
    if ((x & 1) === 0) return
    const k = levelOf(x)
    this.resolve(x ^ (1 << (k - 1)), out, ex)
    this.resolve(x ^ (3 << (k - 1)), out, ex)
  }

  /** True when the resolution of x is empty: no non-blank node at or below x. Stops at the first non-blank node. */
  isResolutionEmpty(x: number): boolean {
    this.checkNode(x)
    return this.nonBlank.get(x) === 0
  }

  /** Direct path of leaf i (§4.1.2) paired with the copath child under each node, leaf to root. */
  directPathWithCopath(i: number): { node: number; copath: number }[] {
    this.checkLeaf(i)
    const out: { node: number; copath: number }[] = []
    const r = this.leaves - 1
    let x = 2 * i
    while (x !== r) {
      const p = parentOf(x)
      out.push({ node: p, copath: x ^ (2 << levelOf(x)) })
      x = p
    }
    return out
  }

  /**
   * Filtered direct path of leaf i (§4.1.2): the direct path without the nodes
   * whose copath child has an empty resolution, each with that copath child.
   */
  filteredDirectPath(i: number): { node: number; copath: number }[] {
    return this.directPathWithCopath(i).filter((e) => this.nonBlank.get(e.copath) !== 0)
  }

  /** Tree hash of node x (§7.8), the root by default; recomputes only what changed since last asked. */
  treeHash(x: number = this.leaves - 1): Uint8Array {
    this.checkNode(x)
    return this.hashOf(x)
  }

  private hashOf(x: number): Uint8Array {
    const cached = this.hashes.get(x)
    if (cached !== undefined) return cached
    const n = this.nodes.get(x)
    let h: Uint8Array
    if (this.nonBlank.get(x) === 0) {
      h = blankSubtreeHash(this.suite, x)
    } else if ((x & 1) === 0) {
      h = this.suite.hash(leafHashInput(x >> 1, n?.bytes))
    } else {
      const k = levelOf(x)
      const l = this.hashOf(x ^ (1 << (k - 1)))
      const r = this.hashOf(x ^ (3 << (k - 1)))
      h = this.suite.hash(parentHashInput(n?.bytes, l, r))
    }
    this.hashes.set(x, h)
    return h
  }

  // --- changing (only ever on a tree the caller owns: a staged clone) ---

  /**
   * Sets node x (a LeafTreeNode at even x, a ParentTreeNode at odd x) or blanks
   * it (`undefined`), keeping the key index and the hash cache in step. A key
   * already held by another node is refused before anything changes.
   */
  setNode(x: number, node: TreeNode | undefined): void {
    this.checkNode(x)
    const old = this.nodes.get(x)
    if (old === node) return
    if (node !== undefined) {
      if (((x & 1) === 0) !== (node.nodeType === NodeType.leaf)) {
        throw new TalosError('MLS_INVALID_TREE_STATE', `node ${x} cannot hold a ${node.nodeType === NodeType.leaf ? 'leaf' : 'parent'} node`)
      }
    }
    const refs = node === undefined ? undefined : this.checkKeysFree(x, node)
    if (old !== undefined) {
      this.keys.remove(KeyIndex.ref('e', keyOf(old)), x)
      if (old.nodeType === NodeType.leaf) this.keys.remove(KeyIndex.ref('s', old.leafNode.signatureKey), x)
    }
    this.nodes.set(x, node)
    if (refs !== undefined) {
      this.keys.add(refs.e, x)
      if (refs.s !== undefined) this.keys.add(refs.s, x)
    }
    const delta = (node !== undefined ? 1 : 0) - (old !== undefined ? 1 : 0)
    if ((x & 1) === 0) {
      if (old !== undefined) this.countCredentialType((old as LeafTreeNode).leafNode.credential.credentialType, -1)
      if (node !== undefined) this.countCredentialType((node as LeafTreeNode).leafNode.credential.credentialType, 1)
      this.members += delta
      if (node === undefined && x >> 1 < this.blankHint) this.blankHint = x >> 1
    }
    if (delta !== 0) this.countUp(x, delta)
    this.invalidate(x)
  }

  private countCredentialType(t: number, delta: number): void {
    const n = (this.credentialTypes.get(t) ?? 0) + delta
    if (n === 0) this.credentialTypes.delete(t)
    else this.credentialTypes.set(t, n)
  }

  private countUp(x: number, delta: number): void {
    const r = this.leaves - 1
    this.nonBlank.set(x, this.nonBlank.get(x) + delta)
    while (x !== r) {
      x = parentOf(x)
      this.nonBlank.set(x, this.nonBlank.get(x) + delta)
    }
  }

  /** Throws if another node holds one of `node`'s keys; returns the keys' index refs. */
  private checkKeysFree(x: number, node: TreeNode): { e: KeyRef; s: KeyRef | undefined } {
    const e = KeyIndex.ref('e', keyOf(node))
    const eHolder = this.keys.get(e)
    if (eHolder !== undefined && eHolder !== x) {
      throw new TalosError('MLS_DUPLICATE_ENCRYPTION_KEY', `node ${x}: encryption key already used by node ${eHolder}`)
    }
    if (node.nodeType !== NodeType.leaf) return { e, s: undefined }
    const s = KeyIndex.ref('s', node.leafNode.signatureKey)
    const sHolder = this.keys.get(s)
    if (sHolder !== undefined && sHolder !== x) {
      throw new TalosError('MLS_DUPLICATE_SIGNATURE_KEY', `leaf ${x >> 1}: signature key already used by leaf ${sHolder >> 1}`)
    }
    return { e, s }
  }

  /** Forgets the cached hashes of x and its ancestors (stopping where already forgotten). */
  private invalidate(x: number): void {
    // Every ancestor is visited: a blank subtree's hash comes from the shared
    // memo and is cached at its top only, so an uncached node can sit below a
    // cached one. O(log n) reads; writes only where a hash was cached.
    const r = this.leaves - 1
    if (this.hashes.get(x) !== undefined) this.hashes.set(x, undefined)
    while (x !== r) {
      x = parentOf(x)
      if (this.hashes.get(x) !== undefined) this.hashes.set(x, undefined)
    }
  }

  /** Sets leaf i to `leaf` (no other node changes). */
  setLeaf(i: number, leaf: LeafNode, bytes?: Uint8Array): void {
    this.checkLeaf(i)
    this.setNode(2 * i, leafTreeNode(leaf, bytes))
  }

  /** Blanks every parent on the direct path of leaf i. */
  blankDirectPath(i: number): void {
    for (const { node } of this.directPathWithCopath(i)) this.setNode(node, undefined)
  }

  /** Doubles the tree: the old tree becomes the left subtree of a new blank root (§7.7). */
  extend(): void {
    if (2 * this.leaves > MAX_LEAVES) throw new TalosError('MLS_INVALID_TREE_SIZE', 'the tree cannot grow beyond 2^30 leaves')
    const old = 2 * this.leaves - 1
    this.nodes.resize(2 * old + 1)
    this.hashes.resize(2 * old + 1)
    this.nonBlank.resize(2 * old + 1)
    this.nonBlank.set(old, this.nonBlank.get(old >> 1)) // the new root covers the old tree
    this.leaves *= 2
  }

  /**
   * §7.7 / §12.1.3: drops the right half while it holds no non-blank leaf (a
   * parent cannot be non-blank there: removing a leaf blanks its direct path).
   */
  truncate(): void {
    let last = this.leaves - 1
    while (last > 0 && this.nodes.get(2 * last) === undefined) last--
    let leaves = this.leaves
    while (leaves > 1 && leaves / 2 > last) leaves /= 2
    this.shrinkTo(leaves)
  }

  /**
   * Keeps only the leftmost `leaves` leaves (a power of two, at most leafCount):
   * the nodes outside are blanked first, so the key index and counts stay exact.
   */
  shrinkTo(leaves: number): void {
    if (!Number.isInteger(leaves) || leaves < 1 || leaves > this.leaves || (leaves & (leaves - 1)) !== 0) {
      throw new TalosError('MLS_INVALID_TREE_SIZE', `cannot shrink a tree of ${this.leaves} leaves to ${leaves}`)
    }
    if (leaves === this.leaves) return
    // Drop the discarded nodes' keys from the index (after truncate() there are none: they are blank).
    for (let x = 2 * leaves - 1; x < this.nodes.length; x++) if (this.nodes.get(x) !== undefined) this.setNode(x, undefined)
    this.nodes.resize(2 * leaves - 1)
    this.hashes.resize(2 * leaves - 1)
    this.nonBlank.resize(2 * leaves - 1)
    this.leaves = leaves
    if (this.blankHint > leaves) this.blankHint = leaves
  }

  /**
   * Add (§12.1.1): the leftmost blank leaf (extending the tree when none is
   * left) gets `leaf`, and each non-blank parent on its direct path lists it
   * as unmerged. Returns the new leaf index.
   */
  addLeaf(leaf: LeafNode, bytes?: Uint8Array): number {
    const node = leafTreeNode(leaf, bytes)
    this.checkKeysFree(-1, node)
    const i = this.leftmostBlankLeaf()
    if (i === this.leaves) this.extend()
    this.setNode(2 * i, node)
    for (const { node: p } of this.directPathWithCopath(i)) {
      const n = this.nodes.get(p) as ParentTreeNode | undefined
      if (n === undefined) continue
      this.setNode(p, parentTreeNode({ ...n.parentNode, unmergedLeaves: insertSorted(n.parentNode.unmergedLeaves, i) }))
    }
    return i
  }

  /** Update (§12.1.2): replaces leaf i and blanks its direct path. */
  updateLeaf(i: number, leaf: LeafNode, bytes?: Uint8Array): void {
    if (this.leafAt(i) === undefined) throw new TalosError('MLS_BLANK_LEAF', `leaf ${i} is blank`)
    this.setNode(2 * i, leafTreeNode(leaf, bytes))
    this.blankDirectPath(i)
  }

  /** Remove (§12.1.3): blanks leaf i and its direct path, then truncates. */
  removeLeaf(i: number): void {
    if (this.leafAt(i) === undefined) throw new TalosError('MLS_BLANK_LEAF', `leaf ${i} is blank`)
    this.setNode(2 * i, undefined)
    this.blankDirectPath(i)
    this.truncate()
  }

  /** Makes leaf i exist, extending the tree as needed (an external joiner's leaf, §12.4.3.2). */
  ensureLeaf(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= MAX_LEAVES) throw new TalosError('MLS_INVALID_LEAF_INDEX', `leaf index ${i}`)
    while (i >= this.leaves) this.extend()
  }

  // --- serialization ---

  /** The ratchet_tree form: nodes in array order without trailing blanks (TreeNodes are wire Nodes). */
  toNodes(): (TreeNode | undefined)[] {
    return this.nodes.toArray(this.lastNonBlank() + 1)
  }

  /**
   * The body of the ratchet_tree extension's node vector (§12.4.3.3: the
   * optional<Node> of every slot up to the last non-blank one), as parts to
   * be written one after the other. Whole chunks come from the memo, so at
   * n = 10,000 a Commit re-encodes the few chunks it changed, not 20,000 nodes.
   */
  encodedNodes(): Uint8Array[] {
    return this.nodes.derived(this.lastNonBlank() + 1)
  }

  /** The index of the last non-blank node, -1 when every node is blank: O(log n) through the subtree counts. */
  private lastNonBlank(): number {
    let x = this.leaves - 1
    if (this.nonBlank.get(x) === 0) return -1
    // Invariant: the subtree under x holds the answer. Right subtree first, then x, then the left.
    while ((x & 1) === 1) {
      const k = levelOf(x)
      const right = x ^ (3 << (k - 1))
      if (this.nonBlank.get(right) !== 0) x = right
      else if (this.nodes.get(x) !== undefined) return x
      else x ^= 1 << (k - 1)
    }
    return x
  }

  private checkNode(x: number): void {
    if (!Number.isInteger(x) || x < 0 || x >= this.nodes.length) {
      throw new TalosError('MLS_INVALID_LEAF_INDEX', `node ${x} is outside a tree of ${this.leaves} leaves`)
    }
  }

  private checkLeaf(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.leaves) {
      throw new TalosError('MLS_INVALID_LEAF_INDEX', `leaf ${i} is outside a tree of ${this.leaves} leaves`)
    }
  }
}

function keyOf(n: TreeNode): Uint8Array {
  return n.nodeType === NodeType.leaf ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
}

function insertSorted(list: readonly number[], v: number): number[] {
  const out = list.slice()
  let j = out.length
  while (j > 0 && out[j - 1]! > v) j--
  if (out[j - 1] !== v) out.splice(j, 0, v)
  return out
}
