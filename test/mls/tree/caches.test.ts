/**
 * Caches added for commit cost: tree hashes of all-blank subtrees shared
 * across trees (a doubling Add hashes one half less), and the per-tree
 * count of credential types in use (the §7.3 check on changed leaves only).
 * Both must equal what a from-scratch computation gives.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { encodeTree, leafTreeNode, parentTreeNode, RatchetTree } from '../../../src/mls/tree/index.js'
import { encodeRatchetTree } from '../../../src/mls/wire/ratchet-tree.js'
import { leafTreeHashInput, parentTreeHashInput } from '../../../src/mls/wire/tree-hash-input.js'
import { toHex } from '../../helpers/vectors.js'
import { fakeLeaf, fakeParent } from './fake.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'

const suite = getCipherSuite(1)

function level(x: number): number {
  const v = x + 1
  return 31 - Math.clz32(v & -v)
}

/** §7.8 tree hash straight from the definition, through the wire encoders. */
function referenceHash(s: CipherSuite, t: RatchetTree, x: number): Uint8Array {
  if ((x & 1) === 0) return s.hash(leafTreeHashInput(x >> 1, t.leafAt(x >> 1)?.bytes))
  const k = level(x)
  const p = t.node(x)
  return s.hash(parentTreeHashInput(p?.bytes, referenceHash(s, t, x ^ (1 << (k - 1))), referenceHash(s, t, x ^ (3 << (k - 1)))))
}

describe('blank-subtree hash memo', () => {
  it('trees that double, shrink and regrow hash as the definition says, in every suite object', () => {
    for (const s of [suite, getCipherSuite(3), Object.create(suite) as CipherSuite]) {
      const t = RatchetTree.create(s, fakeLeaf(0))
      for (let i = 1; i <= 33; i++) {
        t.addLeaf(fakeLeaf(i))
        if (i % 4 === 0 || i === 16 || i === 17) expect(toHex(t.treeHash())).toBe(toHex(referenceHash(s, t, t.leafCount - 1)))
      }
      for (const i of [33, 32, 31, 7, 3]) {
        t.removeLeaf(i)
        expect(toHex(t.treeHash())).toBe(toHex(referenceHash(s, t, t.leafCount - 1)))
      }
      const c = t.clone()
      c.addLeaf(fakeLeaf(99))
      expect(toHex(c.treeHash())).toBe(toHex(referenceHash(s, c, c.leafCount - 1)))
      expect(toHex(t.treeHash())).toBe(toHex(referenceHash(s, t, t.leafCount - 1)))
    }
  })
})

describe('credential types in use', () => {
  it('are counted through adds, updates, removes and clones', () => {
    const t = RatchetTree.create(suite, fakeLeaf(0))
    t.addLeaf(fakeLeaf(1))
    const x509 = { ...fakeLeaf(2), credential: { credentialType: 2, certificates: [new Uint8Array([1])] } } as unknown as ReturnType<typeof fakeLeaf>
    const at = t.addLeaf(x509)
    expect(t.credentialTypeCount(1)).toBe(2)
    expect(t.credentialTypeCount(2)).toBe(1)
    const c = t.clone()
    c.removeLeaf(at)
    expect(c.credentialTypeCount(2)).toBe(0)
    expect(c.credentialTypesInUse()).toEqual([1])
    expect(t.credentialTypeCount(2)).toBe(1)
    t.updateLeaf(at, fakeLeaf(3))
    expect(t.credentialTypeCount(2)).toBe(0)
    expect(t.credentialTypeCount(1)).toBe(3)
    t.removeLeaf(0)
    expect(t.credentialTypeCount(1)).toBe(2)
  })
})

describe('ratchet_tree encoding from memoised chunk parts', () => {
  /** The generic wire encoder over the nodes read one by one, trailing blanks dropped. */
  function reference(t: RatchetTree): string {
    const nodes = []
    for (let x = 0; x < t.nodeCount; x++) nodes.push(t.node(x))
    while (nodes.length > 0 && nodes[nodes.length - 1] === undefined) nodes.pop()
    return toHex(encodeRatchetTree(nodes))
  }

  it('equals the generic encoder across adds, path updates, removes, clones and shrinking', () => {
    const t = RatchetTree.create(suite, fakeLeaf(0))
    for (let i = 1; i < 300; i++) t.addLeaf(fakeLeaf(i))
    expect(toHex(encodeTree(t))).toBe(reference(t))
    // A staged clone changes a few chunks; the live tree's parts stay right, and so do the clone's.
    const c = t.clone()
    for (const { node } of c.directPathWithCopath(5)) c.setNode(node, parentTreeNode(fakeParent()))
    c.updateLeaf(200, fakeLeaf(1000))
    expect(toHex(encodeTree(c))).toBe(reference(c))
    expect(toHex(encodeTree(t))).toBe(reference(t))
    // Written in place after being encoded (an owned chunk): the memo must not survive.
    c.setNode(2 * 7, leafTreeNode(fakeLeaf(1001)))
    expect(toHex(encodeTree(c))).toBe(reference(c))
    for (let i = 299; i >= 60; i--) c.removeLeaf(i) // the tree shrinks, the last chunk becomes partial
    expect(toHex(encodeTree(c))).toBe(reference(c))
    for (let i = 0; i < 100; i++) c.addLeaf(fakeLeaf(2000 + i)) // and grows again over stale tails
    expect(toHex(encodeTree(c))).toBe(reference(c))
    expect(toHex(encodeTree(t))).toBe(reference(t))
  })
})
