/**
 * KeyIndex copy-on-write (src/mls/tree/key-index.ts): every clone answers as
 * an independent copy would, whatever the other copies do afterwards (staged
 * changes never reach the live index, a rejected or discarded stage leaves it
 * as it was, and a chain of many epochs keeps each retired index intact).
 */
import { describe, expect, it } from 'vitest'
import { KeyIndex, type KeyKind } from '../../../src/mls/tree/key-index.js'
import { RatchetTree, parentTreeNode } from '../../../src/mls/tree/index.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { fakeLeaf, fakeParent } from './fake.js'

/** Deterministic PRNG (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

/** 64 keys over 4 shards (bytes 1-2 pick the shard), so clones share and split shards often. */
const KEYS = Array.from({ length: 64 }, (_, i) => new Uint8Array([i, 0, i % 4, i, 7, 7, 7, 7]))
const KINDS: KeyKind[] = ['e', 's']

interface Copy {
  index: KeyIndex
  model: Map<string, number>
}

function modelKey(kind: KeyKind, k: number): string {
  return `${kind}${k}`
}

function expectSame(c: Copy): void {
  for (const kind of KINDS) {
    for (let k = 0; k < KEYS.length; k++) {
      expect(c.index.get(KeyIndex.ref(kind, KEYS[k]!))).toBe(c.model.get(modelKey(kind, k)))
    }
  }
}

describe('KeyIndex copy-on-write', () => {
  it('matches an independent Map per copy across random adds, removes and clones', () => {
    const rand = rng(20261126)
    const copies: Copy[] = [{ index: new KeyIndex(), model: new Map() }]
    for (let step = 0; step < 4000; step++) {
      const c = copies[Math.floor(rand() * copies.length)]!
      const r = rand()
      if (r < 0.08 && copies.length < 12) {
        copies.push({ index: c.index.clone(), model: new Map(c.model) })
        continue
      }
      const kind = KINDS[Math.floor(rand() * 2)]!
      const k = Math.floor(rand() * KEYS.length)
      const x = Math.floor(rand() * 16)
      const ref = KeyIndex.ref(kind, KEYS[k]!)
      const mk = modelKey(kind, k)
      if (r < 0.6) {
        const held = c.model.get(mk)
        expect(c.index.add(ref, x)).toBe(held !== undefined && held !== x ? held : undefined)
        if (held === undefined) c.model.set(mk, x)
      } else {
        c.index.remove(ref, x)
        if (c.model.get(mk) === x) c.model.delete(mk)
      }
      if (step % 97 === 0) copies.forEach(expectSame)
    }
    copies.forEach(expectSame)
  })

  it('a staged tree rejected after some changes leaves the live tree and its index unchanged; merged, the stage becomes live', () => {
    const suite = getCipherSuite(1)
    const live = RatchetTree.create(suite, fakeLeaf(0))
    for (let i = 1; i < 8; i++) live.addLeaf(fakeLeaf(i))
    const leaves = live.memberIndices().map((i) => live.leaf(i)!)
    const hash = Buffer.from(live.treeHash()).toString('hex')

    const staged = live.clone()
    const fresh = fakeLeaf(20)
    staged.updateLeaf(3, fresh)
    staged.setNode(1, parentTreeNode(fakeParent()))
    // The next change reuses a live member's key: refused, and the stage is abandoned.
    try {
      staged.setNode(5, parentTreeNode({ ...fakeParent(), encryptionKey: leaves[6]!.encryptionKey }))
      throw new Error('expected a duplicate-key refusal')
    } catch (e) {
      expect(isTalosError(e) && e.code).toBe('MLS_DUPLICATE_ENCRYPTION_KEY')
    }
    expect(Buffer.from(live.treeHash()).toString('hex')).toBe(hash)
    leaves.forEach((l, i) => {
      expect(live.findEncryptionKey(l.encryptionKey)).toBe(2 * i)
      expect(live.findSignatureKey(l.signatureKey)).toBe(i)
    })
    expect(live.findEncryptionKey(fresh.encryptionKey)).toBeUndefined()
    expect(live.findSignatureKey(fresh.signatureKey)).toBeUndefined()
    // The stage sees its own changes, not the live tree's old leaf 3.
    expect(staged.findEncryptionKey(fresh.encryptionKey)).toBe(6)
    expect(staged.findEncryptionKey(leaves[3]!.encryptionKey)).toBeUndefined()
  })

  it('keeps every epoch of a long chain of staged-then-adopted trees intact', () => {
    const suite = getCipherSuite(1)
    let tree = RatchetTree.create(suite, fakeLeaf(0))
    for (let i = 1; i < 16; i++) tree.addLeaf(fakeLeaf(i))
    const epochs: { tree: RatchetTree; keys: Uint8Array[] }[] = []
    for (let e = 0; e < 60; e++) {
      epochs.push({ tree, keys: tree.memberIndices().map((i) => tree.leaf(i)!.encryptionKey) })
      const next = tree.clone()
      next.updateLeaf(e % 16, fakeLeaf(100 + e))
      if (e % 5 === 0) next.setNode(4 * (e % 8) + 1, parentTreeNode(fakeParent()))
      tree = next
    }
    for (const { tree: t, keys } of epochs) keys.forEach((k, i) => expect(t.findEncryptionKey(k)).toBe(2 * i))
  })
})
