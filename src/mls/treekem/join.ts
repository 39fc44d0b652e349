/**
 * A joiner's private keys from its Welcome (RFC 9420 §12.4.3.1): the
 * GroupSecrets path_secret belongs to the lowest common ancestor of the
 * joiner's leaf and the committer's; each non-blank node above it got the
 * next secret of the same chain (the committer's path left every other node
 * of its direct path blank, so "non-blank" is exactly "on its filtered direct
 * path"). Every derived public key must equal the tree's
 * (MLS_PATH_KEY_MISMATCH).
 *
 * Also the leaf key itself: setLeafKey checks the joiner's encryption private
 * key against its leaf (MLS_LEAF_KEY_MISMATCH).
 */
import { memzero } from '../../crypto/index.js'
import { TalosError } from '../../errors.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import { commonAncestor } from '../treemath.js'
import { encryptionKeyOf } from './create.js'
import { nextPathSecret, nodeKeyPair, sameKey } from './path-secrets.js'
import type { TreePrivateKeys } from './private-keys.js'

function parentOf(x: number): number {
  const v = x + 1
  const k = 31 - Math.clz32(v & -v)
  return (x | (1 << k)) & ~(1 << (k + 1))
}

/** Records our leaf's private key after checking it matches the tree. */
export async function setLeafKey(tree: RatchetTree, keys: TreePrivateKeys, encryptionPriv: Uint8Array): Promise<void> {
  const leaf = tree.leaf(keys.leafIndex)
  if (leaf === undefined) throw new TalosError('MLS_BLANK_LEAF', `leaf ${keys.leafIndex} is blank`)
  const pub = await tree.suite.hpkePublicKey(encryptionPriv)
  if (!sameKey(pub, leaf.encryptionKey)) throw new TalosError('MLS_LEAF_KEY_MISMATCH', 'the private key does not match our leaf')
  keys.set(2 * keys.leafIndex, encryptionPriv, leaf.encryptionKey)
}

/**
 * Private keys from `pathSecret` (borrowed, not zeroed) at
 * commonAncestor(our leaf, committer's leaf) up to the root, into `keys`.
 * Returns the nodes that received a key.
 */
export async function deriveKeysFromPathSecret(
  tree: RatchetTree,
  keys: TreePrivateKeys,
  committerLeaf: number,
  pathSecret: Uint8Array,
): Promise<number[]> {
  const own = keys.leafIndex
  if (committerLeaf === own || committerLeaf < 0 || committerLeaf >= tree.leafCount) {
    throw new TalosError('MLS_INVALID_LEAF_INDEX', `committer leaf ${committerLeaf}`)
  }
  let x = commonAncestor(2 * own, 2 * committerLeaf)
  if (x >= tree.nodeCount || tree.node(x) === undefined) {
    throw new TalosError('MLS_PATH_KEY_MISMATCH', `the common ancestor ${x} of the path secret is blank`)
  }
  const out: number[] = []
  const derived: Uint8Array[] = []
  let secret: Uint8Array = pathSecret.slice()
  try {
    for (;;) {
      if (tree.node(x) !== undefined) {
        const kp = await nodeKeyPair(tree.suite, secret)
        derived.push(kp.privateKey)
        if (!sameKey(kp.publicKey, encryptionKeyOf(tree, x))) {
          throw new TalosError('MLS_PATH_KEY_MISMATCH', `the key derived for node ${x} differs from the tree's`)
        }
        out.push(x)
        const next = nextPathSecret(tree.suite, secret)
        memzero(secret)
        secret = next
      }
      if (x === tree.root) break
      x = parentOf(x)
    }
  } catch (e) {
    for (const d of derived) memzero(d)
    throw e
  } finally {
    memzero(secret)
  }
  out.forEach((node, i) => keys.set(node, derived[i]!, encryptionKeyOf(tree, node)))
  return out
}

/** Sets node x's private key from its path secret (borrowed), checking it against the tree. */
export async function setKeyFromPathSecret(tree: RatchetTree, keys: TreePrivateKeys, x: number, pathSecret: Uint8Array): Promise<void> {
  if (tree.node(x) === undefined) throw new TalosError('MLS_PATH_KEY_MISMATCH', `node ${x} is blank`)
  const kp = await nodeKeyPair(tree.suite, pathSecret)
  if (!sameKey(kp.publicKey, encryptionKeyOf(tree, x))) {
    memzero(kp.privateKey)
    throw new TalosError('MLS_PATH_KEY_MISMATCH', `the key derived for node ${x} differs from the tree's`)
  }
  keys.set(x, kp.privateKey, kp.publicKey)
}
