/**
 * Ratchet tree and TreeKEM cost at n = 1024 and n = 10,000 members, suite 3,
 * in a fully populated tree (test/mls/treekem/full-tree.ts: every parent
 * with members on both sides is non-blank, so every copath resolution is one
 * node, the steady state of an active group).
 *
 *  clone                    staging copy of the public tree (what every commit pays first)
 *  createUpdatePath         committer at leaf 0: clone tree + keys, log n key derivations,
 *                           parent hashes, leaf signature, tree hash, log n HPKE encryptions
 *  processUpdatePath (root) receiver in the other half: clone, leaf signature check, merge,
 *                           parent hashes, tree hash, one HPKE decryption, one key derivation
 *  processUpdatePath (leaf) receiver next to the committer: as above but derives all log n keys
 *  join: decode + validate  ratchet_tree bytes -> RatchetTree -> validateRatchetTree
 *                           (n leaf signatures, tree hash, parent-hash chains)
 *
 * The setup (building the trees, ~2n key generations and n signatures) is
 * outside the timed region.
 */
import { encode } from '../src/codec/tls.js'
import { getCipherSuite } from '../src/crypto/index.js'
import { acceptAllCredentials } from '../src/mls/keys/index.js'
import { decodeTree, encodeTree, validateRatchetTree } from '../src/mls/tree/index.js'
import { createUpdatePath, processUpdatePath, type TreePrivateKeys } from '../src/mls/treekem/index.js'
import { groupContextCodec } from '../src/mls/wire/index.js'
import { buildFullTree, privateKeysOf } from '../test/mls/treekem/full-tree.js'
import { registerSuite, type BenchMode, type BenchTask } from './harness.js'

const SUITE = 3

function contextFor(groupId: Uint8Array) {
  return (treeHash: Uint8Array) =>
    encode(groupContextCodec, {
      version: 1,
      cipherSuite: SUITE,
      groupId,
      epoch: 7n,
      treeHash,
      confirmedTranscriptHash: new Uint8Array(32).fill(7),
      extensions: [],
    })
}

async function tasksFor(n: number, withJoin: boolean): Promise<BenchTask[]> {
  const suite = getCipherSuite(SUITE)
  const full = await buildFullTree(suite, n)
  const { tree, groupId } = full
  // A live tree always has its hashes cached (every epoch's GroupContext needs the root hash); clones share them.
  tree.treeHash()
  const groupContext = contextFor(groupId)
  const committer = 0
  const committerKeys = privateKeysOf(full, committer)
  const sign = full.signatureKeys[committer]!.privateKey

  const create = async () => {
    const staged = tree.clone()
    const keys = committerKeys.clone()
    const out = await createUpdatePath({ tree: staged, leafIndex: committer, groupId, signaturePrivateKey: sign, groupContext, privateKeys: keys })
    out.wipe()
    return out
  }
  const sample = await create()

  const receive = (keysOf: TreePrivateKeys) => async () => {
    const r = await processUpdatePath({
      tree: tree.clone(),
      senderLeaf: committer,
      updatePath: sample.updatePath,
      leafNodeBytes: sample.leafNodeBytes,
      groupId,
      groupContext,
      privateKeys: keysOf.clone(),
      leafPolicy: { authService: acceptAllCredentials },
    })
    return r.commitSecret
  }
  const far = privateKeysOf(full, n - 1)
  const near = privateKeysOf(full, 1)

  const tasks: BenchTask[] = [
    { name: `clone (n=${n})`, fn: () => tree.clone() },
    { name: `createUpdatePath (n=${n})`, fn: create },
    { name: `processUpdatePath, decrypt at root (n=${n})`, fn: receive(far) },
    { name: `processUpdatePath, decrypt at leaf's parent (n=${n})`, fn: receive(near) },
  ]
  if (withJoin) {
    const bytes = encodeTree(tree)
    const treeHash = tree.treeHash()
    tasks.push({
      name: `join: decode + validate tree (n=${n})`,
      fn: () => validateRatchetTree(decodeTree(suite, bytes), { groupId, treeHash, authService: acceptAllCredentials }),
    })
  }
  return tasks
}

registerSuite({
  name: 'mls-tree',
  title: 'Ratchet tree and TreeKEM, suite 0x0003, full trees',
  notes:
    'One commit = clone + create (committer) or clone + process (each receiver); a receiver in the far half of the tree ' +
    'decrypts at the root and derives one key pair, the committer\'s sibling derives log2(n) of them. ' +
    'Join = decode the ratchet_tree extension and validate it (every leaf signature, tree hash, parent hashes).',
  tasks: async (mode: BenchMode) => {
    const small = await tasksFor(1024, true)
    const large = await tasksFor(10000, mode !== 'quick')
    return [...small, ...large]
  },
})
