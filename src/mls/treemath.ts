/**
 * Array-based tree math, RFC 9420 §4 ("Ratchet Tree Terminology") and
 * Appendix C ("Array-Based Trees").
 *
 * Nodes of a tree with n leaves live in an array of nodeWidth(n) = 2n - 1
 * slots: leaves at even indices (leaf i at node 2i), parents at odd indices,
 * and a node's level is the number of trailing 1 bits of its index. RFC 9420
 * trees are always perfect (§4: 2^d leaves), so every function taking
 * `nLeaves` requires a power of two; that catches callers passing a member
 * count instead of the tree's leaf count.
 *
 * Bounds: nLeaves <= 2^30, so node indices are < 2^31 - 1 and every
 * intermediate value fits the 32-bit bitwise operators JavaScript offers.
 * The scalar functions allocate nothing; only directPath/copath build arrays.
 *
 * Errors (TalosError `MLS_TREE_MATH`), always for a caller bug or bad input:
 *   - an index or size that is not an integer in range (any function);
 *   - nLeaves not a power of two (root, parent, sibling, directPath, copath)
 *     or x outside the tree (x >= nodeWidth(nLeaves));
 *   - left/right of a leaf;
 *   - parent/sibling of the root;
 *   - nodeToLeaf of a parent (odd) node.
 * filteredDirectPath needs the tree contents and lives with the tree.
 */
import { TalosError } from '../errors.js'

/** Largest supported leaf count (2^30): node indices then stay below 2^31 - 1. */
export const MAX_LEAVES = 0x40000000
/** Largest valid node index: nodeWidth(MAX_LEAVES) - 1. */
export const MAX_NODE = 2 * MAX_LEAVES - 2

function fail(message: string): never {
  throw new TalosError('MLS_TREE_MATH', message)
}

function checkNode(x: number): void {
  if (!Number.isInteger(x) || x < 0 || x > MAX_NODE) fail(`node index ${x} is out of range`)
}

/** nLeaves must be a power of two in [1, 2^30] and x a node of that tree. */
function checkInTree(x: number, nLeaves: number): void {
  checkLeafCount(nLeaves)
  if (!Number.isInteger(x) || x < 0 || x >= 2 * nLeaves - 1) {
    fail(`node ${x} is outside a tree of ${nLeaves} leaves`)
  }
}

function checkLeafCount(nLeaves: number): void {
  if (!Number.isInteger(nLeaves) || nLeaves < 1 || nLeaves > MAX_LEAVES || (nLeaves & (nLeaves - 1)) !== 0) {
    fail(`${nLeaves} leaves is not a power of two in [1, 2^30]`)
  }
}

/** floor(log2(x)) for x >= 1, and 0 for x = 0 (Appendix C `log2`); x < 2^32. */
export function log2(x: number): number {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) fail(`log2 of ${x}`)
  return x === 0 ? 0 : 31 - Math.clz32(x)
}

/** Leaves are level 0; a parent is one above its children (trailing 1 bits of x). */
export function level(x: number): number {
  checkNode(x)
  return levelUnchecked(x)
}

/** level(x) without the range check, for hot paths over node indices already known to be valid (x < 2^31). */
export function levelUnchecked(x: number): number {
  // The trailing ones of x are the trailing zeros of x + 1; (v & -v) isolates the lowest set bit.
  const v = x + 1
  return 31 - Math.clz32(v & -v)
}

/** Number of array slots for a tree with nLeaves leaves (any nLeaves in [0, 2^30]). */
export function nodeWidth(nLeaves: number): number {
  if (!Number.isInteger(nLeaves) || nLeaves < 0 || nLeaves > MAX_LEAVES) fail(`${nLeaves} leaves is out of range`)
  return nLeaves === 0 ? 0 : 2 * (nLeaves - 1) + 1
}

/** Index of the root of a tree with nLeaves (a power of two) leaves. */
export function root(nLeaves: number): number {
  checkLeafCount(nLeaves)
  return nLeaves - 1
}

/** Left child of a parent node. */
export function left(x: number): number {
  const k = level(x)
  if (k === 0) fail(`leaf node ${x} has no left child`)
  return x ^ (1 << (k - 1))
}

/** Right child of a parent node (always inside a perfect tree that holds x). */
export function right(x: number): number {
  const k = level(x)
  if (k === 0) fail(`leaf node ${x} has no right child`)
  return x ^ (3 << (k - 1))
}

/** Parent of x in a tree with nLeaves leaves; the root has none. */
export function parent(x: number, nLeaves: number): number {
  checkInTree(x, nLeaves)
  if (x === nLeaves - 1) fail(`root node ${x} has no parent`)
  const k = level(x)
  // parent = 01x over children 00x (left) and 10x (right): set bit k, clear bit k+1 if it was set.
  const b = (x >>> (k + 1)) & 1
  return (x | (1 << k)) ^ (b << (k + 1))
}

/** The other child of x's parent; the root has none. */
export function sibling(x: number, nLeaves: number): number {
  checkInTree(x, nLeaves)
  if (x === nLeaves - 1) fail(`root node ${x} has no sibling`)
  // Siblings at level k differ exactly in bit k+1 (00x vs 10x).
  return x ^ (2 << level(x))
}

/** Ancestors of x from its parent up to and including the root (empty for the root), RFC 9420 §4.1. */
export function directPath(x: number, nLeaves: number): number[] {
  checkInTree(x, nLeaves)
  const r = nLeaves - 1
  const out: number[] = []
  let k = level(x)
  while (x !== r) {
    const b = (x >>> (k + 1)) & 1
    x = (x | (1 << k)) ^ (b << (k + 1))
    k++
    out.push(x)
  }
  return out
}

/** Siblings of x and of each node on its direct path except the root, leaf to root (RFC 9420 §4.1). */
export function copath(x: number, nLeaves: number): number[] {
  checkInTree(x, nLeaves)
  const r = nLeaves - 1
  const out: number[] = []
  let k = level(x)
  while (x !== r) {
    out.push(x ^ (2 << k))
    const b = (x >>> (k + 1)) & 1
    x = (x | (1 << k)) ^ (b << (k + 1))
    k++
  }
  return out
}

/**
 * Lowest node whose subtree holds both x and y (x itself when y is below x,
 * and vice versa). Independent of the tree size: in the array layout the
 * answer is the same in every tree containing both nodes.
 */
export function commonAncestor(x: number, y: number): number {
  checkNode(x)
  checkNode(y)
  // The subtree under a level-k node spans the indices sharing its bits above bit k.
  const lx = level(x) + 1
  const ly = level(y) + 1
  if (lx <= ly && x >>> ly === y >>> ly) return y
  if (ly <= lx && x >>> lx === y >>> lx) return x
  let xn = x
  let yn = y
  let k = 0
  while (xn !== yn) {
    xn >>>= 1
    yn >>>= 1
    k++
  }
  // The common prefix, followed by 0 and then k-1 ones: the level k-1 node under that prefix.
  return xn * 2 ** k + 2 ** (k - 1) - 1
}

export function isLeaf(x: number): boolean {
  checkNode(x)
  return (x & 1) === 0
}

/** Node index of leaf `leafIndex` (2i). */
export function leafToNode(leafIndex: number): number {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= MAX_LEAVES) fail(`leaf index ${leafIndex} is out of range`)
  return 2 * leafIndex
}

/** Leaf index of an even node index. */
export function nodeToLeaf(nodeIndex: number): number {
  checkNode(nodeIndex)
  if ((nodeIndex & 1) !== 0) fail(`node ${nodeIndex} is a parent node, not a leaf`)
  return nodeIndex >>> 1
}
