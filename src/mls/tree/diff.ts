/**
 * A ratchet tree stored as its differences from another tree: how a member's
 * state record keeps the trees of retired epochs (group/persist.ts).
 *
 * Why: a retired epoch's tree differs from the next epoch's by one Commit
 * (a path, a few leaves), yet stored whole it doubled the record of a
 * 10,000-member group (2 MB per tree) and the work and garbage of every load.
 * As a diff it costs O(changed nodes) bytes, and on load it is a copy-on-write
 * clone of the newer tree with those nodes set, so both trees share their
 * unchanged nodes and cached hashes, as they did before the state was saved.
 *
 *   struct {
 *     uint32 leaf_count;                                  // of the stored tree
 *     struct { uint32 node; optional<Node> value; } changed<V>;   // ascending
 *   } TreeDiff;
 *
 * The stored tree is taken in its ratchet_tree form (trailing blanks dropped,
 * the smallest perfect tree holding the rest), exactly what a full encoding
 * would restore, so records stay canonical. `changed` lists every node of the
 * stored tree whose value differs from the base's at the same index (nodes
 * beyond the base are compared with blank). Decoding checks the shape; the
 * caller checks the result against its GroupContext tree_hash.
 */
import type { Reader, Writer } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import { MAX_LEAVES } from '../treemath.js'
import { decodeNode } from './codec.js'
import { NodeType } from '../wire/ratchet-tree.js'
import type { TreeNode } from './node.js'
import type { RatchetTree } from './ratchet-tree.js'

function sameNode(a: TreeNode | undefined, b: TreeNode | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a.nodeType !== b.nodeType || a.bytes.length !== b.bytes.length) return false
  return Buffer.compare(a.bytes, b.bytes) === 0
}

/** Leaves of the smallest perfect tree with `nodes` nodes (as RatchetTree.fromNodes pads). */
function leavesFor(nodes: number): number {
  let leaves = 1
  while (2 * leaves - 1 < nodes) leaves *= 2
  return leaves
}

/** Writes `tree` as a TreeDiff against `base`. O(n) pointer compares, O(changed) bytes. */
export function writeTreeDiff(w: Writer, base: RatchetTree, tree: RatchetTree): void {
  const nodes = tree.toNodes()
  const leaves = leavesFor(nodes.length)
  const changed: number[] = []
  for (let x = 0; x < 2 * leaves - 1; x++) {
    const mine = x < nodes.length ? nodes[x] : undefined
    const theirs = x < base.nodeCount ? base.node(x) : undefined
    if (!sameNode(mine, theirs)) changed.push(x)
  }
  w.u32(leaves)
  w.list(changed, (lw, x) => {
    lw.u32(x)
    lw.optional(nodes[x], (ow, n) => ow.u8(n.nodeType).bytes(n.bytes))
  })
}

function bad(message: string): never {
  throw new TalosError('DECODE_INVALID_TREE', message)
}

/**
 * Reads a TreeDiff against `base` into a new tree (base is not changed).
 * `maxLeaves` bounds the stored tree's size before anything is allocated: a
 * diff is a few bytes however large the tree it describes.
 */
export function readTreeDiff(r: Reader, base: RatchetTree, maxLeaves: number): RatchetTree {
  const leaves = r.u32()
  if (leaves < 1 || leaves > Math.min(MAX_LEAVES, Math.max(maxLeaves, base.leafCount)) || (leaves & (leaves - 1)) !== 0) {
    bad(`tree diff: leaf count ${leaves}`)
  }
  let last = -1
  const changed = r.list((lr) => {
    const x = lr.u32()
    if (x <= last || x >= 2 * leaves - 1) bad(`tree diff: node ${x} out of order or outside ${leaves} leaves`)
    last = x
    return { x, node: lr.optional(decodeNode) }
  })
  const tree = base.clone()
  while (tree.leafCount < leaves) tree.extend()
  // Drop the base's nodes beyond the stored tree before setting any: a key there (a member removed,
  // then re-added at a new leaf past the older tree's end) may be held by a changed node.
  tree.shrinkTo(leaves)
  // Blank every changed node first: a key may sit at different nodes in the two trees (a resync's
  // new leaf keeps the signature key of the leaf it replaces), and the tree refuses a key held twice.
  for (const { x } of changed) tree.setNode(x, undefined)
  for (const { x, node } of changed) {
    if (node === undefined) continue
    if (((x & 1) === 0) !== (node.nodeType === NodeType.leaf)) bad(`tree diff: node ${x} has the wrong node type`)
    tree.setNode(x, node)
  }
  // Canonical form: the smallest tree holding the last non-blank node, as a full encoding gives.
  const stored = tree.toNodes().length
  if (stored === 0 || leavesFor(stored) !== leaves) bad('tree diff: empty, or not the smallest tree for its nodes')
  return tree
}
