/**
 * validateRatchetTreeAsync (leaf signatures on the verification pool) gives
 * exactly validateRatchetTree's answer: same acceptance, same error code,
 * the same first failing leaf in index order, the authentication service
 * asked about the same leaves in the same order, and the tree unchanged;
 * whether the pool is disabled, shares the batch with the calling thread, or
 * had the workers verify every leaf before the caller looked. The tree is
 * large enough (>= PARALLEL_MIN leaves) for the pool to engage, which the
 * pool's counters confirm.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import {
  PARALLEL_MIN,
  setVerifyWorkers,
  stopVerifyWorkers,
  verifyPoolCounters,
  warmVerifyWorkers,
} from '../../../src/crypto/verify-pool.js'
import { isTalosError } from '../../../src/errors.js'
import { basicCredential, defaultCapabilities, lifetimeFromNow, signLeafNode, type AuthenticationService } from '../../../src/mls/keys/index.js'
import { encodeTree, RatchetTree, validateRatchetTree, type TreeValidationOptions } from '../../../src/mls/tree/index.js'
import { startLeafSignatures, validateRatchetTreeAsync } from '../../../src/mls/tree/validate.js'
import { LeafNodeSource, type LeafNode, type Node } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { buildFullTree } from '../treekem/full-tree.js'

/**
 * N members with every parent blank (as after one Commit adding them all, without a path): a leaf's
 * bytes then enter no parent hash, so a bad signature anywhere is caught by the signature check alone.
 * Even leaves come from KeyPackages, odd ones from Updates (signed with group_id and leaf index).
 */
async function flatTree(n: number, groupId: Uint8Array): Promise<RatchetTree> {
  const nodes: (Node | undefined)[] = []
  for (let i = 0; i < n; i++) {
    const sig = suite.generateSignatureKeyPair()
    const fields = {
      encryptionKey: (await suite.generateHpkeKeyPair()).publicKey,
      signatureKey: sig.publicKey,
      credential: basicCredential(`did:talos:member-${i}`),
      capabilities: defaultCapabilities(),
      extensions: [],
    }
    const leafNode =
      i % 2 === 0
        ? signLeafNode(suite, sig.privateKey, { ...fields, leafNodeSource: LeafNodeSource.key_package, lifetime: lifetimeFromNow(3600) })
        : signLeafNode(suite, sig.privateKey, { ...fields, leafNodeSource: LeafNodeSource.update }, { groupId, leafIndex: i })
    if (i > 0) nodes.push(undefined)
    nodes.push({ nodeType: 1, leafNode })
  }
  return RatchetTree.fromNodes(suite, nodes)
}

const suite = getCipherSuite(3)
const N = PARALLEL_MIN + 36

afterAll(() => {
  stopVerifyWorkers()
  setVerifyWorkers() // back to the default count
})

/** The tree with leaf `i`'s signature flipped in one bit. */
function badSignature(tree: RatchetTree, ...leaves: number[]): RatchetTree {
  const nodes: (Node | undefined)[] = tree.toNodes()
  for (const i of leaves) {
    const n = tree.leafAt(i)!
    const signature = n.leafNode.signature.slice()
    signature[7]! ^= 0x20
    nodes[2 * i] = { nodeType: 1, leafNode: { ...n.leafNode, signature } as LeafNode }
  }
  return RatchetTree.fromNodes(suite, nodes)
}

/** An authentication service refusing `refused` leaves (by signature key), logging every leaf it is asked about. */
function loggingAuth(tree: RatchetTree, refused: number[]): { auth: AuthenticationService; log: number[] } {
  const log: number[] = []
  const auth: AuthenticationService = (_credential, key) => {
    const leaf = tree.findSignatureKey(key)!
    log.push(leaf)
    return !refused.includes(leaf)
  }
  return { auth, log }
}

type Outcome = { code: string | undefined; message: string | undefined; log: number[] }

async function outcome(run: () => void | Promise<void>, tree: RatchetTree, log: number[]): Promise<Outcome> {
  const before = toHex(encodeTree(tree))
  let code: string | undefined
  let message: string | undefined
  try {
    await run()
  } catch (e) {
    expect(isTalosError(e), String(e)).toBe(true)
    code = (e as { code: string }).code
    message = (e as Error).message
  }
  expect(toHex(encodeTree(tree))).toBe(before)
  return { code, message, log: [...log] }
}

async function waitForWorkers(items: number, from: number): Promise<void> {
  for (let t = 0; t < 2000 && verifyPoolCounters().workers - from < items; t++) await new Promise((r) => setTimeout(r, 5))
  expect(verifyPoolCounters().workers - from).toBe(items)
}

describe('validateRatchetTreeAsync', async () => {
  const full = await buildFullTree(suite, N)
  const treeHash = full.tree.treeHash()
  const flat = await flatTree(N, full.groupId)

  /** Sync answer, then the async answer in three pool modes; all must equal. */
  async function sameEverywhere(tree: RatchetTree, refused: number[], opts: Partial<TreeValidationOptions> = {}): Promise<Outcome> {
    const base = { groupId: full.groupId, treeHash: tree.treeHash(), ...opts }
    let a = loggingAuth(tree, refused)
    const sync = await outcome(() => validateRatchetTree(tree, { ...base, authService: a.auth }), tree, a.log)

    setVerifyWorkers(0)
    a = loggingAuth(tree, refused)
    expect(await outcome(() => validateRatchetTreeAsync(tree, { ...base, authService: a.auth }), tree, a.log)).toEqual(sync)

    setVerifyWorkers(1)
    await warmVerifyWorkers()
    const before = verifyPoolCounters()
    a = loggingAuth(tree, refused)
    expect(await outcome(() => validateRatchetTreeAsync(tree, { ...base, authService: a.auth }), tree, a.log)).toEqual(sync)
    if (sync.code !== 'MLS_TREE_HASH_MISMATCH') {
      // Engaged: every member's signature went through a shared batch (the worker's part counts once it reports).
      const shared = () => verifyPoolCounters().calling - before.calling + (verifyPoolCounters().workers - before.workers)
      for (let t = 0; t < 2000 && shared() < tree.memberCount; t++) await new Promise((r) => setTimeout(r, 5))
      expect(shared()).toBe(tree.memberCount)
    }

    // Every signature verified by the workers before the calling thread looks at the results.
    setVerifyWorkers(2)
    await warmVerifyWorkers()
    const from = verifyPoolCounters().workers
    const started = startLeafSignatures(suite, tree.toNodes(), base.groupId)
    await waitForWorkers(tree.memberCount, from)
    a = loggingAuth(tree, refused)
    expect(await outcome(() => validateRatchetTreeAsync(tree, { ...base, authService: a.auth }, started), tree, a.log)).toEqual(sync)
    return sync
  }

  it('accepts valid trees in every mode', async () => {
    for (const tree of [full.tree, flat]) {
      const r = await sameEverywhere(tree, [])
      expect(r.code).toBeUndefined()
      expect(r.log).toEqual(Array.from({ length: N }, (_, i) => i))
    }
  })

  it('one bad signature, early or late, KeyPackage or Update leaf, is the same MLS_INVALID_LEAF_SIGNATURE naming that leaf', async () => {
    for (const i of [0, 3, N / 2, N - 1]) {
      const r = await sameEverywhere(badSignature(flat, i), [])
      expect(r.code).toBe('MLS_INVALID_LEAF_SIGNATURE')
      expect(r.message).toMatch(new RegExp(`^leaf ${i}:`))
      expect(r.log).toEqual(Array.from({ length: i + 1 }, (_, k) => k))
    }
    // In a full tree only the last member's bytes enter no parent hash (see validate.test.ts).
    const last = await sameEverywhere(badSignature(full.tree, N - 1), [])
    expect(last.code).toBe('MLS_INVALID_LEAF_SIGNATURE')
    expect(last.message).toMatch(new RegExp(`^leaf ${N - 1}:`))
  })

  it('the first failing leaf in index order decides, whatever failed later', async () => {
    const sigFirst = await sameEverywhere(badSignature(flat, 5, N - 2), [N - 3])
    expect(sigFirst.code).toBe('MLS_INVALID_LEAF_SIGNATURE')
    expect(sigFirst.message).toMatch(/^leaf 5:/)
    const credentialFirst = await sameEverywhere(badSignature(flat, N - 2), [4])
    expect(credentialFirst.code).toBe('MLS_INVALID_CREDENTIAL')
    expect(credentialFirst.message).toMatch(/^leaf 4:/)
    // Update leaves bound to another group: the first of them (leaf 1) fails.
    const otherGroup = await sameEverywhere(flat, [], { groupId: new Uint8Array(16) })
    expect(otherGroup.code).toBe('MLS_INVALID_LEAF_SIGNATURE')
    expect(otherGroup.message).toMatch(/^leaf 1:/)
  })

  it('a tree-wide failure comes first and gives the batch up', async () => {
    const h = treeHash.slice()
    h[0]! ^= 1
    const r = await sameEverywhere(badSignature(flat, 2), [], { treeHash: h })
    expect(r.code).toBe('MLS_TREE_HASH_MISMATCH')
    expect(r.log).toEqual([])
  })

  it('verdicts are only used for the leaf objects and group they were computed on', async () => {
    setVerifyWorkers(1)
    await warmVerifyWorkers()
    // Started for another group: not used, the leaves bound to the right group still verify.
    const otherGroup = startLeafSignatures(suite, full.tree.toNodes(), new Uint8Array(16))
    await validateRatchetTreeAsync(full.tree, { groupId: full.groupId, treeHash, authService: () => true }, otherGroup)
    // Started on the valid leaves, validating a tree where leaf 5 is another object (a bad signature):
    // leaf 5 is verified for what it is, not given the verdict of the valid leaf.
    const bad = badSignature(flat, 5)
    const onValid = startLeafSignatures(suite, flat.toNodes(), full.groupId)
    const a = loggingAuth(bad, [])
    const r = await outcome(() => validateRatchetTreeAsync(bad, { groupId: full.groupId, authService: a.auth }, onValid), bad, a.log)
    expect(r.code).toBe('MLS_INVALID_LEAF_SIGNATURE')
    expect(r.message).toMatch(/^leaf 5:/)
  })
})
