/**
 * RatchetTree structure and caches (RFC 9420 §4.1.2, §7.7, §7.8, §12.1):
 * the RFC's resolution and filtered-direct-path examples, Add/Update/Remove
 * with extension, unmerged leaves and truncation, key uniqueness, staging
 * isolation, and a property test that the incrementally maintained tree
 * hashes, non-blank counts and key index always equal a from-scratch rebuild.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { decodeTree, encodeTree, parentTreeNode, RatchetTree } from '../../../src/mls/tree/index.js'
import type { Node } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { fakeLeaf, fakeParent, leafNode, parentNode } from './fake.js'

const suite = getCipherSuite(1)

function expectCode(f: () => unknown, code: string): void {
  try {
    f()
  } catch (e) {
    expect(isTalosError(e), String(e)).toBe(true)
    expect((e as { code: string }).code).toBe(code)
    return
  }
  throw new Error(`expected ${code}`)
}

function snapshot(t: RatchetTree): string {
  return `${toHex(encodeTree(t))}/${toHex(t.treeHash())}/${t.leafCount}/${t.memberCount}`
}

describe('RFC 9420 examples', () => {
  it('§4.1.2 resolution example: X[B] and Y, blanks at 2 and 6', () => {
    // A B _ D E F _ H; X = node 3 with B (leaf 1) unmerged, Y = node 9; every other parent blank.
    const nodes: (Node | undefined)[] = new Array(15).fill(undefined)
    for (const i of [0, 1, 3, 4, 5, 7]) nodes[2 * i] = leafNode(i)
    nodes[3] = parentNode([1])
    nodes[9] = parentNode()
    const t = RatchetTree.fromNodes(suite, nodes)
    expect(t.resolution(3)).toEqual([3, 2])
    expect(t.resolution(4)).toEqual([])
    expect(t.resolution(12)).toEqual([])
    expect(t.resolution(7)).toEqual([3, 2, 9, 14])
    // Excluding a leaf (a member the Commit adds) drops it wherever it appears.
    expect(t.resolution(7, new Set([1, 7]))).toEqual([3, 9])
  })

  it('§4.1.2 filtered direct path example: A -> T, W; E -> X, Y, W; G -> Y, W', () => {
    const nodes: (Node | undefined)[] = new Array(15).fill(undefined)
    for (const i of [0, 1, 4, 5, 6]) nodes[2 * i] = leafNode(i)
    for (const p of [1, 7, 9, 11]) nodes[p] = parentNode()
    const t = RatchetTree.fromNodes(suite, nodes.slice(0, 13))
    expect(t.leafCount).toBe(8)
    const fdp = (i: number) => t.filteredDirectPath(i).map((e) => e.node)
    expect(fdp(0)).toEqual([1, 7])
    expect(fdp(1)).toEqual([1, 7])
    expect(fdp(4)).toEqual([9, 11, 7])
    expect(fdp(5)).toEqual([9, 11, 7])
    expect(fdp(6)).toEqual([11, 7])
    expect(t.filteredDirectPath(6).map((e) => e.copath)).toEqual([9, 3])
  })
})

describe('Add, Update, Remove (§12.1.1-§12.1.3)', () => {
  it('adds into the leftmost blank leaf, lists it as unmerged at non-blank parents, extends when full', () => {
    const t = RatchetTree.create(suite, fakeLeaf(0))
    expect(t.addLeaf(fakeLeaf(1))).toBe(1)
    expect(t.leafCount).toBe(2)
    t.setNode(1, parentTreeNode(fakeParent()))
    expect(t.addLeaf(fakeLeaf(2))).toBe(2)
    expect(t.leafCount).toBe(4)
    expect(t.parent(1)!.unmergedLeaves).toEqual([]) // node 1 is not on leaf 2's path
    t.setNode(3, parentTreeNode(fakeParent()))
    expect(t.addLeaf(fakeLeaf(3))).toBe(3)
    expect(t.parent(3)!.unmergedLeaves).toEqual([3])
    t.removeLeaf(1)
    expect(t.parent(1)).toBeUndefined() // Remove blanks the direct path
    expect(t.parent(3)).toBeUndefined()
    expect(t.addLeaf(fakeLeaf(4))).toBe(1) // the hole is reused before extending
    expect(t.memberCount).toBe(4)
    expect(t.addLeaf(fakeLeaf(5))).toBe(4)
    expect(t.leafCount).toBe(8)
  })

  it('keeps unmerged_leaves sorted when a lower index is added later', () => {
    const nodes: (Node | undefined)[] = [leafNode(), parentNode(), undefined, parentNode([3]), leafNode(), undefined, leafNode()]
    const t = RatchetTree.fromNodes(suite, nodes)
    expect(t.addLeaf(fakeLeaf())).toBe(1)
    expect(t.parent(3)!.unmergedLeaves).toEqual([1, 3])
    expect(t.parent(1)!.unmergedLeaves).toEqual([1])
  })

  it('Update replaces the leaf and blanks its direct path', () => {
    const nodes: (Node | undefined)[] = [leafNode(), parentNode(), leafNode(), parentNode(), leafNode(), parentNode(), leafNode()]
    const t = RatchetTree.fromNodes(suite, nodes)
    const leaf = fakeLeaf(9)
    t.updateLeaf(2, leaf)
    expect(t.leaf(2)).toBe(leaf)
    expect(t.parent(5)).toBeUndefined()
    expect(t.parent(3)).toBeUndefined()
    expect(t.parent(1)).toBeDefined()
  })

  it('Remove truncates to the smallest power of two above the rightmost member', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    for (let i = 1; i < 9; i++) t.addLeaf(fakeLeaf(i))
    expect(t.leafCount).toBe(16)
    t.removeLeaf(4)
    expect(t.leafCount).toBe(16)
    t.removeLeaf(8)
    expect(t.leafCount).toBe(8)
    t.removeLeaf(7)
    t.removeLeaf(6)
    t.removeLeaf(5)
    expect(t.leafCount).toBe(4) // leaf 4 was removed earlier, leaf 3 is now the rightmost
    expect(t.toNodes().length).toBe(7)
    expectCode(() => t.removeLeaf(2 + 8), 'MLS_INVALID_LEAF_INDEX')
  })

  it('refuses to remove or update a blank leaf', () => {
    const t = RatchetTree.fromNodes(suite, [leafNode(), undefined, undefined, undefined, leafNode()])
    expectCode(() => t.removeLeaf(1), 'MLS_BLANK_LEAF')
    expectCode(() => t.updateLeaf(1, fakeLeaf()), 'MLS_BLANK_LEAF')
  })
})

describe('key uniqueness (§7.3, §12.4.3.1)', () => {
  it('refuses a second node with the same encryption or signature key, changing nothing', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    t.addLeaf(fakeLeaf())
    const before = snapshot(t)
    expectCode(() => t.addLeaf({ ...fakeLeaf(), encryptionKey: t.leaf(0)!.encryptionKey }), 'MLS_DUPLICATE_ENCRYPTION_KEY')
    expectCode(() => t.addLeaf({ ...fakeLeaf(), signatureKey: t.leaf(1)!.signatureKey }), 'MLS_DUPLICATE_SIGNATURE_KEY')
    expectCode(() => t.setNode(1, parentTreeNode({ ...fakeParent(), encryptionKey: t.leaf(1)!.encryptionKey })), 'MLS_DUPLICATE_ENCRYPTION_KEY')
    expect(snapshot(t)).toBe(before)
    // A member keeps its signature key across an Update.
    t.updateLeaf(1, { ...fakeLeaf(), signatureKey: t.leaf(1)!.signatureKey })
    expect(t.findSignatureKey(t.leaf(1)!.signatureKey)).toBe(1)
  })

  it('rejects a received tree with a repeated key', () => {
    const a = leafNode()
    const dupEnc: Node = { nodeType: 1, leafNode: { ...fakeLeaf(), encryptionKey: (a as { leafNode: { encryptionKey: Uint8Array } }).leafNode.encryptionKey } }
    expectCode(() => RatchetTree.fromNodes(suite, [a, undefined, dupEnc]), 'MLS_DUPLICATE_ENCRYPTION_KEY')
    const p = parentNode()
    const dupParent: Node = { nodeType: 2, parentNode: { ...fakeParent(), encryptionKey: (p as { parentNode: { encryptionKey: Uint8Array } }).parentNode.encryptionKey } }
    expectCode(
      () => RatchetTree.fromNodes(suite, [leafNode(), p, leafNode(), dupParent, leafNode()]),
      'MLS_DUPLICATE_ENCRYPTION_KEY',
    )
  })

  it('finds keys, forgets removed ones, and keeps clones independent', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    for (let i = 1; i < 6; i++) t.addLeaf(fakeLeaf(i))
    const k3 = t.leaf(3)!.encryptionKey
    const s3 = t.leaf(3)!.signatureKey
    expect(t.findEncryptionKey(k3)).toBe(6)
    expect(t.findSignatureKey(s3)).toBe(3)
    const c = t.clone()
    c.removeLeaf(3)
    expect(c.findEncryptionKey(k3)).toBeUndefined()
    expect(c.findSignatureKey(s3)).toBeUndefined()
    expect(t.findEncryptionKey(k3)).toBe(6)
    c.addLeaf({ ...fakeLeaf(), encryptionKey: k3, signatureKey: s3 }) // free again in the clone only
    expectCode(() => t.addLeaf({ ...fakeLeaf(), encryptionKey: k3 }), 'MLS_DUPLICATE_ENCRYPTION_KEY')
  })
})

describe('shape errors', () => {
  it('rejects empty trees, trailing blanks and node types at the wrong position', () => {
    expectCode(() => RatchetTree.fromNodes(suite, []), 'DECODE_INVALID_TREE')
    expectCode(() => RatchetTree.fromNodes(suite, [leafNode(), undefined]), 'DECODE_INVALID_TREE')
    expectCode(() => RatchetTree.fromNodes(suite, [parentNode()]), 'DECODE_INVALID_TREE')
    expectCode(() => RatchetTree.fromNodes(suite, [leafNode(), leafNode(), leafNode()]), 'DECODE_INVALID_TREE')
  })

  it('decodeTree keeps its own copy of a Node Buffer (Buffer#slice is a view): the caller may reuse its buffer', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    for (let i = 1; i < 3; i++) t.addLeaf(fakeLeaf(i))
    const good = encodeTree(t)
    const buf = Buffer.from(good)
    const decoded = decodeTree(suite, buf)
    const hash = toHex(decoded.treeHash())
    buf.fill(0)
    expect(toHex(encodeTree(decoded))).toBe(toHex(good))
    expect(toHex(decoded.clone().treeHash())).toBe(hash)
    decoded.setNode(1, parentTreeNode(fakeParent())) // forgets the cached hashes above: recomputed from the kept bytes
    decoded.setNode(1, undefined)
    expect(toHex(decoded.treeHash())).toBe(hash)
  })

  it('decodeTree raises only TalosError on arbitrary and mutated bytes', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    for (let i = 1; i < 5; i++) t.addLeaf(fakeLeaf(i))
    t.setNode(1, parentTreeNode(fakeParent()))
    const good = encodeTree(t)
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = good.slice()
        b[at]! ^= x
        return b
      })), (bytes) => {
        try {
          decodeTree(suite, bytes)
        } catch (e) {
          if (!isTalosError(e)) throw e
        }
      }),
      { numRuns: 400 },
    )
  })
})

describe('staging', () => {
  it('a clone changes freely; the original stays byte-identical, hashes included', () => {
    const t = RatchetTree.create(suite, fakeLeaf())
    for (let i = 1; i < 7; i++) t.addLeaf(fakeLeaf(i))
    t.setNode(3, parentTreeNode(fakeParent()))
    t.treeHash()
    const before = snapshot(t)
    const c = t.clone()
    c.addLeaf(fakeLeaf())
    c.addLeaf(fakeLeaf())
    c.updateLeaf(2, fakeLeaf())
    c.removeLeaf(0)
    c.setNode(11, parentTreeNode(fakeParent()))
    const c2 = c.clone()
    c2.removeLeaf(8)
    expect(snapshot(t)).toBe(before)
    expect(snapshot(c)).not.toBe(before)
    expect(snapshot(c2)).not.toBe(snapshot(c))
  })
})

/** Random operation sequences; after each, every cache must equal a rebuild from the encoding. */
describe('caches equal a rebuild (property)', () => {
  type Op = { kind: 'add' } | { kind: 'remove' | 'update' | 'parent' | 'blank'; pick: number }
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constant({ kind: 'add' as const }),
    fc.record({ kind: fc.constantFrom('remove' as const, 'update' as const, 'parent' as const, 'blank' as const), pick: fc.nat() }),
  )

  it('tree hashes, resolutions, emptiness and key lookups', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        let t = RatchetTree.create(suite, fakeLeaf())
        for (const o of ops) {
          const members = t.memberIndices()
          if (o.kind === 'add') t.addLeaf(fakeLeaf())
          else if (o.kind === 'remove' && members.length > 1) t.removeLeaf(members[o.pick % members.length]!)
          else if (o.kind === 'update') t.updateLeaf(members[o.pick % members.length]!, fakeLeaf())
          else if (o.kind === 'parent' && t.leafCount > 1) {
            // Only above a member, so the invariant "non-blank parent covers a member" holds.
            const path = t.directPathWithCopath(members[o.pick % members.length]!)
            t.setNode(path[o.pick % path.length]!.node, parentTreeNode(fakeParent()))
          } else if (o.kind === 'blank' && t.leafCount > 1) t.setNode(2 * (o.pick % t.leafCount) + 1 < t.nodeCount ? 2 * (o.pick % t.leafCount) + 1 : 1, undefined)
          if ('pick' in o && o.pick % 3 === 0) t = t.clone() // caches must survive staging too
          t.treeHash() // interleave cached reads with changes
        }
        const fresh = decodeTree(suite, encodeTree(t))
        expect(fresh.leafCount).toBe(t.leafCount)
        for (let x = 0; x < t.nodeCount; x++) {
          expect(toHex(t.treeHash(x))).toBe(toHex(fresh.treeHash(x)))
          expect(t.resolution(x)).toEqual(fresh.resolution(x))
          expect(t.isResolutionEmpty(x)).toBe(fresh.resolution(x).length === 0)
          const n = t.node(x)
          if (n !== undefined) {
            const key = n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
            expect(t.findEncryptionKey(key)).toBe(x)
            if (n.nodeType === 1) expect(t.findSignatureKey(n.leafNode.signatureKey)).toBe(x >> 1)
          }
        }
        for (const i of t.memberIndices()) {
          expect(t.filteredDirectPath(i)).toEqual(fresh.filteredDirectPath(i))
        }
      }),
      { numRuns: 60 },
    )
  })
})
