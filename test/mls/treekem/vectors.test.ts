/**
 * treekem.json (FORMAT.md "TreeKEM"), every case, every suite:
 * - each leaves_private entry becomes a TreePrivateKeys whose leaf key and
 *   path-secret-derived keys match the public tree;
 * - each update_path is processed by every other private leaf: the decrypted
 *   path secret and commit_secret match, the merged tree hashes to
 *   tree_hash_after and is parent-hash valid, and the input tree is untouched;
 * - a fresh UpdatePath from the same sender (createUpdatePath) is processed by
 *   every other member to the same commit_secret and the same tree.
 * GroupContext: the case's suite, group_id, epoch and confirmed transcript
 * hash, the tree hash after the merge, no extensions.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { acceptAllCredentials } from '../../../src/mls/keys/index.js'
import { decodeTree, encodeTree, verifyParentHashes, type RatchetTree } from '../../../src/mls/tree/index.js'
import {
  createUpdatePath,
  processUpdatePath,
  setKeyFromPathSecret,
  setLeafKey,
  TreePrivateKeys,
} from '../../../src/mls/treekem/index.js'
import { groupContextCodec, updatePathCodec, type UpdatePath } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

interface TreeKemCase {
  cipher_suite: number
  group_id: string
  epoch: number
  confirmed_transcript_hash: string
  ratchet_tree: string
  leaves_private: {
    index: number
    encryption_priv: string
    signature_priv: string
    path_secrets: { node: number; path_secret: string }[]
  }[]
  update_paths: {
    sender: number
    update_path: string
    path_secrets: (string | null)[]
    commit_secret: string
    tree_hash_after: string
  }[]
}

const cases = loadVectors<TreeKemCase>('treekem.json')

function contextFor(v: TreeKemCase) {
  return (treeHash: Uint8Array) =>
    encode(groupContextCodec, {
      version: 1,
      cipherSuite: v.cipher_suite,
      groupId: hex(v.group_id),
      epoch: BigInt(v.epoch),
      treeHash,
      confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
      extensions: [],
    })
}

async function privateStates(tree: RatchetTree, v: TreeKemCase): Promise<Map<number, TreePrivateKeys>> {
  const out = new Map<number, TreePrivateKeys>()
  for (const lp of v.leaves_private) {
    const keys = new TreePrivateKeys(lp.index)
    await setLeafKey(tree, keys, hex(lp.encryption_priv))
    for (const ps of lp.path_secrets) await setKeyFromPathSecret(tree, keys, ps.node, hex(ps.path_secret))
    // Consistent with the tree: every node we hold is non-blank and carries our key's public half.
    for (const x of keys.nodes()) {
      const n = tree.node(x)!
      const pub = n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
      expect(toHex(await tree.suite.hpkePublicKey(keys.get(x)!))).toBe(toHex(pub))
    }
    out.set(lp.index, keys)
  }
  return out
}

async function processAs(
  tree: RatchetTree,
  v: TreeKemCase,
  keys: TreePrivateKeys,
  sender: number,
  updatePath: UpdatePath,
) {
  const staged = tree.clone()
  const stagedKeys = keys.clone()
  const r = await processUpdatePath({
    tree: staged,
    senderLeaf: sender,
    updatePath,
    groupId: hex(v.group_id),
    groupContext: contextFor(v),
    privateKeys: stagedKeys,
    leafPolicy: { authService: acceptAllCredentials },
  })
  return { r, staged, stagedKeys }
}

describe('treekem.json', () => {
  it('covers all seven suites', () => {
    expect(new Set(cases.map((c) => c.cipher_suite))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]))
  })

  cases.forEach((v, i) => {
    it(`treekem.json case ${i} (suite ${v.cipher_suite}): private state, every update_path as every member, fresh paths round-trip`, async () => {
      const suite: CipherSuite = getCipherSuite(v.cipher_suite)
      const tree = decodeTree(suite, hex(v.ratchet_tree))
      const treeBytes = toHex(encodeTree(tree))
      const treeHashBefore = toHex(tree.treeHash())
      const states = await privateStates(tree, v)

      for (const [u, up] of v.update_paths.entries()) {
        const updatePath = decode(updatePathCodec, hex(up.update_path))
        let processed = 0
        for (const [j, keys] of states) {
          if (j === up.sender || tree.leaf(j) === undefined) continue
          const { r, staged } = await processAs(tree, v, keys, up.sender, updatePath)
          expect(toHex(r.pathSecret), `update_paths[${u}] path secret at leaf ${j}`).toBe(up.path_secrets[j])
          expect(toHex(r.commitSecret), `update_paths[${u}] commit secret at leaf ${j}`).toBe(up.commit_secret)
          expect(toHex(r.treeHash)).toBe(up.tree_hash_after)
          expect(toHex(staged.treeHash())).toBe(up.tree_hash_after)
          verifyParentHashes(staged)
          processed++
        }
        expect(processed).toBe(up.path_secrets.filter((p) => p !== null).length)

        // A fresh UpdatePath from the same sender, processed by everyone else.
        const sender = v.leaves_private.find((l) => l.index === up.sender)!
        const staged = tree.clone()
        const senderKeys = states.get(up.sender)!.clone()
        const created = await createUpdatePath({
          tree: staged,
          leafIndex: up.sender,
          groupId: hex(v.group_id),
          signaturePrivateKey: hex(sender.signature_priv),
          groupContext: contextFor(v),
          privateKeys: senderKeys,
        })
        verifyParentHashes(staged)
        const reencoded = decode(updatePathCodec, encode(updatePathCodec, created.updatePath))
        for (const [j, keys] of states) {
          if (j === up.sender || tree.leaf(j) === undefined) continue
          const { r, staged: theirs } = await processAs(tree, v, keys, up.sender, reencoded)
          expect(toHex(r.commitSecret), `fresh path from ${up.sender} at leaf ${j}`).toBe(toHex(created.commitSecret))
          expect(toHex(encodeTree(theirs))).toBe(toHex(encodeTree(staged)))
          expect(toHex(r.treeHash)).toBe(toHex(created.treeHash))
        }
        created.wipe()
      }
      // Nothing above touched the tree everyone started from.
      expect(toHex(encodeTree(tree))).toBe(treeBytes)
      expect(toHex(tree.treeHash())).toBe(treeHashBefore)
    })
  })
})
