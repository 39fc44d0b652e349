/**
 * Caches added for commit cost: tree hashes of all-blank subtrees shared
 * across trees (a doubling Add hashes one half less), and the per-tree
 * count of credential types in use (the §7.3 check on changed leaves only).
 * Both must equal what a from-scratch computation gives.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { RatchetTree } from '../../../src/mls/tree/index.js'
import { leafTreeHashInput, parentTreeHashInput } from '../../../src/mls/wire/tree-hash-input.js'
import { toHex } from '../../helpers/vectors.js'
import { fakeLeaf } from './fake.js'
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
