/**
 * TreeDiff (src/mls/tree/diff.ts): a tree stored against another restores
 * exactly what a full ratchet_tree encoding restores (same nodes, size, tree
 * hash, key index), whatever happened between the two trees; the base tree
 * is never changed; malformed diffs are DECODE_INVALID_TREE.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Reader, Writer } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { readTreeDiff, writeTreeDiff } from '../../../src/mls/tree/diff.js'
import { decodeTree, encodeTree, leafTreeNode, parentTreeNode, RatchetTree } from '../../../src/mls/tree/index.js'
import { hostile, onlyTalosError } from '../../helpers/fuzz.js'
import { toHex } from '../../helpers/vectors.js'
import { fakeLeaf, fakeParent } from './fake.js'

const suite = getCipherSuite(1)

function diffBytes(base: RatchetTree, tree: RatchetTree): Uint8Array {
  const w = new Writer(64)
  writeTreeDiff(w, base, tree)
  return w.finish()
}

function restore(base: RatchetTree, bytes: Uint8Array, maxLeaves = 1 << 16): RatchetTree {
  const r = new Reader(bytes)
  const t = readTreeDiff(r, base, maxLeaves)
  r.assertDone('tree diff')
  return t
}

/** The diff restores what encodeTree/decodeTree restores, and leaves the base as it was. */
function expectRoundTrip(base: RatchetTree, old: RatchetTree): void {
  const baseBefore = toHex(encodeTree(base))
  const baseHash = toHex(base.treeHash())
  const got = restore(base, diffBytes(base, old))
  const want = decodeTree(suite, encodeTree(old))
  expect(got.leafCount).toBe(want.leafCount)
  expect(toHex(encodeTree(got))).toBe(toHex(encodeTree(want)))
  expect(toHex(got.treeHash())).toBe(toHex(want.treeHash()))
  for (const i of want.memberIndices()) {
    expect(got.findSignatureKey(want.leaf(i)!.signatureKey)).toBe(i)
    expect(got.findEncryptionKey(want.leaf(i)!.encryptionKey)).toBe(2 * i)
  }
  expect(toHex(encodeTree(base))).toBe(baseBefore)
  expect(toHex(base.treeHash())).toBe(baseHash)
}

function expectInvalid(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(isTalosError(e) && e.code).toBe('DECODE_INVALID_TREE')
    return
  }
  throw new Error('expected DECODE_INVALID_TREE')
}

function grown(n: number): RatchetTree {
  const t = RatchetTree.create(suite, fakeLeaf(0))
  for (let i = 1; i < n; i++) t.addLeaf(fakeLeaf(i))
  return t
}

describe('tree diff', () => {
  it('restores the older tree across paths, updates, adds that double and removes that truncate', () => {
    let old = grown(5)
    for (const step of ['path', 'update', 'add', 'add-many', 'remove', 'remove-tail', 'nothing'] as const) {
      const next = old.clone()
      if (step === 'path') {
        next.blankDirectPath(1)
        for (const { node } of next.directPathWithCopath(1)) next.setNode(node, parentTreeNode(fakeParent()))
      } else if (step === 'update') next.updateLeaf(2, fakeLeaf(22))
      else if (step === 'add') next.addLeaf(fakeLeaf(30))
      else if (step === 'add-many') for (let i = 0; i < 9; i++) next.addLeaf(fakeLeaf(40 + i))
      else if (step === 'remove') next.removeLeaf(3)
      else if (step === 'remove-tail') for (const i of next.memberIndices().slice(1).reverse()) next.removeLeaf(i)
      expectRoundTrip(next, old)
      expectRoundTrip(old, next) // and the other way round
      old = next
    }
  })

  it('restores a tree whose signature key sits at another leaf in the base (a resync)', () => {
    const old = grown(4)
    const next = old.clone()
    const moved = old.leaf(1)!
    next.removeLeaf(1)
    next.setNode(2 * 3, undefined)
    next.setNode(2 * 3, leafTreeNode({ ...fakeLeaf(9), signatureKey: moved.signatureKey }))
    expectRoundTrip(next, old)
  })

  it('restores a smaller tree whose signature key sits beyond it in the base (removed, then re-added after another Add)', () => {
    // Commit: Remove leaf 3, Add C (takes leaf 3), Add B again with the same signature key (extends: leaf 4).
    const old = grown(4)
    const next = old.clone()
    const bob = old.leaf(3)!
    next.removeLeaf(3)
    next.addLeaf(fakeLeaf(30))
    next.addLeaf({ ...fakeLeaf(31), signatureKey: bob.signatureKey })
    expect(next.leafCount).toBe(8)
    expectRoundTrip(next, old)
  })

  it('a mutated or truncated diff gives TalosError only, and leaves the base as it was', () => {
    const base = grown(6)
    const old = base.clone()
    old.updateLeaf(2, fakeLeaf(22))
    old.removeLeaf(5)
    const valid = diffBytes(base, old)
    const before = toHex(encodeTree(base))
    fc.assert(
      fc.property(hostile(valid), (bytes) => {
        onlyTalosError(() => restore(base, bytes))
      }),
      { numRuns: 500 },
    )
    expect(toHex(encodeTree(base))).toBe(before)
  })

  it('shares the unchanged nodes with its base', () => {
    const old = grown(64)
    const next = old.clone()
    next.updateLeaf(5, fakeLeaf(5))
    const bytes = diffBytes(next, old)
    expect(bytes.length).toBeLessThan(1000)
    const got = restore(next, bytes)
    expect(got.node(40)).toBe(next.node(40))
  })

  it('refuses malformed diffs before changing anything', () => {
    const base = grown(4)
    const before = toHex(encodeTree(base))
    const head = (leaves: number, entries: [number, boolean][]) => {
      const w = new Writer(64)
      w.u32(leaves)
      w.list(entries, (lw, [x, leaf]) => {
        lw.u32(x)
        const n = leaf ? leafTreeNode(fakeLeaf(x)) : parentTreeNode(fakeParent())
        lw.optional(n, (ow, v) => ow.u8(v.nodeType).bytes(v.bytes))
      })
      return w.finish()
    }
    expectInvalid(() => restore(base, head(3, [])))
    expectInvalid(() => restore(base, head(0, [])))
    expectInvalid(() => restore(base, head(1 << 20, [[(1 << 21) - 2, true]]))) // beyond maxLeaves: nothing allocated
    expectInvalid(() => restore(base, head(4, [[2, true], [0, true]]))) // out of order
    expectInvalid(() => restore(base, head(4, [[7, true]]))) // outside the tree
    expectInvalid(() => restore(base, head(4, [[1, true]]))) // a leaf at a parent position
    expectInvalid(() => restore(base, head(8, []))) // not the smallest tree for its nodes
    expect(toHex(encodeTree(base))).toBe(before)
  })
})
