/**
 * TreePrivateKeys (RFC 9420 §7.5 deletion rules) and the joiner's key
 * derivation (§12.4.3.1): keys are zeroed exactly when the state that held
 * them is replaced or rejected and no other state still holds them; prune
 * drops keys of blanked or re-keyed nodes; persistence round-trips and its
 * decoder only ever raises TalosError; a wrong path secret or leaf key is
 * refused with its code.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { getCipherSuite, randomBytes } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { parentTreeNode } from '../../../src/mls/tree/index.js'
import {
  deriveKeysFromPathSecret,
  deserializeTreePrivateKeys,
  nextPathSecret,
  setKeyFromPathSecret,
  setLeafKey,
  TreePrivateKeys,
} from '../../../src/mls/treekem/index.js'
import { toHex } from '../../helpers/vectors.js'
import { buildFullTree, privateKeysOf } from './full-tree.js'

const suite = getCipherSuite(1)
const zero = (b: Uint8Array) => b.every((x) => x === 0)

describe('TreePrivateKeys', () => {
  it('adopting a staged copy zeroes only the replaced keys; rejecting it zeroes only its own', () => {
    const live = new TreePrivateKeys(0)
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)]
    live.set(0, a, randomBytes(32))
    live.set(1, b, randomBytes(32))
    const staged = live.clone()
    const fresh = randomBytes(32)
    staged.set(1, fresh, randomBytes(32)) // node 1 re-keyed in the staged state
    staged.set(3, c, randomBytes(32))
    // Rejected: only what the staged copy alone held is wiped.
    const rejected = staged.clone()
    rejected.dispose(live)
    expect(zero(fresh) && zero(c)).toBe(true)
    expect(zero(a) || zero(b)).toBe(false)

    const next = live.clone()
    const d = randomBytes(32)
    next.set(1, d, randomBytes(32))
    live.dispose(next) // adopted: the replaced key b is wiped, a (still held) is not
    expect(zero(b)).toBe(true)
    expect(zero(a)).toBe(false)
    expect(next.get(0)).toBe(a)
    expect(next.get(1)).toBe(d)
  })

  it('prune drops keys of blank nodes and of nodes whose public key changed', async () => {
    const full = await buildFullTree(suite, 8)
    const keys = privateKeysOf(full, 1)
    expect(keys.nodes()).toEqual([1, 2, 3, 7])
    const tree = full.tree.clone()
    tree.setNode(3, undefined)
    const kp = await suite.generateHpkeKeyPair()
    tree.setNode(7, parentTreeNode({ ...tree.parent(7)!, encryptionKey: kp.publicKey }))
    keys.prune(tree)
    expect(keys.nodes()).toEqual([1, 2])
  })

  it('serializes and deserializes; the decoder rejects hostile input with TalosError only', () => {
    const keys = new TreePrivateKeys(5)
    keys.set(10, randomBytes(32), randomBytes(32))
    keys.set(11, randomBytes(32), randomBytes(32))
    const bytes = keys.serialize()
    const back = deserializeTreePrivateKeys(bytes)
    expect(back.leafIndex).toBe(5)
    expect(toHex(back.serialize())).toBe(toHex(bytes))
    expect(toHex(back.get(11)!)).toBe(toHex(keys.get(11)!))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (junk, at, x) => {
        const mutated = bytes.slice()
        mutated[at]! ^= x
        for (const input of [junk, mutated, bytes.subarray(0, at)]) {
          try {
            deserializeTreePrivateKeys(input)
          } catch (e) {
            if (!isTalosError(e)) throw e
          }
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('joining keys', () => {
  it('derives the common ancestor and every non-blank node above it; a wrong secret is MLS_PATH_KEY_MISMATCH', async () => {
    // Known path secrets: give the root of an 8-member tree keys derived from a chain.
    const full = await buildFullTree(suite, 8)
    const tree = full.tree.clone()
    const s3 = randomBytes(32)
    const s7 = nextPathSecret(suite, s3)
    const k3 = await suite.deriveHpkeKeyPair(suite.deriveSecret(s3, 'node'))
    const k7 = await suite.deriveHpkeKeyPair(suite.deriveSecret(s7, 'node'))
    tree.setNode(3, parentTreeNode({ ...tree.parent(3)!, encryptionKey: k3.publicKey }))
    tree.setNode(7, parentTreeNode({ ...tree.parent(7)!, encryptionKey: k7.publicKey }))
    // Leaf 0 joins; committer leaf 2: common ancestor is node 3.
    const keys = new TreePrivateKeys(0)
    await setLeafKey(tree, keys, full.nodeKeys.get(0)!.privateKey)
    expect(await deriveKeysFromPathSecret(tree, keys, 2, s3)).toEqual([3, 7])
    expect(toHex(keys.get(7)!)).toBe(toHex(k7.privateKey))
    expect(zero(s3)).toBe(false) // borrowed, not consumed
    const other = new TreePrivateKeys(0)
    await expect(deriveKeysFromPathSecret(tree, other, 2, randomBytes(32))).rejects.toMatchObject({ code: 'MLS_PATH_KEY_MISMATCH' })
    expect(other.size).toBe(0)
    await expect(setKeyFromPathSecret(tree, other, 7, s3)).rejects.toMatchObject({ code: 'MLS_PATH_KEY_MISMATCH' })
    await expect(setLeafKey(tree, other, full.nodeKeys.get(2)!.privateKey)).rejects.toMatchObject({ code: 'MLS_LEAF_KEY_MISMATCH' })
    await expect(deriveKeysFromPathSecret(tree, other, 0, s3)).rejects.toMatchObject({ code: 'MLS_INVALID_LEAF_INDEX' })
  })
})
