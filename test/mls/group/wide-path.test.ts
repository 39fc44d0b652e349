/**
 * A Commit whose UpdatePath carries more ciphertexts than one shared batch of
 * the X25519 worker pool holds (src/crypto/x25519-pool.ts, 256 jobs): after
 * one Commit adds 300 members, every parent node is blank or has unmerged
 * leaves, so the next path Commit encrypts its path secrets to ~300 nodes.
 * Regression: the calling thread's share of the second slice was sealed to
 * the wrong recipients, and members in that part of the tree could not
 * process the Commit.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { setX25519Workers, stopX25519Workers, warmX25519Workers } from '../../../src/crypto/x25519-pool.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'
import { expectInSync, joinWith, keyPackageFor } from './helpers.js'

afterAll(() => setX25519Workers())

describe('an UpdatePath wider than a pool batch', () => {
  it('a path Commit over 300 unmerged leaves is processed by members across the tree', async () => {
    setX25519Workers(1)
    expect(await warmX25519Workers()).toBe(1)
    const suite = 3
    const alice = await MlsGroup.create({ cipherSuite: suite, credential: basicCredential('did:talos:alice') })
    const kps = await Promise.all(Array.from({ length: 300 }, (_, i) => keyPackageFor(`did:talos:m${i + 1}`, suite)))
    const { welcome } = await alice.commit({ add: kps.map((k) => k.message) })
    alice.mergePendingCommit()
    // Members near the first committers, in the middle and at the far end of the tree. Leaf 1's copath
    // resolutions hold 1 + 2 + 4 + ... + 128 leaves on the left and the 45 leaves 256..300 under the root:
    // 300 seals, two slices of the pool's shared buffer.
    const leaves = [1, 2, 130, 200, 255, 256, 280, 300]
    const members = await Promise.all(leaves.map((l) => joinWith(welcome!, kps[l - 1]!)))
    const all = [alice, ...members]
    // Three path Commits in turn (leaves 1, 2 and 130), each processed by everyone else: one alone let
    // the bug through when the worker happened to take every job of the second slice.
    for (const c of [1, 2, 3]) {
      const committer = all[c]!
      const { commit } = await committer.commit({})
      committer.mergePendingCommit()
      for (const g of all) if (g !== committer) await g.processMessage(commit)
      expectInSync(all)
    }
    stopX25519Workers()
  })
})
