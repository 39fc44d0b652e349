/**
 * The committer writes its GroupInfo (whose TBS carries the whole tree) once:
 * GroupInfo = TBS || signature, the MLSMessage = header || GroupInfo bytes,
 * the Welcome into a buffer sized up front. Each must be byte-identical to
 * the generic encoding of its decoded value, and the GroupInfo signature
 * (computed over the TBS in place, the tree written from memoised parts)
 * must verify, with and without each extension, across adds and removes
 * that change the memoised parts; members join in sync from a Welcome whose
 * tree spans whole memoised chunks.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { decodeTree, encodeTree } from '../../../src/mls/tree/index.js'
import { verifyGroupInfoSignature } from '../../../src/mls/group/welcome.js'
import { decode } from '../../../src/codec/tls.js'
import { decodeMLSMessage, encodeMLSMessage, ExtensionType, WireFormat } from '../../../src/mls/wire/index.js'
import { groupInfoCodec } from '../../../src/mls/wire/group-info.js'
import { decodeRatchetTree, encodeRatchetTree } from '../../../src/mls/wire/ratchet-tree.js'
import { withBytes } from '../../../src/mls/wire/encoded.js'
import { toHex } from '../../helpers/vectors.js'
import { expectInSync, joinWith, keyPackageFor, makeGroup } from './helpers.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'

describe('GroupInfo and Welcome encodings', () => {
  it('equal the generic encoder on their decoded values', async () => {
    const [a] = await makeGroup(5, 1)
    const kps = await Promise.all([1, 2].map((i) => keyPackageFor(`did:talos:n${i}`, 1)))
    const out = await a!.commit({ add: kps.map((k) => k.message), groupInfo: { externalPub: true } })
    for (const bytes of [out.welcome!, out.groupInfo!, await a!.groupInfo()]) {
      expect(toHex(encodeMLSMessage(decodeMLSMessage(bytes)))).toBe(toHex(bytes))
    }
    a!.discardPendingCommit()
  })

  it('GroupInfo signatures verify and the tree extension equals a fresh encoding, as the tree changes', async () => {
    for (const suiteId of [1, 2, 3] as const) {
      const suite = getCipherSuite(suiteId)
      const [a] = await makeGroup(3, suiteId)
      for (let round = 0; round < 3; round++) {
        const kps = await Promise.all([0, 1].map((i) => keyPackageFor(`did:talos:r${round}-${i}`, suiteId)))
        await a!.commit({ add: kps.map((k) => k.message) })
        a!.mergePendingCommit()
        if (round === 1) {
          await a!.commit({ remove: [1] })
          a!.mergePendingCommit()
        }
        for (const opts of [{}, { ratchetTree: false }, { externalPub: false }, { ratchetTree: false, externalPub: false }]) {
          const m = decodeMLSMessage(await a!.groupInfo(opts))
          if (m.wireFormat !== WireFormat.mls_group_info) throw new Error('not a GroupInfo')
          const gi = decode(withBytes(groupInfoCodec), encodeMLSMessage(m).subarray(4), 'GroupInfo')
          verifyGroupInfoSignature(suite, gi, a!.members().find((x) => x.leafIndex === a!.ownLeafIndex)!.signatureKey)
          const tree = gi.value.extensions.find((e) => e.extensionType === ExtensionType.ratchet_tree)
          expect(tree !== undefined).toBe(opts.ratchetTree !== false)
          if (tree !== undefined) {
            expect(toHex(tree.extensionData)).toBe(toHex(a!.ratchetTree()))
            // The generic wire encoder over the decoded nodes, independent of the memoised parts.
            expect(toHex(encodeRatchetTree(decodeRatchetTree(tree.extensionData)))).toBe(toHex(tree.extensionData))
            expect(toHex(encodeTree(decodeTree(suite, tree.extensionData)))).toBe(toHex(tree.extensionData))
          }
        }
      }
    }
  })

  it('a Welcome whose tree spans whole memoised chunks (> 256 node slots) joins in sync, with the memo reused', async () => {
    const creator = await MlsGroup.create({ cipherSuite: 3, credential: basicCredential('did:talos:big0') })
    const kps = await Promise.all(Array.from({ length: 150 }, (_, i) => keyPackageFor(`did:talos:big${i + 1}`, 3)))
    await creator.commit({ add: kps.map((k) => k.message) })
    creator.mergePendingCommit()
    const late = await Promise.all([0, 1].map((i) => keyPackageFor(`did:talos:late${i}`, 3)))
    // The first Add fills the memo on chunks it shares with the live tree; the second reads them back.
    await creator.commit({ add: [late[0]!.message], path: 'when-required' })
    creator.discardPendingCommit()
    const { welcome } = await creator.commit({ add: late.map((k) => k.message), path: 'when-required' })
    creator.mergePendingCommit()
    const joined = await Promise.all(late.map((k) => joinWith(welcome!, k)))
    expectInSync([creator, ...joined])
  })
})
