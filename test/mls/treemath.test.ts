/**
 * RFC 9420 Appendix C tree math against the official tree-math.json vectors
 * (FORMAT.md "Tree Math"), a literal transcription of the RFC's Python as an
 * oracle, and properties over random perfect trees.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../src/errors.js'
import {
  MAX_LEAVES,
  commonAncestor,
  copath,
  directPath,
  isLeaf,
  leafToNode,
  left,
  level,
  log2,
  nodeToLeaf,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
} from '../../src/mls/treemath.js'
import { loadVectors } from '../helpers/vectors.js'

interface TreeMathCase {
  n_leaves: number
  n_nodes: number
  root: number
  left: (number | null)[]
  right: (number | null)[]
  parent: (number | null)[]
  sibling: (number | null)[]
}

/** null where the function raises MLS_TREE_MATH (the vectors' "undefined"). */
function orNull(f: () => number): number | null {
  try {
    return f()
  } catch (e) {
    if (isTalosError(e, 'MLS_TREE_MATH')) return null
    throw e
  }
}

function treeMathError(f: () => unknown): boolean {
  try {
    f()
  } catch (e) {
    return isTalosError(e, 'MLS_TREE_MATH')
  }
  return false
}

describe('tree-math.json', () => {
  const cases = loadVectors<TreeMathCase>('tree-math.json')
  it('holds the 10 documented cases', () => expect(cases.length).toBe(10))
  cases.forEach((c, i) => {
    it(`tree-math.json[${i}] n_leaves=${c.n_leaves}`, () => {
      const n = c.n_leaves
      expect(nodeWidth(n)).toBe(c.n_nodes)
      expect(root(n)).toBe(c.root)
      for (const arr of [c.left, c.right, c.parent, c.sibling]) expect(arr.length).toBe(c.n_nodes)
      const got = { left: [] as (number | null)[], right: [] as (number | null)[], parent: [] as (number | null)[], sibling: [] as (number | null)[] }
      for (let x = 0; x < c.n_nodes; x++) {
        got.left.push(orNull(() => left(x)))
        got.right.push(orNull(() => right(x)))
        got.parent.push(orNull(() => parent(x, n)))
        got.sibling.push(orNull(() => sibling(x, n)))
      }
      expect(got.left).toEqual(c.left)
      expect(got.right).toEqual(c.right)
      expect(got.parent).toEqual(c.parent)
      expect(got.sibling).toEqual(c.sibling)
    })
  })
})

// The RFC's Python (Appendix C), transcribed literally with BigInt as an independent oracle.
const py = {
  log2(x: bigint): bigint {
    if (x === 0n) return 0n
    let k = 0n
    while (x >> k > 0n) k++
    return k - 1n
  },
  level(x: bigint): bigint {
    if ((x & 1n) === 0n) return 0n
    let k = 0n
    while (((x >> k) & 1n) === 1n) k++
    return k
  },
  root(n: bigint): bigint {
    return (1n << py.log2(2n * (n - 1n) + 1n)) - 1n
  },
  parent(x: bigint, n: bigint): bigint {
    const k = py.level(x)
    const b = (x >> (k + 1n)) & 1n
    return (x | (1n << k)) ^ (b << (k + 1n))
  },
  directPath(x: bigint, n: bigint): bigint[] {
    const r = py.root(n)
    const d: bigint[] = []
    while (x !== r) {
      x = py.parent(x, n)
      d.push(x)
    }
    return d
  },
  commonAncestorSemantic(x: bigint, y: bigint, n: bigint): bigint {
    const dx = new Set([x, ...py.directPath(x, n)])
    const both = [y, ...py.directPath(y, n)].filter((v) => dx.has(v))
    return both.reduce((a, b) => (py.level(a) <= py.level(b) ? a : b))
  },
}

/** A perfect tree (2^d leaves, d <= 30) and a node in it. */
const treeAndNode = fc
  .integer({ min: 0, max: 30 })
  .chain((d) => fc.tuple(fc.constant(2 ** d), fc.integer({ min: 0, max: 2 ** (d + 1) - 2 })))

describe('tree math properties', () => {
  it('log2 and level agree with the RFC pseudocode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
        expect(log2(x)).toBe(Number(py.log2(BigInt(x))))
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 2 }), (x) => {
        expect(level(x)).toBe(Number(py.level(BigInt(x))))
      }),
    )
    expect([log2(0), log2(1), log2(2), log2(3), log2(4), log2(2 ** 31), log2(0xffffffff)]).toEqual([0, 0, 1, 1, 2, 31, 31])
  })

  it('directPath matches the RFC pseudocode and ends at the root', () => {
    fc.assert(
      fc.property(treeAndNode, ([n, x]) => {
        const dp = directPath(x, n)
        expect(dp).toEqual(py.directPath(BigInt(x), BigInt(n)).map(Number))
        if (x === root(n)) expect(dp).toEqual([])
        else expect(dp[dp.length - 1]).toBe(root(n))
        // Strictly rising levels, one per step, ending at the root's level log2(n).
        dp.forEach((p, i) => expect(level(p)).toBe(level(x) + i + 1))
      }),
    )
  })

  it('copath has the direct path length and lists the siblings along it', () => {
    fc.assert(
      fc.property(treeAndNode, ([n, x]) => {
        const dp = directPath(x, n)
        const cp = copath(x, n)
        expect(cp.length).toBe(dp.length)
        const path = dp.length === 0 ? [] : [x, ...dp.slice(0, -1)]
        expect(cp).toEqual(path.map((y) => sibling(y, n)))
        cp.forEach((s, i) => expect(parent(s, n)).toBe(dp[i]))
      }),
    )
  })

  it('sibling is an involution with the same parent; children point back to their parent', () => {
    fc.assert(
      fc.property(treeAndNode, ([n, x]) => {
        if (x !== root(n)) {
          const s = sibling(x, n)
          expect(s).not.toBe(x)
          expect(sibling(s, n)).toBe(x)
          expect(parent(s, n)).toBe(parent(x, n))
          expect(level(s)).toBe(level(x))
        }
        if (!isLeaf(x)) {
          expect(left(x)).toBeLessThan(x)
          expect(right(x)).toBeGreaterThan(x)
          expect(parent(left(x), n)).toBe(x)
          expect(parent(right(x), n)).toBe(x)
          expect(sibling(left(x), n)).toBe(right(x))
        }
      }),
    )
  })

  it('commonAncestor matches the semantic definition of the RFC', () => {
    const pair = fc
      .integer({ min: 0, max: 30 })
      .chain((d) =>
        fc.tuple(fc.constant(2 ** d), fc.integer({ min: 0, max: 2 ** (d + 1) - 2 }), fc.integer({ min: 0, max: 2 ** (d + 1) - 2 })),
      )
    fc.assert(
      fc.property(pair, ([n, x, y]) => {
        const a = commonAncestor(x, y)
        expect(a).toBe(Number(py.commonAncestorSemantic(BigInt(x), BigInt(y), BigInt(n))))
        expect(commonAncestor(y, x)).toBe(a)
      }),
    )
    // Leaves 0 and 1 meet at node 1; leaves 0 and 7 of an 8-leaf tree at the root 7; a node and its descendant at the node.
    expect(commonAncestor(0, 2)).toBe(1)
    expect(commonAncestor(0, 14)).toBe(7)
    expect(commonAncestor(5, 4)).toBe(5)
    expect(commonAncestor(9, 9)).toBe(9)
  })

  it('leaf and node indices convert both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_LEAVES - 1 }), (i) => {
        const x = leafToNode(i)
        expect(x).toBe(2 * i)
        expect(isLeaf(x)).toBe(true)
        expect(level(x)).toBe(0)
        expect(nodeToLeaf(x)).toBe(i)
      }),
    )
  })
})

describe('tree math at the size limit', () => {
  const n = MAX_LEAVES // 2^30 leaves, 2^31 - 1 nodes
  it('root, edges and paths of the largest tree', () => {
    expect(nodeWidth(n)).toBe(2 ** 31 - 1)
    expect(root(n)).toBe(2 ** 30 - 1)
    expect(level(root(n))).toBe(30)
    expect(left(root(n))).toBe(2 ** 29 - 1)
    expect(right(root(n))).toBe(2 ** 30 + 2 ** 29 - 1)
    const last = 2 ** 31 - 2
    expect(directPath(last, n).length).toBe(30)
    expect(directPath(last, n)[29]).toBe(root(n))
    expect(sibling(last, n)).toBe(last - 2)
    expect(copath(0, n).length).toBe(30)
    expect(commonAncestor(0, last)).toBe(root(n))
  })
})

describe('invalid calls raise MLS_TREE_MATH', () => {
  it('left/right of a leaf', () => {
    expect(treeMathError(() => left(0))).toBe(true)
    expect(treeMathError(() => right(6))).toBe(true)
  })
  it('parent/sibling of the root; direct path and copath of the root are empty', () => {
    expect(treeMathError(() => parent(3, 4))).toBe(true)
    expect(treeMathError(() => sibling(0, 1))).toBe(true)
    expect(directPath(7, 8)).toEqual([])
    expect(copath(0, 1)).toEqual([])
  })
  it('sizes that are not a perfect tree, and nodes outside the tree', () => {
    for (const n of [0, 3, 5, 6, 7, 2 ** 31, -1, 1.5, Number.NaN]) {
      expect(treeMathError(() => root(n)), `root(${n})`).toBe(true)
      expect(treeMathError(() => parent(0, n)), `parent(0, ${n})`).toBe(true)
    }
    expect(treeMathError(() => parent(7, 4))).toBe(true)
    expect(treeMathError(() => sibling(7, 4))).toBe(true)
    expect(treeMathError(() => directPath(-2, 4))).toBe(true)
    expect(treeMathError(() => copath(2.5, 4))).toBe(true)
  })
  it('out-of-range indices', () => {
    expect(treeMathError(() => level(2 ** 31 - 1))).toBe(true)
    expect(treeMathError(() => level(-1))).toBe(true)
    expect(treeMathError(() => isLeaf(0.5))).toBe(true)
    expect(treeMathError(() => log2(2 ** 32))).toBe(true)
    expect(treeMathError(() => nodeWidth(MAX_LEAVES + 1))).toBe(true)
    expect(treeMathError(() => leafToNode(MAX_LEAVES))).toBe(true)
    expect(treeMathError(() => commonAncestor(0, 2 ** 31))).toBe(true)
  })
  it('nodeToLeaf of a parent node', () => {
    expect(treeMathError(() => nodeToLeaf(3))).toBe(true)
  })
  it('nodeWidth of an empty tree is 0', () => expect(nodeWidth(0)).toBe(0))
})
