/**
 * A hostile or broken UpdatePath is rejected with the code of the rule it
 * breaks (RFC 9420 §7.5, §7.6, §7.9, §12.4.2), and the live tree and private
 * keys stay byte-identical: processing only ever touches staged copies, and
 * dispose() of a rejected staged key set zeroes nothing the live set holds.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { isTalosError } from '../../../src/errors.js'
import { acceptAllCredentials, signLeafNode } from '../../../src/mls/keys/index.js'
import { encodeTree } from '../../../src/mls/tree/index.js'
import { createUpdatePath, mergePathKeys, processUpdatePath, TreePrivateKeys } from '../../../src/mls/treekem/index.js'
import { groupContextCodec, LeafNodeSource, updatePathCodec, type LeafNode, type UpdatePath } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { buildFullTree, privateKeysOf } from './full-tree.js'

const suite = getCipherSuite(1)
const context = (epoch: bigint) => (treeHash: Uint8Array) =>
  encode(groupContextCodec, {
    version: 1,
    cipherSuite: 1,
    groupId: full.groupId,
    epoch,
    treeHash,
    confirmedTranscriptHash: new Uint8Array(32),
    extensions: [],
  })

const full = await buildFullTree(suite, 8)
const committer = 2
const created = await createUpdatePath({
  tree: full.tree.clone(),
  leafIndex: committer,
  groupId: full.groupId,
  signaturePrivateKey: full.signatureKeys[committer]!.privateKey,
  groupContext: context(5n),
  privateKeys: privateKeysOf(full, committer).clone(),
})
const path = created.updatePath

function copyPath(p: UpdatePath): UpdatePath {
  return {
    leafNode: { ...p.leafNode },
    nodes: p.nodes.map((n) => ({ encryptionKey: n.encryptionKey, encryptedPathSecret: n.encryptedPathSecret.map((c) => ({ ...c })) })),
  }
}

/** Re-signs the leaf as the committer (or `signer`), i.e. a malicious committer's own path. */
function resign(leaf: LeafNode, signer = committer): LeafNode {
  const { signature: _s, ...data } = leaf
  return signLeafNode(suite, full.signatureKeys[signer]!.privateKey, data, { groupId: full.groupId, leafIndex: committer })
}

/** Processes `p` as leaf `receiver` on staged copies; asserts the code and that nothing live changed. */
async function expectRejected(p: UpdatePath, code: string, receiver = 6, epoch = 5n, keys?: TreePrivateKeys): Promise<void> {
  const live = keys ?? privateKeysOf(full, receiver)
  const liveKeys = live.serialize()
  const liveTree = toHex(encodeTree(full.tree))
  const liveHash = toHex(full.tree.treeHash())
  const stagedKeys = live.clone()
  try {
    await processUpdatePath({
      tree: full.tree.clone(),
      senderLeaf: committer,
      updatePath: p,
      groupId: full.groupId,
      groupContext: context(epoch),
      privateKeys: stagedKeys,
      leafPolicy: { authService: acceptAllCredentials },
    })
  } catch (e) {
    expect(isTalosError(e), String(e)).toBe(true)
    expect((e as { code: string }).code).toBe(code)
    stagedKeys.dispose(live)
    expect(toHex(live.serialize())).toBe(toHex(liveKeys))
    expect(toHex(encodeTree(full.tree))).toBe(liveTree)
    expect(toHex(full.tree.treeHash())).toBe(liveHash)
    return
  }
  throw new Error(`expected ${code}`)
}

describe('processUpdatePath rejects', () => {
  it('accepts the untouched path (control)', async () => {
    const r = await processUpdatePath({
      tree: full.tree.clone(),
      senderLeaf: committer,
      updatePath: path,
      groupId: full.groupId,
      groupContext: context(5n),
      privateKeys: privateKeysOf(full, 6).clone(),
      leafPolicy: { authService: acceptAllCredentials },
    })
    expect(toHex(r.commitSecret)).toBe(toHex(created.commitSecret))
  })

  it('MLS_UPDATE_PATH_LENGTH: a node missing or added', async () => {
    const p = copyPath(path)
    p.nodes.pop()
    await expectRejected(p, 'MLS_UPDATE_PATH_LENGTH')
    const q = copyPath(path)
    q.nodes.push(q.nodes[0]!)
    await expectRejected(q, 'MLS_UPDATE_PATH_LENGTH')
  })

  it('MLS_UPDATE_PATH_CIPHERTEXT_COUNT: a ciphertext too many or too few', async () => {
    const p = copyPath(path)
    p.nodes[1]!.encryptedPathSecret.push(p.nodes[1]!.encryptedPathSecret[0]!)
    await expectRejected(p, 'MLS_UPDATE_PATH_CIPHERTEXT_COUNT')
    const q = copyPath(path)
    q.nodes[0]!.encryptedPathSecret = []
    await expectRejected(q, 'MLS_UPDATE_PATH_CIPHERTEXT_COUNT')
  })

  it('MLS_INVALID_LEAF_SIGNATURE / MLS_INVALID_LEAF_SOURCE for a bad leaf', async () => {
    const p = copyPath(path)
    const sig = p.leafNode.signature.slice()
    sig[0]! ^= 1
    p.leafNode = { ...p.leafNode, signature: sig }
    await expectRejected(p, 'MLS_INVALID_LEAF_SIGNATURE')
    const q = copyPath(path)
    const { parentHash: _ph, ...rest } = q.leafNode as LeafNode & { parentHash: Uint8Array }
    q.leafNode = resign({ ...rest, leafNodeSource: LeafNodeSource.update } as LeafNode)
    await expectRejected(q, 'MLS_INVALID_LEAF_SOURCE')
  })

  it('MLS_BAD_PARENT_HASH: a node key swapped under a validly signed leaf', async () => {
    const p = copyPath(path)
    p.nodes[1]!.encryptionKey = (await suite.generateHpkeKeyPair()).publicKey
    await expectRejected(p, 'MLS_BAD_PARENT_HASH')
  })

  it('MLS_PATH_KEY_MISMATCH: a fully consistent path whose root key the secrets do not derive', async () => {
    // A malicious committer substitutes the root key, recomputes the parent hashes, re-signs its
    // leaf, and encrypts the real path secrets under the resulting GroupContext.
    const p = copyPath(path)
    const top = p.nodes.length - 1
    p.nodes[top]!.encryptionKey = (await suite.generateHpkeKeyPair()).publicKey
    const scratch = full.tree.clone()
    const fdp = scratch.filteredDirectPath(committer)
    const ph = mergePathKeys(scratch, committer, fdp, p.nodes.map((n) => n.encryptionKey))
    p.leafNode = resign({ ...(p.leafNode as LeafNode & { parentHash: Uint8Array }), parentHash: ph } as LeafNode)
    scratch.setLeaf(committer, p.leafNode)
    const ctx = context(5n)(scratch.treeHash())
    for (const [i, { node, copath }] of fdp.entries()) {
      const secret = created.pathSecrets.get(node)!
      p.nodes[i]!.encryptedPathSecret = await Promise.all(
        scratch.resolution(copath).map((r) => {
          const n = scratch.node(r)!
          const pk = n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
          return suite.encryptWithLabel(pk, 'UpdatePathNode', ctx, secret)
        }),
      )
    }
    await expectRejected(p, 'MLS_PATH_KEY_MISMATCH', 6) // decrypts the root's secret
    await expectRejected(p, 'MLS_PATH_KEY_MISMATCH', 3) // decrypts lower, derives up to the root
  })

  it('MLS_PATH_DECRYPT_FAILED: a corrupted ciphertext, or another GroupContext', async () => {
    const p = copyPath(path)
    const top = p.nodes.length - 1
    const ct = p.nodes[top]!.encryptedPathSecret[0]!
    const bad = ct.ciphertext.slice()
    bad[0]! ^= 1
    p.nodes[top]!.encryptedPathSecret[0] = { kemOutput: ct.kemOutput, ciphertext: bad }
    await expectRejected(p, 'MLS_PATH_DECRYPT_FAILED')
    await expectRejected(path, 'MLS_PATH_DECRYPT_FAILED', 6, 6n)
  })

  it('MLS_DUPLICATE_ENCRYPTION_KEY / MLS_DUPLICATE_SIGNATURE_KEY: keys already in the tree', async () => {
    const p = copyPath(path)
    p.nodes[0]!.encryptionKey = full.tree.leaf(7)!.encryptionKey
    await expectRejected(p, 'MLS_DUPLICATE_ENCRYPTION_KEY')
    const q = copyPath(path)
    q.leafNode = resign({ ...q.leafNode, encryptionKey: full.tree.leaf(committer)!.encryptionKey })
    await expectRejected(q, 'MLS_DUPLICATE_ENCRYPTION_KEY') // must differ from the committer's current leaf
    const r = copyPath(path)
    r.leafNode = resign({ ...r.leafNode, signatureKey: full.tree.leaf(5)!.signatureKey }, 5)
    await expectRejected(r, 'MLS_DUPLICATE_SIGNATURE_KEY')
  })

  it('MLS_NO_DECRYPTION_KEY / MLS_INVALID_SENDER', async () => {
    await expectRejected(path, 'MLS_NO_DECRYPTION_KEY', 6, 5n, new TreePrivateKeys(6))
    await expectRejected(path, 'MLS_INVALID_SENDER', committer, 5n, privateKeysOf(full, committer))
  })
})

describe('processUpdatePath under random corruption', () => {
  it('flipped bytes anywhere in the encoded UpdatePath: success or TalosError, live state untouched', async () => {
    const bytes = encode(updatePathCodec, path)
    const receiver = 6
    const live = privateKeysOf(full, receiver)
    const liveKeys = toHex(live.serialize())
    const liveTree = toHex(encodeTree(full.tree))
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const mutated = bytes.slice()
        mutated[at]! ^= x
        const staged = live.clone()
        try {
          const p = decode(updatePathCodec, mutated)
          await processUpdatePath({
            tree: full.tree.clone(),
            senderLeaf: committer,
            updatePath: p,
            groupId: full.groupId,
            groupContext: context(5n),
            privateKeys: staged,
            leafPolicy: { authService: acceptAllCredentials },
          })
        } catch (e) {
          if (!isTalosError(e)) throw e
          staged.dispose(live)
        }
        expect(toHex(live.serialize())).toBe(liveKeys)
        expect(toHex(encodeTree(full.tree))).toBe(liveTree)
      }),
      { numRuns: 150 },
    )
  })
})
