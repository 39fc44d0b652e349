/**
 * TreeKEM over a whole group's life (RFC 9420 §7.4-§7.9, §12.1, §12.4):
 * members join by Add (with and without an UpdatePath, so unmerged leaves
 * appear and are later merged), leave by Remove (blanking, truncation), and
 * re-key by path-only commits. Every member keeps its own tree and private
 * keys and processes every commit on staged copies. After every epoch:
 *   - all members agree on the commit_secret and on the tree, byte for byte;
 *   - the tree passes full join validation (parent hashes with unmerged
 *     leaves and blanks, signatures, tree hash);
 *   - the tree invariant holds for every member: it holds the private key of
 *     exactly the non-blank nodes on its direct path where it is not
 *     unmerged (and of its leaf), each matching the public key.
 * Joiners get the path secret of the common ancestor (pathSecretFor) and
 * derive their keys from it (deriveKeysFromPathSecret).
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { acceptAllCredentials, basicCredential, generateKeyPackage } from '../../../src/mls/keys/index.js'
import { encodeTree, RatchetTree, validateRatchetTree } from '../../../src/mls/tree/index.js'
import {
  createUpdatePath,
  deriveKeysFromPathSecret,
  processUpdatePath,
  setLeafKey,
  TreePrivateKeys,
} from '../../../src/mls/treekem/index.js'
import { groupContextCodec, updatePathCodec } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'

interface Member {
  tree: RatchetTree
  keys: TreePrivateKeys
  signaturePriv: Uint8Array
}

/** Small deterministic PRNG (mulberry32) so a failure replays. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0
  }
}

const groupId = new TextEncoder().encode('treekem-sim')
const context = (suite: CipherSuite, epoch: number) => (treeHash: Uint8Array) =>
  encode(groupContextCodec, {
    version: 1,
    cipherSuite: suite.id,
    groupId,
    epoch: BigInt(epoch),
    treeHash,
    confirmedTranscriptHash: new Uint8Array(suite.Nh),
    extensions: [],
  })

function encryptionKeyAt(tree: RatchetTree, x: number): Uint8Array {
  const n = tree.node(x)!
  return n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
}

/** The tree invariant (§4.2) and key consistency for one member. */
function checkInvariant(tree: RatchetTree, leaf: number, keys: TreePrivateKeys): void {
  const expected = [2 * leaf]
  for (const { node } of tree.directPathWithCopath(leaf)) {
    const p = tree.parent(node)
    if (p !== undefined && !p.unmergedLeaves.includes(leaf)) expected.push(node)
  }
  expect(keys.nodes(), `private nodes of leaf ${leaf}`).toEqual(expected.sort((a, b) => a - b))
  for (const x of keys.nodes()) expect(toHex(keys.publicKey(x)!)).toBe(toHex(encryptionKeyAt(tree, x)))
}

async function newMember(suite: CipherSuite, name: string) {
  return generateKeyPackage({ cipherSuite: suite.id, credential: basicCredential(`did:talos:${name}`) })
}

interface Stats {
  addOnlyCommits: number
  removes: number
  maxMembers: number
  epochsWithUnmerged: number
  truncations: number
}

async function simulate(suiteId: number, seed: number, epochs: number): Promise<Stats> {
  const stats: Stats = { addOnlyCommits: 0, removes: 0, maxMembers: 0, epochsWithUnmerged: 0, truncations: 0 }
  const suite = getCipherSuite(suiteId)
  const random = rng(seed)
  const first = await newMember(suite, 'm0')
  const members = new Map<number, Member>()
  {
    const tree = RatchetTree.create(suite, first.keyPackage.leafNode)
    const keys = new TreePrivateKeys(0)
    await setLeafKey(tree, keys, first.encryptionPriv)
    members.set(0, { tree, keys, signaturePriv: first.signaturePriv })
  }
  let names = 1
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const ids = [...members.keys()]
    const committer = ids[random(ids.length)]!
    const others = ids.filter((i) => i !== committer)
    const removes = others.filter(() => random(5) === 0).slice(0, 2)
    const addCount = members.size - removes.length < 10 ? random(4) : 0
    const adds = await Promise.all(Array.from({ length: addCount }, () => newMember(suite, `m${names++}`)))
    // A path is required with removes or an otherwise empty commit (§12.4); add-only commits skip it half the time.
    const withPath = removes.length > 0 || adds.length === 0 || random(2) === 0
    if (!withPath) stats.addOnlyCommits++
    stats.removes += removes.length
    const widthBefore = members.get(committer)!.tree.leafCount

    const staged = new Map<number, { tree: RatchetTree; keys: TreePrivateKeys }>()
    let added: number[] = []
    for (const [i, m] of members) {
      const tree = m.tree.clone()
      const keys = m.keys.clone()
      for (const r of removes) tree.removeLeaf(r)
      const here = adds.map((kp) => tree.addLeaf(kp.keyPackage.leafNode))
      if (added.length === 0) added = here
      expect(here).toEqual(added)
      keys.prune(tree)
      staged.set(i, { tree, keys })
    }

    let commitSecret: string | undefined
    let pathSecretFor: ((leaf: number) => Uint8Array | undefined) | undefined
    if (withPath) {
      const mine = staged.get(committer)!
      const created = await createUpdatePath({
        tree: mine.tree,
        leafIndex: committer,
        groupId,
        signaturePrivateKey: members.get(committer)!.signaturePriv,
        excludedLeaves: added,
        groupContext: context(suite, epoch),
        privateKeys: mine.keys,
      })
      commitSecret = toHex(created.commitSecret)
      pathSecretFor = created.pathSecretFor
      const onTheWire = decode(updatePathCodec, encode(updatePathCodec, created.updatePath))
      for (const [i, s] of staged) {
        if (i === committer || removes.includes(i)) continue
        const r = await processUpdatePath({
          tree: s.tree,
          senderLeaf: committer,
          updatePath: onTheWire,
          groupId,
          excludedLeaves: added,
          groupContext: context(suite, epoch),
          privateKeys: s.keys,
          leafPolicy: { authService: acceptAllCredentials },
        })
        expect(toHex(r.commitSecret), `epoch ${epoch}: commit secret at leaf ${i}`).toBe(commitSecret)
        expect(toHex(r.groupContext)).toBe(toHex(created.groupContext))
      }
    }

    // Adopt the staged states (zeroing what they replaced), drop the removed members.
    for (const [i, s] of staged) {
      const m = members.get(i)!
      if (removes.includes(i)) {
        m.keys.dispose()
        s.keys.dispose()
        members.delete(i)
        continue
      }
      m.keys.dispose(s.keys)
      m.tree = s.tree
      m.keys = s.keys
    }
    const reference = members.get(committer)!.tree
    for (const [i, kp] of adds.entries()) {
      const leaf = added[i]!
      const tree = reference.clone()
      const keys = new TreePrivateKeys(leaf)
      await setLeafKey(tree, keys, kp.encryptionPriv)
      if (pathSecretFor !== undefined) await deriveKeysFromPathSecret(tree, keys, committer, pathSecretFor(leaf)!)
      members.set(leaf, { tree, keys, signaturePriv: kp.signaturePriv })
    }

    const bytes = toHex(encodeTree(reference))
    for (const [i, m] of members) {
      expect(toHex(encodeTree(m.tree)), `epoch ${epoch}: tree at leaf ${i}`).toBe(bytes)
      checkInvariant(m.tree, i, m.keys)
    }
    validateRatchetTree(reference, { groupId, treeHash: reference.treeHash(), authService: acceptAllCredentials })
    expect(reference.memberCount).toBe(members.size)
    stats.maxMembers = Math.max(stats.maxMembers, members.size)
    if (reference.leafCount < widthBefore) stats.truncations++
    let unmerged = false
    for (let x = 1; x < reference.nodeCount; x += 2) unmerged ||= (reference.parent(x)?.unmergedLeaves.length ?? 0) > 0
    if (unmerged) stats.epochsWithUnmerged++
  }
  return stats
}

/** The run must actually have exercised what the file comment promises. */
function expectCoverage(s: Stats): void {
  expect(s.addOnlyCommits).toBeGreaterThan(0)
  expect(s.removes).toBeGreaterThan(0)
  expect(s.epochsWithUnmerged).toBeGreaterThan(0)
  expect(s.maxMembers).toBeGreaterThanOrEqual(6)
}

describe('TreeKEM group simulation', () => {
  it('suite 1: 40 epochs of adds (with and without path), removes and updates', async () => {
    const s = await simulate(1, 0x5eed, 40)
    expectCoverage(s)
    expect(s.truncations).toBeGreaterThan(0)
  })
  it('suite 3: another seed', async () => {
    expectCoverage(await simulate(3, 42, 30))
  })
  it('suite 2 (P-256): a shorter run', async () => {
    expectCoverage(await simulate(2, 7, 16))
  })
})
