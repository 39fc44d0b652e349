/**
 * SafeExportSecret (draft-ietf-mls-extensions "Exported Secrets"): the
 * exporter tree's leaf secrets against an independent bit-walk derivation,
 * consumption on export, deletion, laziness and persistence.
 */
import { describe, expect, it } from 'vitest'
import { ExporterTree } from '../../../src/mls/schedule/exporter-tree.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { toHex } from '../../helpers/vectors.js'
import { countingSuite, suiteFor } from './suites.js'

const code = (c: string) => expect.objectContaining({ code: c })
const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle)) !== -1

/**
 * Reference: walk 16 levels from the root, going right where the
 * ComponentID bit is 1 (most significant first). No tree math involved.
 */
function referenceExport(suite: CipherSuite, rootSecret: Uint8Array, componentId: number): Uint8Array {
  let s = rootSecret
  for (let bit = 15; bit >= 0; bit--) {
    const dir = (componentId >> bit) & 1 ? 'right' : 'left'
    s = suite.expandWithLabel(s, 'tree', new TextEncoder().encode(dir), suite.Nh)
  }
  return s
}

describe('ExporterTree', () => {
  for (const id of [1, 3] as const) {
    it(`SafeExportSecret matches the tree_node_[leaf]_secret derivation (suite ${id})`, async () => {
      const suite = await suiteFor(id)
      const rootSecret = new Uint8Array(suite.Nh).fill(0x42)
      const rootCopy = rootSecret.slice()
      const tree = ExporterTree.create(suite, rootSecret)
      for (const c of [0, 1, 0x1234, 0x8000, 0xffff]) {
        expect(toHex(tree.safeExportSecret(c)), `component ${c}`).toBe(toHex(referenceExport(suite, rootCopy, c)))
      }
    })
  }

  it('an exported secret is consumed: a second export fails and the state no longer holds it', async () => {
    const suite = await suiteFor(1)
    const rootSecret = new Uint8Array(32).fill(7)
    const rootCopy = rootSecret.slice()
    const tree = ExporterTree.create(suite, rootSecret)
    expect(tree.canExport(5)).toBe(true)
    const secret = tree.safeExportSecret(5)
    expect(rootSecret.every((b) => b === 0)).toBe(true)
    expect(tree.canExport(5)).toBe(false)
    expect(() => tree.safeExportSecret(5)).toThrow(code('MLS_EXPORT_CONSUMED'))
    const state = tree.serialize()
    expect(contains(state, secret)).toBe(false)
    expect(contains(state, rootCopy)).toBe(false)
    // Its sibling component (4) is still exportable and equals the reference.
    expect(contains(state, referenceExport(suite, rootCopy, 4))).toBe(true)
    expect(toHex(tree.safeExportSecret(4))).toBe(toHex(referenceExport(suite, rootCopy, 4)))
  })

  it('derives lazily: 32 ExpandWithLabel for the first export, 0 for a stored sibling', async () => {
    const { suite, counts, reset } = countingSuite(await suiteFor(1))
    const tree = ExporterTree.create(suite, new Uint8Array(32).fill(1))
    reset()
    tree.safeExportSecret(0x0102)
    expect(counts.expandWithLabel).toBe(32)
    reset()
    tree.safeExportSecret(0x0103)
    expect(counts.expandWithLabel).toBe(0)
  })

  it('rejects component IDs that are not uint16', async () => {
    const tree = ExporterTree.create(await suiteFor(1), new Uint8Array(32))
    expect(() => tree.safeExportSecret(0x10000)).toThrow(code('MLS_INVALID_COMPONENT_ID'))
    expect(() => tree.safeExportSecret(-1)).toThrow(code('MLS_INVALID_COMPONENT_ID'))
  })

  it('persists and restores; clones are independent', async () => {
    const suite = await suiteFor(1)
    const rootCopy = new Uint8Array(32).fill(9)
    const tree = ExporterTree.create(suite, rootCopy.slice())
    tree.safeExportSecret(100)
    const restored = ExporterTree.deserialize(suite, tree.serialize())
    expect(restored.serialize()).toEqual(tree.serialize())
    expect(() => restored.safeExportSecret(100)).toThrow(code('MLS_EXPORT_CONSUMED'))
    const copy = restored.clone()
    expect(toHex(copy.safeExportSecret(200))).toBe(toHex(referenceExport(suite, rootCopy, 200)))
    expect(restored.canExport(200)).toBe(true)
    const bytes = tree.serialize()
    for (let cut = 0; cut < bytes.length; cut += 5) {
      expect(() => ExporterTree.deserialize(suite, bytes.subarray(0, cut))).toThrow(expect.objectContaining({ name: 'TalosError' }))
    }
  })
})
