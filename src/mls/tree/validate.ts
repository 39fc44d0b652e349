/**
 * Validation of a whole ratchet tree received when joining (RFC 9420
 * §12.4.3.1, with §7.3 for each leaf and §7.9.2 for parent hashes). Also used
 * for a tree loaded from untrusted storage.
 *
 * Checks, in this order (cheapest global check first, the O(n) signature
 * verifications last), each failure a TalosError naming the rule:
 *   1. the tree hash equals GroupContext.tree_hash        MLS_TREE_HASH_MISMATCH
 *   2. unmerged_leaves: sorted, each entry a non-blank leaf below the parent,
 *      listed by every non-blank node in between          MLS_INVALID_UNMERGED_LEAVES
 *   3. every non-blank parent is parent-hash valid       MLS_BAD_PARENT_HASH
 *   4. every leaf passes §7.3 (validateLeafNode of src/mls/keys: source,
 *      credential via the AuthenticationService, signature over LeafNodeTBS
 *      with group_id and leaf index for update/commit leaves, extensions and
 *      credential type in its capabilities, required_capabilities, optional
 *      lifetime against a clock)                         MLS_INVALID_LEAF_SIGNATURE, ...
 *   5. every leaf supports every credential type in use  MLS_UNSUPPORTED_CREDENTIAL_TYPE
 * Key uniqueness (encryption keys across all nodes, signature keys across
 * leaves) is enforced when the tree is built (MLS_DUPLICATE_ENCRYPTION_KEY,
 * MLS_DUPLICATE_SIGNATURE_KEY), so no tree object can violate it.
 *
 * validateRatchetTreeAsync runs the same checks with the same results and
 * errors, the leaf signatures verified on the verification pool
 * (src/crypto/verify-pool.ts: worker threads next to the calling thread,
 * each signature verified singly, never batched). Joiners use it, and may
 * start the signatures early (startLeafSignatures) so that the workers
 * verify while the calling thread does the other checks. A leaf whose
 * signature fails is only reported when its turn comes in index order, after
 * the tree-wide checks, exactly as validateRatchetTree would.
 *
 * Lifetimes: §7.3 only RECOMMENDS checking a received leaf's lifetime, and the
 * interop vectors carry long-expired lifetimes; pass `now` to enforce them.
 */
import { TalosError } from '../../errors.js'
import type { AuthenticationService } from '../keys/credential.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { startVerifyWithLabelMany, type LabeledVerifyItem, type PendingVerification } from '../../crypto/verify-pool.js'
import { LEAF_LABEL, leafNodeSignatureItem, validateLeafNode, validateLeafNodeVerified, type LeafNodeCheck } from '../keys/leaf-node.js'
import type { RequiredCapabilities } from '../wire/group-info.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import { NodeType } from '../wire/ratchet-tree.js'
import type { LeafTreeNode, TreeNode } from './node.js'
import { verifyParentHashes, leafSpan } from './parent-hash.js'
import type { RatchetTree } from './ratchet-tree.js'
import { constantTimeEqual as equal } from '../../crypto/sodium.js'

export interface TreeValidationOptions {
  /** The group the leaves must be bound to (update/commit leaf signatures). */
  groupId: Uint8Array
  /** GroupContext.tree_hash; when absent the tree hash is not compared (vectors without one). */
  treeHash?: Uint8Array | undefined
  authService: AuthenticationService
  /** Current time in seconds; when given, key_package leaves' lifetimes must contain it. */
  now?: bigint | undefined
  maxLifetimeSeconds?: bigint | undefined
  requiredCapabilities?: RequiredCapabilities | undefined
  /** When given, every leaf must list this cipher suite and mls10. */
  cipherSuite?: number | undefined
}

export function validateRatchetTree(tree: RatchetTree, opts: TreeValidationOptions): void {
  verifyTreeWide(tree, opts)
  verifyLeaves(tree, opts, undefined)
}

/** Checks 1-3: tree hash, unmerged_leaves, parent hashes. */
function verifyTreeWide(tree: RatchetTree, opts: TreeValidationOptions): void {
  if (opts.treeHash !== undefined && !equal(tree.treeHash(), opts.treeHash)) {
    throw new TalosError('MLS_TREE_HASH_MISMATCH', 'the ratchet tree does not match the group tree_hash')
  }
  verifyUnmergedLeaves(tree)
  verifyParentHashes(tree)
}

/**
 * Leaf signatures under way (startLeafSignatures). A verdict is only used
 * for the very LeafTreeNode object it was computed on, at the same leaf
 * index, for the same group_id and suite: any other leaf is verified inline.
 */
export class PendingLeafSignatures {
  /** @internal use startLeafSignatures */
  constructor(
    private readonly suiteId: number,
    private readonly groupId: Uint8Array,
    /** Per item: the leaf index and the node object it was built from. */
    private readonly leaves: readonly { readonly index: number; readonly node: LeafTreeNode }[],
    private readonly pending: PendingVerification,
  ) {}

  /** Gives the verifications up (the caller failed before validating). */
  cancel(): void {
    this.pending.cancel()
  }

  /** @internal The verdicts that apply to `tree` bound to `groupId`, by leaf index (awaits the pool). */
  async verdictsFor(tree: RatchetTree, groupId: Uint8Array): Promise<Map<number, boolean>> {
    const verdicts = new Map<number, boolean>()
    if (tree.suite.id !== this.suiteId || !equal(groupId, this.groupId)) {
      this.pending.cancel() // started for something else: not used
      return verdicts
    }
    const results = await this.pending.finish()
    this.leaves.forEach(({ index, node }, k) => {
      if (index < tree.leafCount && tree.leafAt(index) === node) verdicts.set(index, results[k]!)
    })
    return verdicts
  }
}

/** The signature context of leaf i: group_id and leaf_index for update and commit leaves (§7.2). */
function leafCheckContext(source: LeafNodeSource, groupId: Uint8Array, i: number): LeafNodeCheck['context'] {
  return source === LeafNodeSource.key_package ? undefined : { groupId, leafIndex: i }
}

/**
 * Starts verifying the signature of every leaf in `nodes` (a tree's nodes in
 * array order, as decodeTreeNodes or RatchetTree.toNodes give them) bound to
 * `groupId`, on the verification pool. This can start before the tree is
 * built from the same node objects; validateRatchetTreeAsync(tree, opts,
 * started) then uses the verdicts, judged in leaf order. A leaf whose
 * signature input cannot be built is left to validateRatchetTreeAsync, which
 * fails on it exactly as validateRatchetTree does.
 */
export function startLeafSignatures(suite: CipherSuite, nodes: readonly (TreeNode | undefined)[], groupId: Uint8Array): PendingLeafSignatures {
  const items: LabeledVerifyItem[] = []
  const leaves: { index: number; node: LeafTreeNode }[] = []
  for (let x = 0; x < nodes.length; x += 2) {
    const n = nodes[x]
    if (n === undefined || n.nodeType !== NodeType.leaf) continue
    const i = x >> 1
    let item: LabeledVerifyItem
    try {
      item = leafNodeSignatureItem(n.leafNode, { context: leafCheckContext(n.leafNode.leafNodeSource, groupId, i), encoded: n.bytes })
    } catch {
      continue
    }
    items.push(item)
    leaves.push({ index: i, node: n })
  }
  return new PendingLeafSignatures(suite.id, groupId.slice(), leaves, startVerifyWithLabelMany(suite, LEAF_LABEL, items))
}

/**
 * validateRatchetTree with the leaf signatures verified on the verification
 * pool (started here, or earlier by startLeafSignatures). Same checks, order,
 * results and errors.
 */
export async function validateRatchetTreeAsync(
  tree: RatchetTree,
  opts: TreeValidationOptions,
  started?: PendingLeafSignatures,
): Promise<void> {
  const sigs = started ?? startLeafSignatures(tree.suite, tree.toNodes(), opts.groupId)
  try {
    verifyTreeWide(tree, opts)
  } catch (e) {
    sigs.cancel()
    throw e
  }
  verifyLeaves(tree, opts, await sigs.verdictsFor(tree, opts.groupId))
}

function unmerged(message: string): TalosError {
  return new TalosError('MLS_INVALID_UNMERGED_LEAVES', message)
}

/** Binary search in a sorted list. */
function includesSorted(list: readonly number[], v: number): boolean {
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const m = list[mid]!
    if (m === v) return true
    if (m < v) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** §7.1 and §12.4.3.1 rules on unmerged_leaves. */
export function verifyUnmergedLeaves(tree: RatchetTree): void {
  for (let x = 1; x < tree.nodeCount; x += 2) {
    const p = tree.parent(x)
    if (p === undefined) continue
    const [lo, hi] = leafSpan(x)
    let prev = -1
    for (const l of p.unmergedLeaves) {
      if (l <= prev) throw unmerged(`parent ${x}: unmerged_leaves are not strictly increasing`)
      prev = l
      if (l < lo || l > hi) throw unmerged(`parent ${x}: unmerged leaf ${l} is not below it`)
      if (tree.leaf(l) === undefined) throw unmerged(`parent ${x}: unmerged leaf ${l} is blank`)
      for (const { node } of tree.directPathWithCopath(l)) {
        if (node === x) break
        const between = tree.parent(node)
        if (between !== undefined && !includesSorted(between.unmergedLeaves, l)) {
          throw unmerged(`leaf ${l} is unmerged at ${x} but not at ${node} below it`)
        }
      }
    }
  }
}

/** Checks 4-5; `verdicts` holds leaf signatures verified ahead (by leaf index), the others are verified here. */
function verifyLeaves(tree: RatchetTree, opts: TreeValidationOptions, verdicts: ReadonlyMap<number, boolean> | undefined): void {
  const inUse = new Set<number>()
  for (let i = 0; i < tree.leafCount; i++) {
    const n = tree.leafAt(i)
    if (n === undefined) continue
    const leaf = n.leafNode
    const check: LeafNodeCheck = {
      suite: tree.suite,
      authService: opts.authService,
      expectedSource: leaf.leafNodeSource,
      context: leafCheckContext(leaf.leafNodeSource, opts.groupId, i),
      encoded: n.bytes,
      now: opts.now,
      maxLifetimeSeconds: opts.maxLifetimeSeconds,
      requiredCapabilities: opts.requiredCapabilities,
      groupCipherSuite: opts.cipherSuite,
    }
    const verdict = verdicts?.get(i)
    try {
      if (verdict === undefined) validateLeafNode(leaf, check)
      else validateLeafNodeVerified(leaf, check, verdict)
    } catch (e) {
      // Same code, the leaf named: the first failing leaf in index order is the one reported.
      if (e instanceof TalosError) throw new TalosError(e.code, `leaf ${i}: ${e.message}`, { cause: e })
      throw e
    }
    inUse.add(leaf.credential.credentialType)
  }
  // §7.3: every member supports every credential type in use (its own is checked above).
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(i)
    if (leaf === undefined) continue
    for (const t of inUse) {
      if (!leaf.capabilities.credentials.includes(t)) {
        throw new TalosError('MLS_UNSUPPORTED_CREDENTIAL_TYPE', `leaf ${i} does not support credential type ${t}, which a member uses`)
      }
    }
  }
}
