/**
 * Parent hashes (RFC 9420 §7.9): computing them and verifying the chains of
 * a whole tree (§7.9.2, as a joiner must, §12.4.3.1).
 *
 *   ParentHashInput = { encryption_key, parent_hash, original_sibling_tree_hash }
 *   parent hash of P with copath child S = Hash(ParentHashInput(P, th'(S)))
 *
 * where th'(S) is the tree hash of S after blanking every leaf in
 * P.unmerged_leaves and removing them from all unmerged_leaves lists.
 * originalSiblingTreeHash recomputes only the nodes whose subtree holds one
 * of those leaves (O(u log n) for u unmerged leaves) and takes every other
 * hash from the tree's cache, which §7.9 notes is enough.
 *
 * verifyParentHashes works top down: every non-blank parent P must have
 * exactly one descendant D that is parent-hash valid with respect to P:
 *   - D is in the resolution of P's child C on D's side,
 *   - P.unmerged_leaves ∩ subtree(C) = resolution(C) minus D, and
 *   - D.parent_hash = parent hash of P with copath child S (C's sibling).
 * Since D is itself a leaf (commit source) or a parent checked the same way,
 * every non-blank parent chains down to a leaf whose signature covers it.
 */
import { TalosError } from '../../errors.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import { NodeType, parentNodeCodec, type ParentNode } from '../wire/ratchet-tree.js'
import { parentHashInputBytes, parentTreeHashInput, leafTreeHashInput } from '../wire/tree-hash-input.js'
import { encode } from '../../codec/tls.js'
import type { RatchetTree } from './ratchet-tree.js'
import { constantTimeEqual as equal } from '../../crypto/sodium.js'

export function parentHash(
  suite: CipherSuite,
  encryptionKey: Uint8Array,
  parentHashField: Uint8Array,
  originalSiblingTreeHash: Uint8Array,
): Uint8Array {
  return suite.hash(parentHashInputBytes({ encryptionKey, parentHash: parentHashField, originalSiblingTreeHash }))
}

function level(x: number): number {
  const v = x + 1
  return 31 - Math.clz32(v & -v)
}

/** First and last leaf index under node x. */
export function leafSpan(x: number): [number, number] {
  const k = level(x)
  const half = (1 << k) - 1
  return [(x - half) >> 1, (x + half) >> 1]
}

/** Members of the sorted list `leaves` under node x. */
function leavesUnder(x: number, leaves: readonly number[]): number[] {
  const [lo, hi] = leafSpan(x)
  return leaves.filter((l) => l >= lo && l <= hi)
}

/** Tree hash of node x with the leaves in `removed` (sorted leaf indices) blanked and unlisted (§7.9). */
export function originalSiblingTreeHash(tree: RatchetTree, x: number, removed: readonly number[]): Uint8Array {
  const under = leavesUnder(x, removed)
  if (under.length === 0) return tree.treeHash(x)
  const suite = tree.suite
  if ((x & 1) === 0) return suite.hash(leafTreeHashInput(x >> 1, undefined))
  const k = level(x)
  const l = originalSiblingTreeHash(tree, x ^ (1 << (k - 1)), under)
  const r = originalSiblingTreeHash(tree, x ^ (3 << (k - 1)), under)
  const p = tree.parent(x)
  let bytes: Uint8Array | undefined
  if (p !== undefined) {
    const kept = p.unmergedLeaves.filter((u) => !under.includes(u))
    const node = tree.node(x)!
    bytes = kept.length === p.unmergedLeaves.length ? node.bytes : encode(parentNodeCodec, { ...p, unmergedLeaves: kept })
  }
  return suite.hash(parentTreeHashInput(bytes, l, r))
}

/** The parent_hash field of node d, if it has one (parent nodes, commit-source leaves). */
function parentHashField(tree: RatchetTree, d: number): Uint8Array | undefined {
  const n = tree.node(d)
  if (n === undefined) return undefined
  if (n.nodeType === NodeType.parent) return n.parentNode.parentHash
  return n.leafNode.leafNodeSource === LeafNodeSource.commit ? n.leafNode.parentHash : undefined
}

/** The D that could be parent-hash valid for P on child c's side (structure only), or undefined. */
function candidate(tree: RatchetTree, p: ParentNode, c: number): number | undefined {
  const res = tree.resolution(c)
  const unmerged = leavesUnder(c, p.unmergedLeaves).map((l) => 2 * l)
  if (res.length !== unmerged.length + 1) return undefined
  const rest = res.filter((n) => !unmerged.includes(n))
  return rest.length === 1 ? rest[0] : undefined
}

/** Does P (node x) have exactly one parent-hash valid descendant? */
function isParentHashValid(tree: RatchetTree, x: number, p: ParentNode): boolean {
  const k = level(x)
  const children = [x ^ (1 << (k - 1)), x ^ (3 << (k - 1))] as const
  let valid = 0
  for (let side = 0; side < 2; side++) {
    const c = children[side]!
    const s = children[1 - side]!
    const d = candidate(tree, p, c)
    if (d === undefined) continue
    const field = parentHashField(tree, d)
    if (field === undefined) continue
    const expected = parentHash(tree.suite, p.encryptionKey, p.parentHash, originalSiblingTreeHash(tree, s, p.unmergedLeaves))
    if (equal(field, expected)) valid++
  }
  return valid === 1
}

/** §7.9.2 for every non-blank parent; MLS_BAD_PARENT_HASH names the first node that fails. */
export function verifyParentHashes(tree: RatchetTree): void {
  for (let x = 1; x < tree.nodeCount; x += 2) {
    const p = tree.parent(x)
    if (p !== undefined && !isParentHashValid(tree, x, p)) {
      throw new TalosError('MLS_BAD_PARENT_HASH', `parent node ${x} is not parent-hash valid`)
    }
  }
}
