/**
 * Join validation rejects each broken rule with its own code (RFC 9420
 * §12.4.3.1, §7.3, §7.9.2), and never changes the tree it checks:
 * tree hash, parent hashes (tampered field, replaced key, blanked or inserted
 * parent), leaf signatures (flipped byte, wrong group, swapped positions),
 * unmerged-leaf rules, credentials, lifetimes, credential-type support.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { acceptAllCredentials, signLeafNode } from '../../../src/mls/keys/index.js'
import {
  decodeTree,
  encodeTree,
  RatchetTree,
  validateRatchetTree,
  type TreeNode,
  type TreeValidationOptions,
} from '../../../src/mls/tree/index.js'
import { LeafNodeSource, type LeafNode, type Node, type ParentNode } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { buildFullTree } from '../treekem/full-tree.js'

const suite = getCipherSuite(1)
const vectors = loadVectors<{ cipher_suite: number; tree: string; group_id: string }>('tree-validation.json')
/** Suite-1 case 13: unmerged leaf 5 at nodes 7 and 11 (a member added without a path). */
const unmergedCase = vectors[13]!

function expectRejected(tree: RatchetTree, opts: TreeValidationOptions, code: string): void {
  const before = toHex(encodeTree(tree))
  try {
    validateRatchetTree(tree, opts)
  } catch (e) {
    expect(isTalosError(e), String(e)).toBe(true)
    expect((e as { code: string }).code).toBe(code)
    expect(toHex(encodeTree(tree))).toBe(before)
    return
  }
  throw new Error(`expected ${code}`)
}

/** The tree's nodes with node x replaced by `f(node)`. */
function withNode(tree: RatchetTree, x: number, f: (n: TreeNode | undefined) => Node | undefined): RatchetTree {
  const nodes: (Node | undefined)[] = tree.toNodes()
  while (nodes.length <= x) nodes.push(undefined)
  nodes[x] = f(tree.node(x))
  while (nodes[nodes.length - 1] === undefined) nodes.pop()
  return RatchetTree.fromNodes(suite, nodes)
}

function parentWith(n: TreeNode | undefined, change: Partial<ParentNode>): Node {
  if (n?.nodeType !== 2) throw new Error('not a parent')
  return { nodeType: 2, parentNode: { ...n.parentNode, ...change } }
}

function leafWith(n: TreeNode | undefined, change: Partial<LeafNode>): Node {
  if (n?.nodeType !== 1) throw new Error('not a leaf')
  return { nodeType: 1, leafNode: { ...n.leafNode, ...change } as LeafNode }
}

describe('validateRatchetTree', async () => {
  const full = await buildFullTree(suite, 13)
  const base = { groupId: full.groupId, authService: acceptAllCredentials }

  it('accepts a valid full tree and its exact tree hash', () => {
    validateRatchetTree(full.tree, { ...base, treeHash: full.tree.treeHash() })
    const v = decodeTree(suite, hex(unmergedCase.tree))
    validateRatchetTree(v, { groupId: hex(unmergedCase.group_id), authService: acceptAllCredentials })
  })

  it('MLS_TREE_HASH_MISMATCH for any other tree hash', () => {
    const h = full.tree.treeHash().slice()
    h[0]! ^= 1
    expectRejected(full.tree, { ...base, treeHash: h }, 'MLS_TREE_HASH_MISMATCH')
  })

  it('MLS_BAD_PARENT_HASH for a tampered parent_hash, a replaced key, a blanked or an inserted parent', () => {
    const p = full.tree.parent(3)!
    const bad = p.parentHash.slice()
    bad[3]! ^= 0x40
    expectRejected(withNode(full.tree, 3, (n) => parentWith(n, { parentHash: bad })), base, 'MLS_BAD_PARENT_HASH')
    const other = full.tree.parent(19)!.encryptionKey
    const swapped = withNode(full.tree, 19, () => undefined)
    expectRejected(withNode(swapped, 3, (n) => parentWith(n, { encryptionKey: other })), base, 'MLS_BAD_PARENT_HASH')
    expectRejected(withNode(full.tree, 5, () => undefined), base, 'MLS_BAD_PARENT_HASH')
    // Node 25 is blank (its right subtree holds no member); a parent there chains to nothing.
    expect(full.tree.node(25)).toBeUndefined()
    const fake: ParentNode = { encryptionKey: new Uint8Array(32).fill(9), parentHash: new Uint8Array(32), unmergedLeaves: [] }
    expectRejected(withNode(full.tree, 25, () => ({ nodeType: 2, parentNode: fake })), base, 'MLS_BAD_PARENT_HASH')
  })

  it('MLS_INVALID_LEAF_SIGNATURE for a flipped signature, another group id, or leaves swapped', () => {
    // Leaf 12, the last member, is on the chain side of all its ancestors, so its bytes enter no
    // original_sibling_tree_hash: a flipped signature breaks only the signature. (Any other leaf's
    // change also breaks a parent hash, which is checked first.)
    const sig = full.tree.leaf(12)!.signature.slice()
    sig[10]! ^= 1
    expectRejected(withNode(full.tree, 24, (n) => leafWith(n, { signature: sig })), base, 'MLS_INVALID_LEAF_SIGNATURE')
    const sig4 = full.tree.leaf(4)!.signature.slice()
    sig4[10]! ^= 1
    expectRejected(withNode(full.tree, 8, (n) => leafWith(n, { signature: sig4 })), base, 'MLS_BAD_PARENT_HASH')
    expectRejected(full.tree, { ...base, groupId: new Uint8Array(16) }, 'MLS_INVALID_LEAF_SIGNATURE')
    // Update-source leaves are bound to their index: the same two leaves in swapped positions fail.
    const leafAt = (i: number): Node => {
      const sig = suite.generateSignatureKeyPair()
      const leafNode = signLeafNode(
        suite,
        sig.privateKey,
        {
          encryptionKey: suite.generateSignatureKeyPair().publicKey,
          signatureKey: sig.publicKey,
          credential: { credentialType: 1, identity: new Uint8Array([i]) },
          capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials: [1] },
          leafNodeSource: LeafNodeSource.update,
          extensions: [],
        },
        { groupId: full.groupId, leafIndex: i },
      )
      return { nodeType: 1, leafNode }
    }
    const [a, b] = [leafAt(0), leafAt(1)]
    validateRatchetTree(RatchetTree.fromNodes(suite, [a, undefined, b]), base)
    expectRejected(RatchetTree.fromNodes(suite, [b, undefined, a]), base, 'MLS_INVALID_LEAF_SIGNATURE')
  })

  describe('unmerged leaves (tree-validation.json case 13: leaf 5 unmerged at 7 and 11)', () => {
    const tree = decodeTree(suite, hex(unmergedCase.tree))
    const opts = { groupId: hex(unmergedCase.group_id), authService: acceptAllCredentials }
    it('MLS_INVALID_UNMERGED_LEAVES when unsorted, outside, blank or missing below', () => {
      expect(tree.parent(7)!.unmergedLeaves).toEqual([5])
      expect(tree.parent(11)!.unmergedLeaves).toEqual([5])
      expectRejected(withNode(tree, 7, (n) => parentWith(n, { unmergedLeaves: [5, 4] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
      expectRejected(withNode(tree, 7, (n) => parentWith(n, { unmergedLeaves: [5, 5] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
      expectRejected(withNode(tree, 11, (n) => parentWith(n, { unmergedLeaves: [2, 5] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
      expectRejected(withNode(tree, 11, (n) => parentWith(n, { unmergedLeaves: [5, 99] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
      expect(tree.leaf(7)).toBeUndefined()
      expectRejected(withNode(tree, 11, (n) => parentWith(n, { unmergedLeaves: [5, 7] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
      // Unmerged at the root (7) but not at 11 in between.
      expectRejected(withNode(tree, 11, (n) => parentWith(n, { unmergedLeaves: [] })), opts, 'MLS_INVALID_UNMERGED_LEAVES')
    })
    it('MLS_BAD_PARENT_HASH when a leaf is dropped from every unmerged list', () => {
      const dropped = withNode(withNode(tree, 11, (n) => parentWith(n, { unmergedLeaves: [] })), 7, (n) => parentWith(n, { unmergedLeaves: [] }))
      expectRejected(dropped, opts, 'MLS_BAD_PARENT_HASH')
    })
    it('lifetimes are enforced when a clock is given (MLS_LIFETIME_EXPIRED)', () => {
      const added = tree.leaf(5)!
      expect(added.leafNodeSource).toBe(LeafNodeSource.key_package)
      if (added.leafNodeSource !== LeafNodeSource.key_package) return
      validateRatchetTree(tree, { ...opts, now: added.lifetime.notBefore })
      expectRejected(tree, { ...opts, now: added.lifetime.notAfter + 1n }, 'MLS_LIFETIME_EXPIRED')
    })
  })

  it('MLS_INVALID_CREDENTIAL when the authentication service refuses a member', () => {
    const refused = full.tree.leaf(7)!.signatureKey
    expectRejected(full.tree, { ...base, authService: (_c, key) => toHex(key) !== toHex(refused) }, 'MLS_INVALID_CREDENTIAL')
  })

  it('MLS_UNSUPPORTED_CREDENTIAL_TYPE when a member cannot handle a credential type in use', () => {
    const leaf = (credentialType: number, credentials: number[]): LeafNode => {
      const sig = suite.generateSignatureKeyPair()
      return signLeafNode(suite, sig.privateKey, {
        encryptionKey: suite.generateSignatureKeyPair().publicKey,
        signatureKey: sig.publicKey,
        credential: credentialType === 1 ? { credentialType: 1, identity: new Uint8Array([1]) } : { credentialType, body: new Uint8Array([2]) },
        capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials },
        leafNodeSource: LeafNodeSource.key_package,
        lifetime: { notBefore: 0n, notAfter: 2n ** 63n },
        extensions: [],
      })
    }
    const ok = RatchetTree.fromNodes(suite, [{ nodeType: 1, leafNode: leaf(1, [1, 0xf000]) }, undefined, { nodeType: 1, leafNode: leaf(0xf000, [1, 0xf000]) }])
    validateRatchetTree(ok, base)
    const bad = RatchetTree.fromNodes(suite, [{ nodeType: 1, leafNode: leaf(1, [1]) }, undefined, { nodeType: 1, leafNode: leaf(0xf000, [1, 0xf000]) }])
    expectRejected(bad, base, 'MLS_UNSUPPORTED_CREDENTIAL_TYPE')
  })
})

describe('validateRatchetTree under random corruption', () => {
  it('a flipped byte anywhere in a valid tree is refused, always with a TalosError', () => {
    const bytes = hex(unmergedCase.tree)
    const opts = { groupId: hex(unmergedCase.group_id), authService: acceptAllCredentials }
    const expected = decodeTree(suite, bytes).treeHash()
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const mutated = bytes.slice()
        mutated[at]! ^= x
        try {
          validateRatchetTree(decodeTree(suite, mutated), { ...opts, treeHash: expected })
        } catch (e) {
          if (!isTalosError(e)) throw e
          return
        }
        // Accepted only if the flip did not change the tree (impossible: the tree hash covers every byte).
        throw new Error(`a corrupted tree (byte ${at}) was accepted`)
      }),
      { numRuns: 200 },
    )
  })
})
