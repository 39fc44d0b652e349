/**
 * Secret tree limits, staging, deletion and laziness (RFC 9420 §9.2 and the
 * framing layer's "a rejected message leaves the state byte-identical").
 */
import { describe, expect, it } from 'vitest'
import { SecretTree } from '../../../src/mls/schedule/secret-tree.js'
import { deserializeSecretTree, serializeSecretTree } from '../../../src/mls/schedule/secret-tree-codec.js'
import { toHex } from '../../helpers/vectors.js'
import { countingSuite, suiteFor, totalDerivations } from './suites.js'

const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle)) !== -1
const code = (c: string) => expect.objectContaining({ code: c })
const root = () => new Uint8Array(32).map((_, i) => i + 1)

/** The key/nonce of (leaf, type, g) from a fresh tree: the reference value. */
async function reference(leaf: number, type: 'handshake' | 'application', g: number, n = 8) {
  const suite = await suiteFor(1)
  const s = SecretTree.create(suite, n, root()).stageKey(leaf, type, g)
  return { key: toHex(s.key), nonce: toHex(s.nonce) }
}

describe('forward distance', () => {
  it('rejects a generation too far ahead before deriving anything', async () => {
    const { suite, counts, reset } = countingSuite(await suiteFor(1))
    const tree = SecretTree.create(suite, 8, root())
    const before = serializeSecretTree(tree)
    reset()
    expect(() => tree.stageKey(3, 'application', 1001)).toThrow(code('MLS_GENERATION_TOO_FAR'))
    expect(totalDerivations(counts)).toBe(0)
    expect(serializeSecretTree(tree)).toEqual(before)

    // The boundary itself is accepted.
    const ok = tree.stageKey(3, 'application', 1000)
    ok.commit()
    expect(tree.currentGeneration(3, 'application')).toBe(1001)

    // Relative to the current generation once the ratchet has moved.
    reset()
    expect(() => tree.stageKey(3, 'application', 1001 + 1001)).toThrow(code('MLS_GENERATION_TOO_FAR'))
    expect(totalDerivations(counts)).toBe(0)
  })

  it('honours a configured maxForwardDistance', async () => {
    const { suite, counts, reset } = countingSuite(await suiteFor(1))
    const tree = SecretTree.create(suite, 4, root(), { maxForwardDistance: 10 })
    reset()
    expect(() => tree.stageKey(0, 'handshake', 11)).toThrow(code('MLS_GENERATION_TOO_FAR'))
    expect(totalDerivations(counts)).toBe(0)
    const s = tree.stageKey(0, 'handshake', 10)
    expect(toHex(s.key)).toBe((await reference(0, 'handshake', 10, 4)).key)
  })

  it('rejects malformed generations and leaves', async () => {
    const suite = await suiteFor(1)
    const tree = SecretTree.create(suite, 8, root())
    expect(() => tree.stageKey(0, 'application', -1)).toThrow(code('MLS_INVALID_GENERATION'))
    expect(() => tree.stageKey(0, 'application', 1.5)).toThrow(code('MLS_INVALID_GENERATION'))
    expect(() => tree.stageKey(0, 'application', 2 ** 32)).toThrow(code('MLS_INVALID_GENERATION'))
    expect(() => tree.stageKey(8, 'application', 0)).toThrow(code('MLS_INVALID_LEAF_INDEX'))
    expect(() => tree.stageKey(-1, 'application', 0)).toThrow(code('MLS_INVALID_LEAF_INDEX'))
    expect(() => SecretTree.create(suite, 6, root())).toThrow(code('MLS_INVALID_TREE_SIZE'))
    expect(() => SecretTree.create(suite, 8, root(), { maxOutOfOrder: -1 })).toThrow(code('MLS_INVALID_CONFIG'))
  })
})

describe('replay and out-of-order window', () => {
  it('refuses a consumed generation (replay) and leaves the state unchanged', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    tree.stageKey(2, 'application', 0).commit()
    const before = serializeSecretTree(tree)
    expect(() => tree.stageKey(2, 'application', 0)).toThrow(code('MLS_GENERATION_REUSED'))
    expect(serializeSecretTree(tree)).toEqual(before)
    // The other ratchet of the same leaf is independent.
    expect(toHex(tree.stageKey(2, 'handshake', 0).key)).toBe((await reference(2, 'handshake', 0)).key)
  })

  it('keeps the newest maxOutOfOrder skipped keys, each usable once', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root(), { maxOutOfOrder: 5 })
    tree.stageKey(5, 'application', 7).commit()
    // Skipped 0..6; the window keeps 2..6.
    for (const g of [0, 1]) expect(() => tree.stageKey(5, 'application', g)).toThrow(code('MLS_GENERATION_REUSED'))
    const late = tree.stageKey(5, 'application', 4)
    expect({ key: toHex(late.key), nonce: toHex(late.nonce) }).toEqual(await reference(5, 'application', 4))
    late.commit()
    expect(() => tree.stageKey(5, 'application', 4)).toThrow(code('MLS_GENERATION_REUSED'))
    expect(toHex(tree.stageKey(5, 'application', 6).key)).toBe((await reference(5, 'application', 6)).key)

    // A bigger jump evicts older skipped keys: 20 leaves 15..19 (and nothing older).
    tree.stageKey(5, 'application', 20).commit()
    expect(() => tree.stageKey(5, 'application', 6)).toThrow(code('MLS_GENERATION_REUSED'))
    expect(() => tree.stageKey(5, 'application', 14)).toThrow(code('MLS_GENERATION_REUSED'))
    for (const g of [15, 19]) expect(toHex(tree.stageKey(5, 'application', g).key)).toBe((await reference(5, 'application', g)).key)
  })

  it('maxOutOfOrder 0 keeps no skipped keys', async () => {
    const tree = SecretTree.create(await suiteFor(1), 2, root(), { maxOutOfOrder: 0 })
    tree.stageKey(1, 'application', 3).commit()
    expect(() => tree.stageKey(1, 'application', 2)).toThrow(code('MLS_GENERATION_REUSED'))
    expect(tree.stageKey(1, 'application', 4).generation).toBe(4)
  })
})

describe('staging', () => {
  it('a discarded (failed) decryption leaves the state byte-identical', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    tree.stageKey(1, 'application', 3).commit()
    const before = serializeSecretTree(tree)
    for (const [leaf, g] of [[1, 1], [1, 9], [6, 0], [6, 40]] as const) {
      const s = tree.stageKey(leaf, 'application', g)
      s.discard()
      expect(s.key.every((b) => b === 0)).toBe(true)
      expect(serializeSecretTree(tree)).toEqual(before)
    }
  })

  it('commit zeroes the used key, and a stale staged key cannot be committed', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    const a = tree.stageKey(0, 'application', 0)
    const b = tree.stageKey(0, 'application', 1)
    a.commit()
    expect(a.key.every((x) => x === 0) && a.nonce.every((x) => x === 0)).toBe(true)
    expect(() => a.commit()).toThrow(code('MLS_STALE_STAGE'))
    expect(() => b.commit()).toThrow(code('MLS_STALE_STAGE'))
    b.discard()
    expect(tree.currentGeneration(0, 'application')).toBe(1)
  })

  it('stageNextKey walks our own sending ratchet', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    for (let g = 0; g < 3; g++) {
      const s = tree.stageNextKey(7, 'handshake')
      expect(s.generation).toBe(g)
      expect(toHex(s.key)).toBe((await reference(7, 'handshake', g)).key)
      s.commit()
    }
  })

  it('clone is independent of the original', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    tree.stageKey(0, 'application', 0).commit()
    const copy = tree.clone()
    copy.stageKey(0, 'application', 1).commit()
    expect(tree.currentGeneration(0, 'application')).toBe(1)
    expect(copy.currentGeneration(0, 'application')).toBe(2)
    expect(toHex(tree.stageKey(0, 'application', 1).key)).toBe((await reference(0, 'application', 1)).key)
  })
})

describe('deletion schedule (§9.2)', () => {
  it('after use, the key, nonce, consumed ratchet secrets and path secrets are gone from the serialized state', async () => {
    const { suite } = countingSuite(await suiteFor(1))
    const rootSecret = root()
    const rootCopy = rootSecret.slice()
    const tree = SecretTree.create(suite, 4, rootSecret)
    // Recompute the values the tree will consume, independently.
    const e = (s: Uint8Array, ctx: string) => suite.expandWithLabel(s, 'tree', new TextEncoder().encode(ctx), 32)
    const node1 = e(rootCopy, 'left') // parent of leaves 0, 1
    const leaf0 = e(node1, 'left')
    const ar0 = suite.expandWithLabel(leaf0, 'application', new Uint8Array(0), 32)
    const ar1 = suite.deriveTreeSecret(ar0, 'secret', 0, 32)
    const ar2 = suite.deriveTreeSecret(ar1, 'secret', 1, 32)
    const k0 = suite.deriveTreeSecret(ar0, 'key', 0, 16)
    const k1 = suite.deriveTreeSecret(ar1, 'key', 1, 16)
    const n1 = suite.deriveTreeSecret(ar1, 'nonce', 1, 12)

    const s = tree.stageKey(0, 'application', 1)
    expect(toHex(s.key)).toBe(toHex(k1))
    s.commit()
    expect(rootSecret.every((b) => b === 0)).toBe(true) // the encryption_secret buffer itself is wiped
    const state = serializeSecretTree(tree)
    for (const gone of [rootCopy, node1, leaf0, ar0, ar1, k1, n1]) expect(contains(state, gone)).toBe(false)
    // Retained: K0 for a late generation-0 message, AR2 for what comes next, and E's sibling (node 5).
    expect(contains(state, k0)).toBe(true)
    expect(contains(state, ar2)).toBe(true)
    expect(contains(state, e(rootCopy, 'right'))).toBe(true)

    tree.stageKey(0, 'application', 0).commit()
    expect(contains(serializeSecretTree(tree), k0)).toBe(false)
  })

  it('every derived value is either held by the state or zeroed (commit and discard)', async () => {
    const { suite, outputs, reset } = countingSuite(await suiteFor(1))
    const tree = SecretTree.create(suite, 64, root())
    const isZero = (b: Uint8Array) => b.every((x) => x === 0)
    const heldBuffers = () => {
      const { nodes, leaves } = tree.snapshot()
      const held = new Set<Uint8Array>(nodes.map(([, s]) => s))
      for (const [, r] of leaves) {
        for (const rt of [r.handshake, r.application]) {
          held.add(rt.secret)
          for (const kn of rt.skipped.values()) held.add(kn.key).add(kn.nonce)
        }
      }
      return held
    }
    // A discarded first contact with a leaf (path + ratchet seeds + skipped keys) leaves nothing behind.
    reset()
    tree.stageKey(37, 'application', 9).discard()
    expect(outputs.length).toBeGreaterThan(20)
    expect(outputs.every(isZero)).toBe(true)
    // A committed one: every output is in the state, or zeroed (path secrets, ratchet secrets, the used key).
    reset()
    tree.stageKey(37, 'application', 9).commit()
    const held = heldBuffers()
    for (const o of outputs) expect(held.has(o) || isZero(o)).toBe(true)
    expect(outputs.filter((o) => held.has(o)).length).toBe(6 + 2 + 5 * 2) // 6 path siblings, 2 ratchet secrets, 5 skipped key/nonce
  })

  it('zeroize wipes everything', async () => {
    const tree = SecretTree.create(await suiteFor(1), 8, root())
    tree.stageKey(3, 'application', 2).commit()
    const before = tree.snapshot()
    const held = [...before.nodes.map(([, s]) => s), ...before.leaves.flatMap(([, r]) => [r.handshake.secret, r.application.secret])]
    expect(held.length).toBeGreaterThan(0)
    tree.zeroize()
    expect(held.every((s) => s.every((b) => b === 0))).toBe(true)
    expect(tree.snapshot()).toEqual({ nodes: [], leaves: [] })
  })
})

describe('lazy derivation', () => {
  it('a key for one leaf of a 10000-member group touches only the root-to-leaf path', async () => {
    const { suite, counts, reset } = countingSuite(await suiteFor(1))
    const nLeaves = 16384 // the ratchet tree of 10000 members
    const tree = SecretTree.create(suite, nLeaves, root())
    reset()
    const s = tree.stageKey(9999, 'application', 0)
    // 14 levels x (left + right) + the two ratchet roots; 3 DeriveTreeSecret (key, nonce, next secret).
    expect(counts.expandWithLabel).toBe(2 * 14 + 2)
    expect(counts.deriveTreeSecret).toBe(3)
    s.commit()
    expect(tree.snapshot().nodes.length).toBe(14) // one stored sibling per level
    reset()
    tree.stageKey(9998, 'application', 0).commit() // its sibling leaf secret is already stored
    expect(counts.expandWithLabel).toBe(2)
    reset()
    tree.stageKey(0, 'handshake', 0).commit()
    expect(counts.expandWithLabel).toBe(2 * 13 + 2) // from the root's left child
  })
})

describe('persistence', () => {
  it('round-trips and the restored tree continues the same ratchets', async () => {
    const suite = await suiteFor(1)
    const tree = SecretTree.create(suite, 8, root(), { maxOutOfOrder: 3, maxForwardDistance: 50 })
    tree.stageKey(2, 'application', 6).commit()
    tree.stageKey(5, 'handshake', 0).commit()
    const bytes = serializeSecretTree(tree)
    const restored = deserializeSecretTree(suite, bytes)
    expect(serializeSecretTree(restored)).toEqual(bytes)
    expect(restored.limits).toEqual({ maxOutOfOrder: 3, maxForwardDistance: 50 })
    expect(toHex(restored.stageKey(2, 'application', 5).key)).toBe((await reference(2, 'application', 5)).key)
    expect(toHex(restored.stageKey(2, 'application', 7).key)).toBe((await reference(2, 'application', 7)).key)
    expect(toHex(restored.stageKey(4, 'application', 0).key)).toBe((await reference(4, 'application', 0)).key)
    expect(() => restored.stageKey(2, 'application', 2)).toThrow(code('MLS_GENERATION_REUSED'))
  })

  it('hostile state bytes raise only TalosError', async () => {
    const suite = await suiteFor(1)
    const tree = SecretTree.create(suite, 8, root())
    tree.stageKey(2, 'application', 3).commit()
    const bytes = serializeSecretTree(tree)
    for (let cut = 0; cut < bytes.length; cut += 7) {
      expect(() => deserializeSecretTree(suite, bytes.subarray(0, cut))).toThrow(expect.objectContaining({ name: 'TalosError' }))
    }
    const suite3 = await suiteFor(3)
    expect(() => deserializeSecretTree(suite3, bytes)).toThrow(code('MLS_INVALID_TREE_STATE'))
    // Random mutations: either a valid state or a TalosError, never anything else.
    for (let i = 0; i < 300; i++) {
      const m = bytes.slice()
      m[(i * 131) % m.length] ^= 1 + (i % 255)
      try {
        deserializeSecretTree(suite, m)
      } catch (e) {
        expect((e as Error).name).toBe('TalosError')
      }
    }
  })

  it('rejects a frontier where one node is an ancestor of another', async () => {
    const suite = await suiteFor(1)
    const fresh = SecretTree.create(suite, 4, root())
    const bytes = serializeSecretTree(fresh) // frontier = { 3: root }
    // Rebuild with nodes {1, 3}: node 1 lies under node 3.
    const { Writer } = await import('../../../src/codec/tls.js')
    const w = new Writer()
    w.bytes(bytes.subarray(0, 1 + 2 + 4 + 4 + 4))
    w.list([1, 3], (v, x) => v.u32(x).opaque(new Uint8Array(32)))
    w.list([], () => {})
    expect(() => deserializeSecretTree(suite, w.finish())).toThrow(code('MLS_INVALID_TREE_STATE'))
  })
})
