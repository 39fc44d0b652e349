/**
 * Ratchet tree nodes and the ratchet_tree extension (RFC 9420 §7.1, §12.4.3.3).
 *
 *   struct {
 *     HPKEPublicKey encryption_key;
 *     opaque parent_hash<V>;
 *     uint32 unmerged_leaves<V>;
 *   } ParentNode;
 *   enum { reserved(0), leaf(1), parent(2), (255) } NodeType;
 *   struct {
 *     NodeType node_type;
 *     select (Node.node_type) {
 *       case leaf:   LeafNode leaf_node;
 *       case parent: ParentNode parent_node;
 *     };
 *   } Node;
 *   optional<Node> ratchet_tree<V>;
 *
 * The ratchet_tree vector lists nodes in array (in-order) order with
 * `undefined` for blank nodes. §12.4.3.3: the sender MUST NOT include trailing
 * blank nodes and the receiver MUST check the last node is non-blank; that is
 * a property of the encoding, so decodeRatchetTree enforces it (and a
 * non-empty vector) with DECODE_INVALID_TREE, and the encoder refuses to
 * produce such a vector (MLS_INVALID_STRUCTURE). Whether the node count and the
 * node types fit tree positions is left to the tree module. NodeType is closed.
 */
import { TalosError } from '../../errors.js'
import { decode, encode, type Codec } from '../../codec/tls.js'
import { invalidStruct } from './encoded.js'
import { leafNodeCodec, type LeafNode } from './leaf-node.js'

export interface ParentNode {
  encryptionKey: Uint8Array
  parentHash: Uint8Array
  /** Leaf indices, which §7.1 requires sorted increasingly (checked by the tree module). */
  unmergedLeaves: number[]
}

export const parentNodeCodec: Codec<ParentNode> = {
  encode(w, v) {
    w.opaque(v.encryptionKey)
    w.opaque(v.parentHash)
    w.list(v.unmergedLeaves, (lw, i) => lw.u32(i))
  },
  decode(r) {
    const encryptionKey = r.opaque()
    const parentHash = r.opaque()
    return { encryptionKey, parentHash, unmergedLeaves: r.list((lr) => lr.u32()) }
  },
}

export const NodeType = { leaf: 1, parent: 2 } as const
export type NodeType = (typeof NodeType)[keyof typeof NodeType]
const NODE_TYPES: ReadonlySet<number> = new Set(Object.values(NodeType))

/** Discriminated on `nodeType`. */
export type Node =
  | { nodeType: typeof NodeType.leaf; leafNode: LeafNode }
  | { nodeType: typeof NodeType.parent; parentNode: ParentNode }

export const nodeCodec: Codec<Node> = {
  encode(w, v) {
    w.u8(v.nodeType)
    if (v.nodeType === NodeType.leaf) leafNodeCodec.encode(w, v.leafNode)
    else if (v.nodeType === NodeType.parent) parentNodeCodec.encode(w, v.parentNode)
    else throw invalidStruct(`Node with node_type ${(v as { nodeType: number }).nodeType}`)
  },
  decode(r) {
    const nodeType = r.enumValue(1, NODE_TYPES, 'NodeType')
    if (nodeType === NodeType.leaf) return { nodeType, leafNode: leafNodeCodec.decode(r) }
    return { nodeType: NodeType.parent, parentNode: parentNodeCodec.decode(r) }
  },
}

/** The ratchet_tree extension body: one entry per node, `undefined` = blank. */
export type RatchetTree = (Node | undefined)[]

export const ratchetTreeCodec: Codec<RatchetTree> = {
  encode(w, v) {
    // The receiver refuses these (see above), so never produce them.
    if (v.length === 0 || v[v.length - 1] === undefined) throw invalidStruct('ratchet_tree that is empty or ends blank')
    w.list(v, (nw, node) => nw.optional(node, nodeCodec.encode))
  },
  decode(r) {
    const nodes = r.list((nr) => nr.optional(nodeCodec.decode))
    if (nodes.length === 0) throw new TalosError('DECODE_INVALID_TREE', 'ratchet_tree is empty')
    if (nodes[nodes.length - 1] === undefined) {
      throw new TalosError('DECODE_INVALID_TREE', 'ratchet_tree ends with a blank node')
    }
    return nodes
  },
}

export function encodeRatchetTree(tree: RatchetTree): Uint8Array {
  return encode(ratchetTreeCodec, tree)
}

export function decodeRatchetTree(bytes: Uint8Array): RatchetTree {
  return decode(ratchetTreeCodec, bytes, 'ratchet_tree')
}
