/**
 * The ratchet_tree extension form of a RatchetTree (RFC 9420 §12.4.3.3):
 *
 *   optional<Node> ratchet_tree<V>;
 *
 * nodes in array order, blank = absent, no trailing blank. Decoding keeps each
 * node's exact bytes (so the tree hash and leaf signatures are computed over
 * what the sender encoded, without re-encoding), and encoding writes the kept
 * bytes back verbatim: the output is byte-identical to wire
 * encodeRatchetTree() on the same nodes, at memcpy cost.
 *
 * The same bytes are the persistence format of the public tree: the tree is
 * a pure function of them, and every cache is rebuilt on load.
 */
import { decode, varintSize, Writer, type Codec, type Reader } from '../../codec/tls.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { leafNodeCodec, type LeafNode } from '../wire/leaf-node.js'
import { NodeType, parentNodeCodec, type ParentNode } from '../wire/ratchet-tree.js'
import { encodeNodeSlots, leafTreeNode, parentTreeNode, type TreeNode } from './node.js'
import { RatchetTree } from './ratchet-tree.js'

const NODE_TYPES: ReadonlySet<number> = new Set([NodeType.leaf, NodeType.parent])

/** One Node (RFC 9420 §7.1) keeping its exact bytes (a copy). */
export function decodeNode(r: Reader): TreeNode {
  return decodeNodeIn(r, undefined)
}

/**
 * A node read from `r`; with `own`, the buffer `r` reads (offsets are
 * absolute), its exact bytes are a view into `own`, a private copy of the
 * whole tree made once by decodeTreeNodes, rather than one copy per node
 * (20,000 small allocations at n = 10,000).
 */
function decodeNodeIn(r: Reader, own: Uint8Array | undefined): TreeNode {
  const nodeType = r.enumValue(1, NODE_TYPES, 'NodeType')
  const start = r.offset
  const node = nodeType === NodeType.leaf ? leafNodeCodec.decode(r) : parentNodeCodec.decode(r)
  const bytes = own === undefined ? r.sliceFrom(start) : own.subarray(start, r.offset)
  return nodeType === NodeType.leaf ? leafTreeNode(node as LeafNode, bytes) : parentTreeNode(node as ParentNode, bytes)
}

/** Decodes nodes from a reader over `own` (see decodeNodeIn). */
function treeNodesCodec(own: Uint8Array): Codec<(TreeNode | undefined)[]> {
  return { decode: (r) => r.list((nr) => nr.optional((x) => decodeNodeIn(x, own))), encode: (w, nodes) => writeTreeParts(w, [encodeNodeSlots(nodes, nodes.length)]) }
}

/**
 * Decodes a ratchet_tree extension body into a RatchetTree. Raises
 * DECODE_* on malformed bytes (including an empty tree, a trailing blank and
 * a node type at the wrong position). Like RatchetTree.fromNodes this does
 * not validate the tree's contents: see validateRatchetTree.
 */
export function decodeTree(suite: CipherSuite, bytes: Uint8Array): RatchetTree {
  return RatchetTree.fromNodes(suite, decodeTreeNodes(bytes))
}

/**
 * The nodes of a ratchet_tree extension body in array order, each with its
 * exact bytes, before any tree is built from them (RatchetTree.fromNodes
 * shares these objects): a joiner starts the leaf signatures on them first.
 */
export function decodeTreeNodes(bytes: Uint8Array): (TreeNode | undefined)[] {
  // One private copy (decoded values never alias the caller's buffer); the node bytes are views into it.
  // Not bytes.slice(): on a Node Buffer that is a view of the caller's memory, not a copy.
  const own = new Uint8Array(bytes)
  return decode(treeNodesCodec(own), own, 'ratchet_tree')
}

/** The ratchet_tree extension body of `tree`, written from the tree's memoised parts (RatchetTree.encodedNodes). */
export function encodeTree(tree: RatchetTree): Uint8Array {
  const parts = tree.encodedNodes()
  const w = new Writer(encodedTreeLength(parts))
  writeTreeParts(w, parts)
  return w.finish()
}

/** The encoded length of the ratchet_tree extension body made of `parts`. */
export function encodedTreeLength(parts: readonly Uint8Array[]): number {
  let len = 0
  for (const p of parts) len += p.length
  return varintSize(len) + len
}

/** Writes the ratchet_tree extension body made of `parts` (node vector: varint length, then the parts). */
export function writeTreeParts(w: Writer, parts: readonly Uint8Array[]): void {
  let len = 0
  for (const p of parts) len += p.length
  w.varint(len)
  for (const p of parts) w.bytes(p)
}
