/**
 * Creating an UpdatePath (RFC 9420 §7.4 ratchet tree evolution, §7.5, §7.6,
 * §12.4.1 "Creating a Commit").
 *
 * Input: a staged tree with the Commit's proposals already applied, the
 * committer's leaf, and how to encode the provisional GroupContext once the
 * new tree hash is known. Steps:
 *   1. fresh leaf_secret; leaf key pair and path secrets up the filtered
 *      direct path (path-secrets.ts); commit_secret one step past the top;
 *   2. merge the new public keys, parent hashes top down (merge-path.ts);
 *   3. the new LeafNode: source commit, that parent_hash, signed over
 *      LeafNodeTBS with group_id and leaf index;
 *   4. tree hash -> provisional GroupContext -> each path secret encrypted
 *      with EncryptWithLabel(pk, "UpdatePathNode", GroupContext, secret) to
 *      every node of its copath child's resolution, minus the leaves the
 *      Commit adds (they get their path secret from the Welcome).
 * Cost: O(log n) key derivations, hashes and (in a full tree) encryptions.
 *
 * Secrets: node secrets are zeroed at once; the private keys go into the
 * caller's staged TreePrivateKeys; the returned path secrets (for Welcome)
 * and commit_secret are the caller's to consume: wipe() zeroes them.
 */
import { randomBytes, memzero } from '../../crypto/index.js'
import { TalosError } from '../../errors.js'
import { signLeafNode } from '../keys/leaf-node.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import { commonAncestor } from '../treemath.js'
import type { Capabilities } from '../wire/capabilities.js'
import type { Credential } from '../wire/credential.js'
import type { Extension } from '../wire/extension.js'
import type { UpdatePath, UpdatePathNode } from '../wire/hpke.js'
import { LeafNodeSource, type LeafNode } from '../wire/leaf-node.js'
import { mergePathKeys } from './merge-path.js'
import { nextPathSecret, nodeKeyPairs } from './path-secrets.js'
import type { KeyPair } from '../../crypto/suite.js'
import type { TreePrivateKeys } from './private-keys.js'

/** The encoded provisional GroupContext, or how to build it from the new tree hash. */
export type GroupContextSource = Uint8Array | ((treeHash: Uint8Array) => Uint8Array)

export const UPDATE_PATH_LABEL = 'UpdatePathNode'

export interface NewLeafFields {
  signatureKey: Uint8Array
  credential: Credential
  capabilities: Capabilities
  extensions: Extension[]
}

export interface CreateUpdatePathOptions {
  /** Staged tree with the proposals applied; changed in place. */
  tree: RatchetTree
  /** The committer's leaf (for an external commit: the leaf it takes, see RatchetTree.leftmostBlankLeaf). */
  leafIndex: number
  groupId: Uint8Array
  signaturePrivateKey: Uint8Array
  /** Fields of the new LeafNode; default: those of the committer's current leaf. */
  leaf?: NewLeafFields | undefined
  /** Leaves added by this Commit: not encrypted to (§7.6). */
  excludedLeaves?: Iterable<number> | undefined
  groupContext: GroupContextSource
  /** The committer's staged private keys; receives the new keys (and is pruned). */
  privateKeys: TreePrivateKeys
  /** Deterministic leaf secret, for tests; random (Nh bytes) otherwise. Not retained. */
  leafSecret?: Uint8Array | undefined
}

export interface CreatedUpdatePath {
  updatePath: UpdatePath
  /** The exact encoding of updatePath.leafNode, as stored in the tree. */
  leafNodeBytes: Uint8Array
  commitSecret: Uint8Array
  /** Path secret of each filtered-direct-path node (node index -> secret), for Welcome. */
  pathSecrets: Map<number, Uint8Array>
  /** The path secret a member newly added at `leaf` must receive in its Welcome (§12.4.3.1). */
  pathSecretFor(leaf: number): Uint8Array | undefined
  treeHash: Uint8Array
  groupContext: Uint8Array
  /** Zeroes commitSecret and every path secret. */
  wipe(): void
}

export function resolveGroupContext(source: GroupContextSource, treeHash: Uint8Array): Uint8Array {
  return typeof source === 'function' ? source(treeHash) : source
}

export async function createUpdatePath(opts: CreateUpdatePathOptions): Promise<CreatedUpdatePath> {
  const { tree, leafIndex } = opts
  const suite = tree.suite
  if (opts.privateKeys.leafIndex !== leafIndex) {
    throw new TalosError('MLS_INVALID_LEAF_INDEX', `private keys belong to leaf ${opts.privateKeys.leafIndex}, not ${leafIndex}`)
  }
  tree.ensureLeaf(leafIndex)
  const current = tree.leaf(leafIndex)
  const fields = opts.leaf ?? current
  if (fields === undefined) throw new TalosError('MLS_BLANK_LEAF', `leaf ${leafIndex} is blank and no new leaf fields were given`)
  const path = tree.filteredDirectPath(leafIndex)
  const excluded = new Set(opts.excludedLeaves ?? [])

  // 1. Secrets, leaf to root (a cheap hash chain), then every key pair as one batch (leaf first): the
  // scalar multiplications may run in parallel (CipherSuite.deriveHpkeKeyPairs).
  const leafSecret = opts.leafSecret ?? randomBytes(suite.Nh)
  const secrets: Uint8Array[] = []
  const pathSecrets = new Map<number, Uint8Array>()
  let secret = nextPathSecret(suite, leafSecret)
  // On any throw below, no path secret, the commit secret or an unhanded private key outlives the call.
  let pending: KeyPair[] = []
  const wipe = (): void => {
    memzero(secret)
    for (const s of pathSecrets.values()) memzero(s)
  }
  try {
    for (const { node } of path) {
      secrets.push(secret)
      pathSecrets.set(node, secret)
      secret = nextPathSecret(suite, secret)
    }
    const commitSecret = secret
    pending = await nodeKeyPairs(suite, [leafSecret, ...secrets])
    if (opts.leafSecret === undefined) memzero(leafSecret)
    const leafKeys = pending[0]!
    const publicKeys: Uint8Array[] = []
    for (let i = 0; i < path.length; i++) {
      const kp = pending[i + 1]!
      opts.privateKeys.set(path[i]!.node, kp.privateKey, kp.publicKey)
      publicKeys.push(kp.publicKey)
    }
    pending = [leafKeys]

    // 2-3. Public keys and parent hashes into the tree, then the signed leaf.
    const leafParentHash = mergePathKeys(tree, leafIndex, path, publicKeys)
    const leafNode: LeafNode = signLeafNode(
      suite,
      opts.signaturePrivateKey,
      {
        encryptionKey: leafKeys.publicKey,
        signatureKey: fields.signatureKey,
        credential: fields.credential,
        capabilities: fields.capabilities,
        leafNodeSource: LeafNodeSource.commit,
        parentHash: leafParentHash,
        extensions: fields.extensions,
      },
      { groupId: opts.groupId, leafIndex },
    )
    tree.setLeaf(leafIndex, leafNode)
    opts.privateKeys.set(2 * leafIndex, leafKeys.privateKey, leafKeys.publicKey)
    pending = []
    opts.privateKeys.prune(tree)

    // 4. Encrypt each path secret to its copath resolution.
    const treeHash = tree.treeHash()
    const groupContext = resolveGroupContext(opts.groupContext, treeHash)
    // All seals in one batch (their KEM scalar multiplications may run in parallel), then regrouped per node.
    const targets = path.map(({ copath }) => tree.resolution(copath, excluded))
    const recipients: Uint8Array[] = []
    const plaintexts: Uint8Array[] = []
    targets.forEach((t, i) => {
      for (const r of t) {
        recipients.push(encryptionKeyOf(tree, r))
        plaintexts.push(secrets[i]!)
      }
    })
    const sealed = await suite.encryptWithLabelMany(recipients, UPDATE_PATH_LABEL, groupContext, plaintexts)
    let next = 0
    const nodes: UpdatePathNode[] = targets.map((t, i) => ({
      encryptionKey: publicKeys[i]!,
      encryptedPathSecret: t.map(() => sealed[next++]!),
    }))

    return {
      updatePath: { leafNode, nodes },
      leafNodeBytes: tree.leafAt(leafIndex)!.bytes,
      commitSecret,
      pathSecrets,
      pathSecretFor: (leaf) => pathSecrets.get(commonAncestor(2 * leafIndex, 2 * leaf)),
      treeHash,
      groupContext,
      wipe,
    }
  } catch (e) {
    wipe()
    if (opts.leafSecret === undefined) memzero(leafSecret)
    for (const kp of pending) memzero(kp.privateKey)
    throw e
  }
}

export function encryptionKeyOf(tree: RatchetTree, x: number): Uint8Array {
  const n = tree.node(x)
  if (n === undefined) throw new TalosError('MLS_INVALID_TREE_STATE', `node ${x} in a resolution is blank`)
  return n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
}
