/**
 * A commit costs O(log n), not O(n) (ARCHITECTURE.md "Performance shape"):
 * counted in operations, not time. On a full tree of n members, creating and
 * processing an UpdatePath hash at most a few nodes per level (tree hashes
 * recomputed only along the changed path, parent hashes along the filtered
 * direct path), derive at most one key pair per level, and do at most one
 * HPKE encryption per level (every copath resolution is one node).
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { acceptAllCredentials } from '../../../src/mls/keys/index.js'
import { decodeTree, encodeTree } from '../../../src/mls/tree/index.js'
import { createUpdatePath, processUpdatePath } from '../../../src/mls/treekem/index.js'
import { groupContextCodec } from '../../../src/mls/wire/index.js'
import { buildFullTree, privateKeysOf } from './full-tree.js'

function counting(inner: CipherSuite) {
  const counts = { hash: 0, deriveHpkeKeyPair: 0, encryptWithLabel: 0, decryptWithLabel: 0 }
  const suite = Object.create(null) as Record<string, unknown>
  for (const k of Object.keys(inner)) suite[k] = (inner as unknown as Record<string, unknown>)[k]
  for (const k of Object.keys(counts) as (keyof typeof counts)[]) {
    const f = (inner as unknown as Record<string, (...a: unknown[]) => unknown>)[k]!
    suite[k] = (...a: unknown[]) => {
      counts[k]++
      return f.apply(inner, a)
    }
  }
  // The batch forms count one operation per item.
  const many = (k: 'deriveHpkeKeyPair' | 'encryptWithLabel', f: (...a: unknown[]) => unknown, items: (a: unknown[]) => number) =>
    (...a: unknown[]) => {
      counts[k] += items(a)
      return f.apply(inner, a)
    }
  suite.deriveHpkeKeyPairs = many('deriveHpkeKeyPair', inner.deriveHpkeKeyPairs as (...a: unknown[]) => unknown, (a) => (a[0] as unknown[]).length)
  suite.encryptWithLabelMany = many('encryptWithLabel', inner.encryptWithLabelMany as (...a: unknown[]) => unknown, (a) => (a[0] as unknown[]).length)
  return { suite: suite as unknown as CipherSuite, counts, reset: () => Object.keys(counts).forEach((k) => (counts[k as keyof typeof counts] = 0)) }
}

describe('per-commit cost is logarithmic', () => {
  it('create and process at n = 100 and n = 1000', async () => {
    const base = getCipherSuite(3)
    const rows: { n: number; levels: number; create: Record<string, number>; process: Record<string, number> }[] = []
    for (const n of [100, 1000]) {
      const full = await buildFullTree(base, n)
      const { suite, counts, reset } = counting(base)
      const tree = decodeTree(suite, encodeTree(full.tree))
      tree.treeHash() // the O(n) hashing a joiner does once
      const ctx = (treeHash: Uint8Array) =>
        encode(groupContextCodec, { version: 1, cipherSuite: 3, groupId: full.groupId, epoch: 1n, treeHash, confirmedTranscriptHash: new Uint8Array(32), extensions: [] })
      reset()
      const created = await createUpdatePath({
        tree: tree.clone(),
        leafIndex: 0,
        groupId: full.groupId,
        signaturePrivateKey: full.signatureKeys[0]!.privateKey,
        groupContext: ctx,
        privateKeys: privateKeysOf(full, 0),
      })
      const create = { ...counts }
      reset()
      await processUpdatePath({
        tree: tree.clone(),
        senderLeaf: 0,
        updatePath: created.updatePath,
        groupId: full.groupId,
        groupContext: ctx,
        privateKeys: privateKeysOf(full, 1), // the sibling: decrypts lowest, derives every level
        leafPolicy: { authService: acceptAllCredentials },
      })
      rows.push({ n, levels: Math.log2(tree.leafCount), create, process: { ...counts } })
    }
    for (const r of rows) {
      expect(r.create.hash, `n=${r.n} create hashes`).toBeLessThanOrEqual(3 * r.levels + 2)
      expect(r.process.hash, `n=${r.n} process hashes`).toBeLessThanOrEqual(3 * r.levels + 2)
      expect(r.create.deriveHpkeKeyPair).toBeLessThanOrEqual(r.levels + 1)
      expect(r.create.encryptWithLabel).toBeLessThanOrEqual(r.levels)
      expect(r.create.deriveHpkeKeyPair).toBeGreaterThanOrEqual(r.levels) // counted, not bypassed
      expect(r.create.encryptWithLabel).toBeGreaterThanOrEqual(r.levels - 1)
      expect(r.process.deriveHpkeKeyPair).toBeLessThanOrEqual(r.levels)
      expect(r.process.deriveHpkeKeyPair).toBeGreaterThanOrEqual(r.levels - 1) // the sibling derives every level
      expect(r.process.decryptWithLabel).toBe(1)
    }
    // Ten times the members, a few more levels: the counts grow by a constant per level only.
    const [small, large] = rows
    expect(large!.process.hash - small!.process.hash).toBeLessThanOrEqual(3 * (large!.levels - small!.levels))
  })
})
