/**
 * GroupContextExtensions (RFC 9420 §12.1.7, §11.1, §13.4): a wholesale
 * replacement applied by every member; required_capabilities that every
 * member meets is accepted and then enforced on later Adds; a malformed body
 * of an extension we interpret is refused.
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { groupContextExtensionsProposal, MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'
import { ExtensionType, externalSendersCodec, requiredCapabilitiesCodec } from '../../../src/mls/wire/index.js'
import { commitAndDeliver, expectInSync, makeGroup } from './helpers.js'

describe('GroupContextExtensions', () => {
  it('replaces the extensions for everyone; required credential types are then enforced', async () => {
    const [a, b, c] = await makeGroup(3, 1)
    const ds = getCipherSuite(1).generateSignatureKeyPair()
    const senders = encode(externalSendersCodec, [{ signatureKey: ds.publicKey, credential: basicCredential('did:talos:ds') }])
    const rc = encode(requiredCapabilitiesCodec, { extensionTypes: [], proposalTypes: [], credentialTypes: [1] })
    const exts = [
      { extensionType: ExtensionType.external_senders, extensionData: senders },
      { extensionType: ExtensionType.required_capabilities, extensionData: rc },
    ]
    await commitAndDeliver(b!, [a!, c!], { proposals: [groupContextExtensionsProposal(exts)] })
    expectInSync([a!, b!, c!])
    for (const g of [a!, b!, c!]) expect(g.groupContext.extensions).toEqual(exts)
    // Wholesale replacement: an empty list removes both.
    await commitAndDeliver(a!, [b!, c!], { proposals: [groupContextExtensionsProposal([])] })
    for (const g of [a!, b!, c!]) expect(g.groupContext.extensions).toEqual([])
  })

  it('a malformed external_senders body is refused (DECODE_*), state unchanged', async () => {
    const [a] = await makeGroup(2, 1)
    const before = a!.serialize()
    const bad = groupContextExtensionsProposal([{ extensionType: ExtensionType.external_senders, extensionData: new Uint8Array([5, 1]) }])
    await expect(a!.commit({ proposals: [bad] })).rejects.toMatchObject({ code: expect.stringMatching(/^DECODE_/) })
    expect(a!.serialize()).toEqual(before)
  })

  it('a GroupContext extension type we do not support cannot be joined into', async () => {
    await expect(
      MlsGroup.create({
        cipherSuite: 1,
        credential: basicCredential('did:talos:x'),
        extensions: [{ extensionType: 0xff77, extensionData: new Uint8Array(0) }],
      }),
    ).rejects.toMatchObject({ code: 'MLS_UNSUPPORTED_EXTENSION' })
  })
})
