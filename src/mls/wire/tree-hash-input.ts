/**
 * Inputs of the tree hash and the parent hash (RFC 9420 §7.8, §7.9).
 *
 *   struct {
 *     NodeType node_type;
 *     select (TreeHashInput.node_type) {
 *       case leaf:   LeafNodeHashInput leaf_node;
 *       case parent: ParentNodeHashInput parent_node;
 *     };
 *   } TreeHashInput;
 *   struct { uint32 leaf_index; optional<LeafNode> leaf_node; } LeafNodeHashInput;
 *   struct { optional<ParentNode> parent_node; opaque left_hash<V>; opaque right_hash<V>; } ParentNodeHashInput;
 *   struct {
 *     HPKEPublicKey encryption_key;
 *     opaque parent_hash<V>;
 *     opaque original_sibling_tree_hash<V>;
 *   } ParentHashInput;
 *
 * These are only ever encoded (and hashed). The tree-hash builders accept the
 * node's exact encoding, so a tree that keeps each LeafNode's bytes (see
 * withBytes) hashes a leaf without re-encoding it.
 */
import { Writer, struct, opaque, type Codec } from '../../codec/tls.js'
import { leafNodeCodec, type LeafNode } from './leaf-node.js'
import { NodeType, parentNodeCodec, type ParentNode } from './ratchet-tree.js'

/** TreeHashInput for leaf `leafIndex`; `leaf` is the LeafNode or its exact bytes, undefined when blank. */
export function leafTreeHashInput(leafIndex: number, leaf: LeafNode | Uint8Array | undefined): Uint8Array {
  const w = new Writer(leaf instanceof Uint8Array ? leaf.length + 8 : 256)
  w.u8(NodeType.leaf).u32(leafIndex)
  if (leaf === undefined) w.u8(0)
  else if (leaf instanceof Uint8Array) w.u8(1).bytes(leaf)
  else leafNodeCodec.encode(w.u8(1), leaf)
  return w.finish()
}

/** TreeHashInput for a parent node; `parent` is the ParentNode or its exact bytes, undefined when blank. */
export function parentTreeHashInput(
  parent: ParentNode | Uint8Array | undefined,
  leftHash: Uint8Array,
  rightHash: Uint8Array,
): Uint8Array {
  const w = new Writer(160 + (parent instanceof Uint8Array ? parent.length : 0))
  w.u8(NodeType.parent)
  if (parent === undefined) w.u8(0)
  else if (parent instanceof Uint8Array) w.u8(1).bytes(parent)
  else parentNodeCodec.encode(w.u8(1), parent)
  return w.opaque(leftHash).opaque(rightHash).finish()
}

export interface ParentHashInput {
  encryptionKey: Uint8Array
  parentHash: Uint8Array
  originalSiblingTreeHash: Uint8Array
}

export const parentHashInputCodec: Codec<ParentHashInput> = struct({
  encryptionKey: opaque,
  parentHash: opaque,
  originalSiblingTreeHash: opaque,
})

export function parentHashInputBytes(v: ParentHashInput): Uint8Array {
  const w = new Writer(v.encryptionKey.length + v.parentHash.length + v.originalSiblingTreeHash.length + 12)
  parentHashInputCodec.encode(w, v)
  return w.finish()
}
