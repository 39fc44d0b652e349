/**
 * Merging the public part of an UpdatePath into a (staged) tree, RFC 9420
 * §7.5 "merges UpdatePath into the tree" and §7.9:
 *
 *   1. blank every node on the sender's direct path;
 *   2. give each node of the filtered direct path its new public key and an
 *      empty unmerged_leaves list;
 *   3. compute the parent hashes from the root down: the root's parent_hash is
 *      empty, each lower node's is the parent hash of the next node up
 *      (encryption key, that node's parent_hash, tree hash of its copath
 *      child), and what remains at the bottom is the leaf's parent_hash.
 *
 * The copath children are not on the changed path, so their tree hashes come
 * from the tree's cache: the whole merge costs O(log n) hashes.
 */
import type { RatchetTree } from '../tree/ratchet-tree.js'
import { parentTreeNode } from '../tree/node.js'
import { parentHash } from '../tree/parent-hash.js'

export interface PathNode {
  /** Node index on the filtered direct path. */
  node: number
  /** Its copath child (the child not on the sender's path). */
  copath: number
}

const EMPTY = new Uint8Array(0)

/**
 * Applies steps 1-3 to `tree` for the sender at `leafIndex`, with
 * `publicKeys[i]` for `path[i]` (`path` = the sender's filtered direct path,
 * computed before the merge). Returns the parent_hash the sender's new leaf
 * must carry. The leaf itself is left to the caller.
 */
export function mergePathKeys(tree: RatchetTree, leafIndex: number, path: readonly PathNode[], publicKeys: readonly Uint8Array[]): Uint8Array {
  tree.blankDirectPath(leafIndex)
  let ph: Uint8Array = EMPTY
  for (let i = path.length - 1; i >= 0; i--) {
    const { node, copath } = path[i]!
    const encryptionKey = publicKeys[i]!
    tree.setNode(node, parentTreeNode({ encryptionKey, parentHash: ph, unmergedLeaves: [] }))
    ph = parentHash(tree.suite, encryptionKey, ph, tree.treeHash(copath))
  }
  return ph
}
