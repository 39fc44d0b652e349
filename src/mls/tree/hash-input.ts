/**
 * TreeHashInput bytes (RFC 9420 §7.8) built with one allocation each, for
 * the tree-hash hot path (a join hashes 2n nodes, a commit 2 log n):
 *
 *   leaf:   node_type(1) | uint32 leaf_index | optional<LeafNode>
 *   parent: node_type(2) | optional<ParentNode> | opaque left_hash<V> | opaque right_hash<V>
 *
 * from the nodes' exact encodings. Byte-identical to wire/tree-hash-input.ts
 * (the vector tests compare both against the official tree hashes); that
 * module goes through the general Writer, which costs two allocations and a
 * copy per node.
 */

function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4
}

function putVarint(out: Uint8Array, at: number, n: number): number {
  if (n < 0x40) {
    out[at] = n
    return at + 1
  }
  if (n < 0x4000) {
    out[at] = 0x40 | (n >>> 8)
    out[at + 1] = n & 0xff
    return at + 2
  }
  out[at] = 0x80 | (n >>> 24)
  out[at + 1] = (n >>> 16) & 0xff
  out[at + 2] = (n >>> 8) & 0xff
  out[at + 3] = n & 0xff
  return at + 4
}

export function leafHashInput(leafIndex: number, leafBytes: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(6 + (leafBytes?.length ?? 0))
  out[0] = 1
  out[1] = leafIndex >>> 24
  out[2] = (leafIndex >>> 16) & 0xff
  out[3] = (leafIndex >>> 8) & 0xff
  out[4] = leafIndex & 0xff
  if (leafBytes !== undefined) {
    out[5] = 1
    out.set(leafBytes, 6)
  }
  return out
}

export function parentHashInput(parentBytes: Uint8Array | undefined, left: Uint8Array, right: Uint8Array): Uint8Array {
  const p = parentBytes?.length ?? 0
  const out = new Uint8Array(2 + p + varintSize(left.length) + left.length + varintSize(right.length) + right.length)
  out[0] = 2
  let at = 2
  if (parentBytes !== undefined) {
    out[1] = 1
    out.set(parentBytes, 2)
    at += p
  }
  at = putVarint(out, at, left.length)
  out.set(left, at)
  at = putVarint(out, at + left.length, right.length)
  out.set(right, at)
  return out
}
