/**
 * tree-validation.json and tree-operations.json (FORMAT.md "Tree Validation",
 * "Tree Operations"), every case, every suite, through the RatchetTree.
 *
 * tree-validation: per node, the tree hash (§7.8) and the resolution (§4.1.2)
 * match; the tree passes full join validation (§12.4.3.1: parent-hash chains,
 * leaf signatures with group_id, unmerged-leaf rules, tree hash) and
 * re-encodes byte-identically.
 * tree-operations: the proposal applied by proposal_sender to tree_before
 * gives tree_after byte-for-byte, and both root tree hashes match.
 */
import { describe, expect, it } from 'vitest'
import { decode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { acceptAllCredentials } from '../../../src/mls/keys/index.js'
import { decodeTree, encodeTree, validateRatchetTree } from '../../../src/mls/tree/index.js'
import { proposalCodec, ProposalType } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

interface ValidationCase {
  cipher_suite: number
  tree: string
  group_id: string
  resolutions: number[][]
  tree_hashes: string[]
}

interface OperationCase {
  cipher_suite: number
  tree_before: string
  proposal: string
  proposal_sender: number
  tree_hash_before: string
  tree_after: string
  tree_hash_after: string
}

const validation = loadVectors<ValidationCase>('tree-validation.json')
const operations = loadVectors<OperationCase>('tree-operations.json')

describe('tree-validation.json', () => {
  it('covers all seven suites', () => {
    expect(new Set(validation.map((c) => c.cipher_suite))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]))
  })

  validation.forEach((v, i) => {
    it(`tree-validation.json case ${i} (suite ${v.cipher_suite}): tree hashes, resolutions, parent hashes, signatures`, () => {
      const suite = getCipherSuite(v.cipher_suite)
      const tree = decodeTree(suite, hex(v.tree))
      expect(tree.nodeCount).toBe(v.tree_hashes.length)
      expect(v.resolutions.length).toBe(tree.nodeCount)
      for (let x = 0; x < tree.nodeCount; x++) {
        expect(toHex(tree.treeHash(x)), `tree hash of node ${x}`).toBe(v.tree_hashes[x])
        expect(tree.resolution(x), `resolution of node ${x}`).toEqual(v.resolutions[x])
        expect(tree.isResolutionEmpty(x)).toBe(v.resolutions[x]!.length === 0)
      }
      validateRatchetTree(tree, {
        groupId: hex(v.group_id),
        treeHash: hex(v.tree_hashes[tree.root]!),
        authService: acceptAllCredentials,
      })
      expect(toHex(encodeTree(tree))).toBe(v.tree)
    })
  })
})

describe('tree-operations.json', () => {
  operations.forEach((v, i) => {
    it(`tree-operations.json case ${i} (suite ${v.cipher_suite}): apply the proposal, tree_after and hashes match`, () => {
      const suite = getCipherSuite(v.cipher_suite)
      const before = decodeTree(suite, hex(v.tree_before))
      expect(toHex(before.treeHash())).toBe(v.tree_hash_before)
      const beforeBytes = encodeTree(before)
      const staged = before.clone()
      const p = decode(proposalCodec, hex(v.proposal))
      switch (p.proposalType) {
        case ProposalType.add:
          staged.addLeaf(p.add.keyPackage.leafNode)
          break
        case ProposalType.update:
          staged.updateLeaf(v.proposal_sender, p.update.leafNode)
          break
        case ProposalType.remove:
          staged.removeLeaf(p.remove.removed)
          break
        default:
          throw new Error(`unexpected proposal type ${p.proposalType}`)
      }
      expect(toHex(encodeTree(staged))).toBe(v.tree_after)
      expect(toHex(staged.treeHash())).toBe(v.tree_hash_after)
      // The tree the clone came from is untouched, hashes included.
      expect(toHex(encodeTree(before))).toBe(toHex(beforeBytes))
      expect(toHex(before.treeHash())).toBe(v.tree_hash_before)
      // And a tree freshly decoded from tree_after agrees with the incrementally maintained one.
      expect(toHex(decodeTree(suite, hex(v.tree_after)).treeHash())).toBe(v.tree_hash_after)
    })
  })
})
