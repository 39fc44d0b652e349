/**
 * Tree hashes of all-blank subtrees (RFC 9420 §7.8), per cipher suite. A
 * blank subtree's hash depends only on the suite and the subtree's position
 * (its leaves' indices), never on the group, so it is shared by every tree:
 * when a tree doubles (a Commit adding member 2^k + 1), the new blank half
 * costs one lookup instead of 2^(k+1) - 1 hashes, and joiners of wide trees
 * skip the blank right edge. Bounded: only nodes below MAX_BLANK_MEMO are
 * kept (at most that many 32-64 byte hashes per suite object). The hashes are
 * public values.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { levelUnchecked as levelOf } from '../treemath.js'
import { leafHashInput, parentHashInput } from './hash-input.js'

const MAX_BLANK_MEMO = 1 << 17
const blankMemo = new WeakMap<CipherSuite, Map<number, Uint8Array>>()

/** The tree hash of the all-blank subtree rooted at node x. */
export function blankSubtreeHash(suite: CipherSuite, x: number): Uint8Array {
  let memo = blankMemo.get(suite)
  if (memo === undefined) {
    memo = new Map()
    blankMemo.set(suite, memo)
  }
  return blankHash(suite, memo, x)
}

function blankHash(suite: CipherSuite, memo: Map<number, Uint8Array>, x: number): Uint8Array {
  const cached = memo.get(x)
  if (cached !== undefined) return cached
  let h: Uint8Array
  if ((x & 1) === 0) {
    h = suite.hash(leafHashInput(x >> 1, undefined))
  } else {
    const k = levelOf(x)
    h = suite.hash(parentHashInput(undefined, blankHash(suite, memo, x ^ (1 << (k - 1))), blankHash(suite, memo, x ^ (3 << (k - 1)))))
  }
  if (x < MAX_BLANK_MEMO) memo.set(x, h)
  return h
}
