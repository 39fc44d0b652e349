/**
 * External proposals (RFC 9420 §12.1.8): a sender listed in external_senders
 * proposes a Remove, a member commits it by reference; a new member proposes
 * its own Add; an unlisted external sender is refused.
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { createExternalProposal, MlsGroup, addProposal } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'
import { decodeMLSMessageKeyPackage, ExtensionType, externalSendersCodec } from '../../../src/mls/wire/index.js'
import { commitAndDeliver, expectInSync, joinWith, keyPackageFor } from './helpers.js'

describe('external proposals', () => {
  it('external sender Remove and new-member Add, committed by reference', async () => {
    const suite = getCipherSuite(1)
    const ds = suite.generateSignatureKeyPair()
    const extSenders = encode(externalSendersCodec, [{ signatureKey: ds.publicKey, credential: basicCredential('did:talos:ds') }])
    const a = await MlsGroup.create({
      cipherSuite: 1,
      credential: basicCredential('did:talos:a'),
      extensions: [{ extensionType: ExtensionType.external_senders, extensionData: extSenders }],
    })
    const kb = await keyPackageFor('did:talos:b', 1)
    const kc = await keyPackageFor('did:talos:c', 1)
    const out = await a.commit({ add: [kb.message, kc.message] })
    a.mergePendingCommit()
    const b = await joinWith(out.welcome!, kb)
    const c = await joinWith(out.welcome!, kc)

    const remove = createExternalProposal({
      cipherSuite: 1,
      groupId: a.groupId,
      epoch: a.epoch,
      senderIndex: 0,
      signaturePriv: ds.privateKey,
      proposal: { proposalType: 3, remove: { removed: c.ownLeafIndex } },
    })
    const kd = await keyPackageFor('did:talos:d', 1)
    const selfAdd = createExternalProposal({
      cipherSuite: 1,
      groupId: a.groupId,
      epoch: a.epoch,
      signaturePriv: kd.bundle.signaturePriv,
      proposal: addProposal(decodeMLSMessageKeyPackage(kd.message)),
    })
    for (const g of [a, b, c]) {
      const r = await g.processMessage(remove)
      expect(r.content.kind === 'proposal' && r.content.sender.senderType).toBe(2)
      await g.processMessage(selfAdd)
    }
    const commit = await commitAndDeliver(b, [a, c])
    expect(c.active).toBe(false)
    const d = await joinWith(commit.welcome!, kd)
    expectInSync([a, b, d])

    // A signer not in external_senders (index 1 does not exist) is unknown.
    const rogue = createExternalProposal({
      cipherSuite: 1,
      groupId: a.groupId,
      epoch: a.epoch,
      senderIndex: 1,
      signaturePriv: ds.privateKey,
      proposal: { proposalType: 3, remove: { removed: b.ownLeafIndex } },
    })
    await expect(a.processMessage(rogue)).rejects.toMatchObject({ code: 'MLS_UNKNOWN_SENDER' })
    await commitAndDeliver(a, [b, d])
  })
})
