/**
 * Nodes of the ratchet tree as the tree keeps them (RFC 9420 §7.1, §7.2):
 * the wire value together with its exact encoding.
 *
 * The encoding is what the tree hash (§7.8) hashes, so keeping it means a
 * leaf is never re-encoded for hashing and a LeafNode received from a peer is
 * hashed byte-for-byte as it was signed. Both shapes are structurally wire
 * `Node`s (nodeType + leafNode | parentNode), so a tree node can be handed to
 * the wire codecs directly.
 *
 * Tree nodes are immutable: every change to a node builds a new object. That
 * is what lets RatchetTree.clone() share node objects between the live tree
 * and a staged copy.
 */
import { encode } from '../../codec/tls.js'
import { leafNodeCodec, type LeafNode } from '../wire/leaf-node.js'
import { NodeType, parentNodeCodec, type ParentNode } from '../wire/ratchet-tree.js'

export interface LeafTreeNode {
  readonly nodeType: typeof NodeType.leaf
  readonly leafNode: LeafNode
  /** The exact LeafNode encoding (signature included). */
  readonly bytes: Uint8Array
}

export interface ParentTreeNode {
  readonly nodeType: typeof NodeType.parent
  readonly parentNode: ParentNode
  /** The exact ParentNode encoding. */
  readonly bytes: Uint8Array
}

export type TreeNode = LeafTreeNode | ParentTreeNode

/** Wraps a LeafNode; pass `bytes` when they are the exact received encoding (saves re-encoding). */
export function leafTreeNode(leafNode: LeafNode, bytes?: Uint8Array): LeafTreeNode {
  return Object.freeze({ nodeType: NodeType.leaf, leafNode, bytes: bytes ?? encode(leafNodeCodec, leafNode) })
}

export function parentTreeNode(parentNode: ParentNode, bytes?: Uint8Array): ParentTreeNode {
  return Object.freeze({ nodeType: NodeType.parent, parentNode, bytes: bytes ?? encode(parentNodeCodec, parentNode) })
}

/**
 * The ratchet_tree extension's encoding (RFC 9420 §12.4.3.3: optional<Node>
 * per slot) of slots[0 .. count): 0 for a blank slot, else 1, the node_type
 * and the node's exact bytes. RatchetTree memoises it per chunk of 256 slots
 * (cow-array.ts), so a GroupInfo's tree is written from cached parts.
 */
export function encodeNodeSlots(slots: readonly (TreeNode | undefined)[], count: number): Uint8Array {
  let size = 0
  for (let i = 0; i < count; i++) {
    const n = slots[i]
    size += n === undefined ? 1 : 2 + n.bytes.length
  }
  const out = new Uint8Array(size)
  let p = 0
  for (let i = 0; i < count; i++) {
    const n = slots[i]
    if (n === undefined) {
      out[p++] = 0
      continue
    }
    out[p++] = 1
    out[p++] = n.nodeType
    out.set(n.bytes, p)
    p += n.bytes.length
  }
  return out
}
