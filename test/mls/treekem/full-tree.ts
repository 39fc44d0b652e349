/**
 * A valid, fully populated ratchet tree of n members without running n
 * commits: the tree that results when members 0..n-1 (all present from the
 * start) each commit once, in order (RFC 9420 §7.4-§7.9).
 *
 * Why it can be built directly: after those commits a parent P holds the
 * value set by r(P), the rightmost member under P, and P is non-blank exactly
 * when both of its subtrees hold a member (otherwise it was never on a
 * filtered direct path). When r commits, the nodes it ends up owning are the
 * bottom part of its filtered direct path (up to the first node with a
 * member to the right of r); their copath children are left subtrees, which
 * are already final. So parent hashes can be computed once per node, top
 * down along each r's owned chain, against final sibling tree hashes; the
 * parent_hash of the top owned node (and of a leaf that owns nothing) points
 * at a node since overwritten, so any value is consistent: random here.
 *
 * Every leaf is commit-sourced and signed with group_id and its index, every
 * key is a real key pair, and validateRatchetTree accepts the result. Cost:
 * n signatures and about 2n HPKE key generations.
 */
import { randomBytes } from '../../../src/crypto/index.js'
import type { CipherSuite, KeyPair } from '../../../src/crypto/suite.js'
import { basicCredential, defaultCapabilities, signLeafNode } from '../../../src/mls/keys/index.js'
import { parentHash, parentTreeNode, RatchetTree } from '../../../src/mls/tree/index.js'
import { TreePrivateKeys } from '../../../src/mls/treekem/index.js'
import { LeafNodeSource, type LeafNode } from '../../../src/mls/wire/index.js'

export interface FullTree {
  tree: RatchetTree
  groupId: Uint8Array
  /** Per member: signature key pair and the private keys of its leaf and every non-blank node above it that it owns... */
  signatureKeys: KeyPair[]
  /** HPKE private key of every non-blank node (node index -> key pair). */
  nodeKeys: Map<number, KeyPair>
}

function level(x: number): number {
  const v = x + 1
  return 31 - Math.clz32(v & -v)
}

function parentOf(x: number): number {
  const k = level(x)
  return (x | (1 << k)) & ~(1 << (k + 1))
}

/** Rightmost leaf index under node x. */
function lastLeaf(x: number): number {
  return (x + (1 << level(x)) - 1) >> 1
}

export async function buildFullTree(suite: CipherSuite, n: number, groupId = randomBytes(16)): Promise<FullTree> {
  let leaves = 1
  while (leaves < n) leaves *= 2
  const nodeKeys = new Map<number, KeyPair>()
  const signatureKeys: KeyPair[] = []
  // Start from blank leaves of the right size; leaves and parents are filled member by member.
  const first = suite.generateSignatureKeyPair()
  const placeholder = await leafFor(suite, first, groupId, 0, new Uint8Array(0), nodeKeys)
  const tree = RatchetTree.create(suite, placeholder)
  while (tree.leafCount < leaves) tree.extend()
  tree.setNode(0, undefined)
  nodeKeys.clear()
  const isNonBlank = (p: number) => {
    const k = level(p)
    const rightChild = p ^ (3 << (k - 1))
    return (rightChild - ((1 << (k - 1)) - 1)) >> 1 < n // leftmost leaf of the right subtree is a member
  }
  for (let r = 0; r < n; r++) {
    const sig = r === 0 ? first : suite.generateSignatureKeyPair()
    signatureKeys.push(sig)
    // r's owned chain: non-blank ancestors whose rightmost member is r.
    const owned: number[] = []
    for (let x = 2 * r; x !== tree.root; ) {
      x = parentOf(x)
      if (Math.min(lastLeaf(x), n - 1) !== r) break
      if (isNonBlank(x)) owned.push(x)
    }
    let ph: Uint8Array = randomBytes(suite.Nh)
    for (let i = owned.length - 1; i >= 0; i--) {
      const p = owned[i]!
      const kp = await suite.generateHpkeKeyPair()
      nodeKeys.set(p, kp)
      tree.setNode(p, parentTreeNode({ encryptionKey: kp.publicKey, parentHash: ph, unmergedLeaves: [] }))
      const k = level(p)
      ph = parentHash(suite, kp.publicKey, ph, tree.treeHash(p ^ (1 << (k - 1))))
    }
    tree.setLeaf(r, await leafFor(suite, sig, groupId, r, ph, nodeKeys))
  }
  return { tree, groupId, signatureKeys, nodeKeys }
}

async function leafFor(
  suite: CipherSuite,
  sig: KeyPair,
  groupId: Uint8Array,
  leafIndex: number,
  parentHash: Uint8Array,
  nodeKeys: Map<number, KeyPair>,
): Promise<LeafNode> {
  const enc = await suite.generateHpkeKeyPair()
  nodeKeys.set(2 * leafIndex, enc)
  return signLeafNode(
    suite,
    sig.privateKey,
    {
      encryptionKey: enc.publicKey,
      signatureKey: sig.publicKey,
      credential: basicCredential(`did:talos:member-${leafIndex}`),
      capabilities: defaultCapabilities(),
      extensions: [],
      leafNodeSource: LeafNodeSource.commit,
      parentHash,
    },
    { groupId, leafIndex },
  )
}

/** Member `leaf`'s private view: its leaf key and the key of every non-blank node above it. */
export function privateKeysOf(full: FullTree, leaf: number): TreePrivateKeys {
  const keys = new TreePrivateKeys(leaf)
  const add = (x: number) => {
    const kp = full.nodeKeys.get(x)
    if (kp !== undefined) keys.set(x, kp.privateKey, kp.publicKey)
  }
  add(2 * leaf)
  for (const { node } of full.tree.directPathWithCopath(leaf)) add(node)
  return keys
}
