/**
 * External joins (RFC 9420 §12.4.3.2): a new member joins from a published
 * GroupInfo by external Commit, existing members process it; a member that
 * lost its state resyncs (external Commit removing its old leaf); the
 * §12.2 external-commit rules are enforced on both sides.
 */
import { describe, expect, it } from 'vitest'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'
import { decodeMLSMessage, encodeMLSMessage, ExtensionType, WireFormat } from '../../../src/mls/wire/index.js'
import { commitAndDeliver, expectInSync, makeGroup } from './helpers.js'

const enc = new TextEncoder()

describe('external commits', () => {
  for (const suite of [1, 3, 7]) {
    it(`suite ${suite}: join from GroupInfo, members process, messages flow`, async () => {
      const [a, b] = await makeGroup(2, suite)
      const gi = await a!.groupInfo()
      const { group: x, commit } = await MlsGroup.joinExternal({ groupInfo: gi, credential: basicCredential('did:talos:ext') })
      await a!.processMessage(commit)
      await b!.processMessage(commit)
      expectInSync([a!, b!, x])
      const r = await a!.processMessage(x.send(enc.encode('joined externally')))
      expect(r.content.kind === 'application' && r.content.sender).toBe(x.ownLeafIndex)
      await commitAndDeliver(b!, [a!, x])
      expectInSync([a!, b!, x])
    })
  }

  it('resync: a member rejoins and removes its old leaf', async () => {
    const [a, b, c] = await makeGroup(3, 1)
    const gi = await a!.groupInfo()
    const { group: c2, commit } = await MlsGroup.joinExternal({
      groupInfo: gi,
      credential: basicCredential('did:talos:m2'),
      removeLeaf: c!.ownLeafIndex,
    })
    await a!.processMessage(commit)
    await b!.processMessage(commit)
    expectInSync([a!, b!, c2])
    expect(a!.memberLeaves().length).toBe(3)
  })

  it('resync with another identity is refused (MLS_EXTERNAL_RESYNC_IDENTITY_MISMATCH)', async () => {
    const [a, , c] = await makeGroup(3, 1)
    await expect(
      MlsGroup.joinExternal({ groupInfo: await a!.groupInfo(), credential: basicCredential('did:talos:mallory'), removeLeaf: c!.ownLeafIndex }),
    ).rejects.toMatchObject({ code: 'MLS_EXTERNAL_RESYNC_IDENTITY_MISMATCH' })
  })

  it('a GroupInfo without external_pub cannot be used (MLS_MISSING_EXTERNAL_PUB)', async () => {
    const [a] = await makeGroup(2, 1)
    await expect(
      MlsGroup.joinExternal({ groupInfo: await a!.groupInfo({ externalPub: false }), credential: basicCredential('did:talos:x') }),
    ).rejects.toMatchObject({ code: 'MLS_MISSING_EXTERNAL_PUB' })
  })

  it('an external_pub that is not ExternalPub is a DECODE_ error, whatever its bytes (a bare key may parse as a shorter opaque)', async () => {
    const [a] = await makeGroup(2, 3)
    const m = decodeMLSMessage(await a!.groupInfo())
    if (m.wireFormat !== WireFormat.mls_group_info) throw new Error('not a GroupInfo')
    const ext = m.groupInfo.extensions.find((e) => e.extensionType === ExtensionType.external_pub)!
    const key = ext.extensionData.subarray(1)
    // A bare 32-byte key (what ts-mls 1.6.4 writes): its first byte read as a length, once too long, once fitting.
    for (const first of [0x05, 0x1f, 0x3f]) {
      const bare = key.slice()
      bare[0] = first
      const extensions = m.groupInfo.extensions.map((e) => (e === ext ? { ...e, extensionData: bare } : e))
      const groupInfo = encodeMLSMessage({ ...m, groupInfo: { ...m.groupInfo, extensions } })
      await expect(MlsGroup.joinExternal({ groupInfo, credential: basicCredential('did:talos:x') })).rejects.toMatchObject({
        code: expect.stringMatching(/^DECODE_/),
      })
    }
  })

  it('an external Commit for an old epoch is refused (MLS_WRONG_EPOCH)', async () => {
    const [a, b] = await makeGroup(2, 1)
    const gi = await a!.groupInfo()
    await commitAndDeliver(a!, [b!])
    const { commit } = await MlsGroup.joinExternal({ groupInfo: gi, credential: basicCredential('did:talos:late') })
    await expect(a!.processMessage(commit)).rejects.toMatchObject({ code: 'MLS_WRONG_EPOCH' })
  })
})
