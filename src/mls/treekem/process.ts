/**
 * Processing another member's UpdatePath (RFC 9420 §7.5, §7.6, §12.4.2
 * "Processing a Commit").
 *
 * On a staged tree with the Commit's proposals applied, in this order so that
 * every check that can fail cheaply comes before any HPKE work:
 *   1. shape: one UpdatePathNode per filtered-direct-path node
 *      (MLS_UPDATE_PATH_LENGTH), one ciphertext per copath-resolution node
 *      minus the leaves this Commit adds (MLS_UPDATE_PATH_CIPHERTEXT_COUNT);
 *   2. the LeafNode (§7.3 via validateLeafNode: source commit, credential,
 *      signature over LeafNodeTBS with group_id and the sender's index,
 *      capabilities, ...);
 *   3. no public key of the path is already in the tree, nor repeated within
 *      the path (MLS_DUPLICATE_ENCRYPTION_KEY); the signature key is not
 *      another member's (MLS_DUPLICATE_SIGNATURE_KEY);
 *   4. merge the public keys, recompute the parent hashes top down and check
 *      the leaf's parent_hash against them (MLS_BAD_PARENT_HASH);
 *   5. tree hash -> provisional GroupContext; decrypt the one ciphertext
 *      addressed to a node we hold a key for (MLS_PATH_DECRYPT_FAILED);
 *   6. derive the path secrets from there to the root, each derived public
 *      key must equal the UpdatePath's (MLS_PATH_KEY_MISMATCH; the key pairs
 *      are derived as one batch, see CipherSuite.deriveHpkeKeyPairs);
 *      commit_secret is one step past the root's path secret.
 * The tree and private keys passed in are staged copies and are changed in
 * place; on any error the caller discards both (TreePrivateKeys.dispose).
 */
import { memzero } from '../../crypto/index.js'
import { isTalosError, TalosError } from '../../errors.js'
import type { AuthenticationService } from '../keys/credential.js'
import { validateLeafNode } from '../keys/leaf-node.js'
import { leafSpan } from '../tree/parent-hash.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { RequiredCapabilities } from '../wire/group-info.js'
import type { UpdatePath } from '../wire/hpke.js'
import { leafNodeCodec, LeafNodeSource } from '../wire/leaf-node.js'
import { encode } from '../../codec/tls.js'
import { encryptionKeyOf, resolveGroupContext, UPDATE_PATH_LABEL, type GroupContextSource } from './create.js'
import { mergePathKeys } from './merge-path.js'
import { nextPathSecret, nodeKeyPairs, sameKey } from './path-secrets.js'
import type { KeyPair } from '../../crypto/suite.js'
import type { TreePrivateKeys } from './private-keys.js'

/** What §7.3 needs to judge the UpdatePath's LeafNode (see validateLeafNode). */
export interface LeafPolicy {
  authService: AuthenticationService
  now?: bigint | undefined
  maxLifetimeSeconds?: bigint | undefined
  requiredCapabilities?: RequiredCapabilities | undefined
  cipherSuite?: number | undefined
}

export interface ProcessUpdatePathOptions {
  /** Staged tree with the proposals applied; changed in place. */
  tree: RatchetTree
  senderLeaf: number
  updatePath: UpdatePath
  /** The exact encoding of updatePath.leafNode, when the caller kept it. */
  leafNodeBytes?: Uint8Array | undefined
  groupId: Uint8Array
  /** Leaves added by this Commit (§7.6). */
  excludedLeaves?: Iterable<number> | undefined
  groupContext: GroupContextSource
  /** Our staged private keys (their leafIndex is us); receives the new keys and is pruned. */
  privateKeys: TreePrivateKeys
  leafPolicy: LeafPolicy
}

/** commitSecret and pathSecret are the caller's: zero them once consumed (key schedule / tests). */
export interface ProcessedUpdatePath {
  commitSecret: Uint8Array
  /** The path secret we decrypted, and the node it belongs to. */
  pathSecret: Uint8Array
  decryptedNode: number
  treeHash: Uint8Array
  groupContext: Uint8Array
}

function fail(code: `MLS_${string}`, message: string): never {
  throw new TalosError(code, message)
}

export async function processUpdatePath(opts: ProcessUpdatePathOptions): Promise<ProcessedUpdatePath> {
  const { tree, senderLeaf, updatePath, privateKeys } = opts
  const suite = tree.suite
  const own = privateKeys.leafIndex
  if (own === senderLeaf) fail('MLS_INVALID_SENDER', 'a member does not process its own UpdatePath (use the staged commit)')
  tree.ensureLeaf(senderLeaf)
  const excluded = new Set(opts.excludedLeaves ?? [])

  // 1. Shape against the filtered direct path.
  const path = tree.filteredDirectPath(senderLeaf)
  if (updatePath.nodes.length !== path.length) {
    fail('MLS_UPDATE_PATH_LENGTH', `UpdatePath has ${updatePath.nodes.length} nodes, the filtered direct path ${path.length}`)
  }
  const resolutions = path.map(({ copath }, i) => {
    const res = tree.resolution(copath, excluded)
    const got = updatePath.nodes[i]!.encryptedPathSecret.length
    if (got !== res.length) {
      fail('MLS_UPDATE_PATH_CIPHERTEXT_COUNT', `UpdatePath node ${i} has ${got} ciphertexts for a resolution of ${res.length}`)
    }
    return res
  })

  // 2. The new leaf (§7.3). Encoded once: the signature check and the tree hash both use these bytes.
  const leaf = updatePath.leafNode
  const leafBytes = opts.leafNodeBytes ?? encode(leafNodeCodec, leaf)
  validateLeafNode(leaf, {
    suite,
    authService: opts.leafPolicy.authService,
    expectedSource: LeafNodeSource.commit,
    // A member committer replaces its own leaf (§5.3.1 succession); an external joiner's leaf is new.
    previous: tree.leaf(senderLeaf),
    context: { groupId: opts.groupId, leafIndex: senderLeaf },
    encoded: leafBytes,
    now: opts.leafPolicy.now,
    maxLifetimeSeconds: opts.leafPolicy.maxLifetimeSeconds,
    requiredCapabilities: opts.leafPolicy.requiredCapabilities,
    groupCipherSuite: opts.leafPolicy.cipherSuite,
  })

  // 3. Key uniqueness against the tree before the merge (§12.4.2) and within the path.
  const pathKeys = [leaf.encryptionKey, ...updatePath.nodes.map((n) => n.encryptionKey)]
  pathKeys.forEach((k, i) => {
    const holder = tree.findEncryptionKey(k)
    if (holder !== undefined) fail('MLS_DUPLICATE_ENCRYPTION_KEY', `UpdatePath key ${i} is already held by node ${holder}`)
    for (let j = 0; j < i; j++) if (sameKey(pathKeys[j]!, k)) fail('MLS_DUPLICATE_ENCRYPTION_KEY', `UpdatePath repeats a key`)
  })
  const sigHolder = tree.findSignatureKey(leaf.signatureKey)
  if (sigHolder !== undefined && sigHolder !== senderLeaf) {
    fail('MLS_DUPLICATE_SIGNATURE_KEY', `the UpdatePath leaf's signature key belongs to leaf ${sigHolder}`)
  }

  // 4. Merge and check the parent-hash chain ends at the leaf.
  const ph = mergePathKeys(tree, senderLeaf, path, updatePath.nodes.map((n) => n.encryptionKey))
  if (leaf.leafNodeSource !== LeafNodeSource.commit || !sameKey(leaf.parentHash, ph)) {
    fail('MLS_BAD_PARENT_HASH', 'the UpdatePath leaf parent_hash does not match the path')
  }
  tree.setLeaf(senderLeaf, leaf, leafBytes)
  privateKeys.prune(tree)

  // 5. Decrypt the path secret addressed to us.
  const treeHash = tree.treeHash()
  const groupContext = resolveGroupContext(opts.groupContext, treeHash)
  const i = path.findIndex(({ copath }) => {
    const [lo, hi] = leafSpan(copath)
    return own >= lo && own <= hi
  })
  if (i < 0 || excluded.has(own)) fail('MLS_NO_DECRYPTION_KEY', `leaf ${own} is not covered by the UpdatePath`)
  const res = resolutions[i]!
  const j = res.findIndex((x) => {
    const [lo, hi] = leafSpan(x)
    return own >= lo && own <= hi && privateKeys.has(x) && sameKey(privateKeys.publicKey(x)!, encryptionKeyOf(tree, x))
  })
  if (j < 0) fail('MLS_NO_DECRYPTION_KEY', `no private key for the resolution of node ${path[i]!.copath}`)
  const ct = updatePath.nodes[i]!.encryptedPathSecret[j]!
  let secret: Uint8Array
  try {
    secret = await suite.decryptWithLabel(privateKeys.get(res[j]!)!, UPDATE_PATH_LABEL, groupContext, ct.kemOutput, ct.ciphertext)
  } catch (e) {
    if (isTalosError(e) && e.code.startsWith('CRYPTO_')) {
      throw new TalosError('MLS_PATH_DECRYPT_FAILED', 'cannot decrypt the path secret sent to us', { cause: e })
    }
    throw e
  }
  const pathSecret = secret.slice()

  // 6. Derive up to the root, checking every public key. The path secrets are a cheap hash chain; the
  // key pairs (one scalar multiplication each) are derived as one batch, in parallel where it pays.
  const secrets = [secret]
  for (let k = i + 1; k < path.length; k++) secrets.push(nextPathSecret(suite, secrets[secrets.length - 1]!))
  const commitSecret = nextPathSecret(suite, secrets[secrets.length - 1]!)
  let derived: KeyPair[]
  try {
    derived = await nodeKeyPairs(suite, secrets)
  } catch (e) {
    memzero(commitSecret)
    memzero(pathSecret)
    throw e
  } finally {
    for (const s of secrets) memzero(s)
  }
  for (let k = i; k < path.length; k++) {
    if (!sameKey(derived[k - i]!.publicKey, updatePath.nodes[k]!.encryptionKey)) {
      for (const kp of derived) memzero(kp.privateKey)
      memzero(commitSecret)
      memzero(pathSecret)
      fail('MLS_PATH_KEY_MISMATCH', `the key derived for node ${path[k]!.node} differs from the UpdatePath's`)
    }
  }
  for (let k = i; k < path.length; k++) privateKeys.set(path[k]!.node, derived[k - i]!.privateKey, derived[k - i]!.publicKey)
  return { commitSecret, pathSecret, decryptedNode: path[i]!.node, treeHash, groupContext }
}
