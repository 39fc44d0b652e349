/**
 * Deletion schedule (RFC 9420 §9.2, ARCHITECTURE.md "Secrets"): when a new
 * epoch is adopted the old epoch's secrets are zeroed in place (except what
 * the retained late-message window needs), a rejected Commit zeroes nothing
 * live, and destroy() zeroes everything the handle held.
 */
import { describe, expect, it } from 'vitest'
import { commitAndDeliver, joinWith, keyPackageFor, makeGroup } from './helpers.js'
import { forgeCommit } from './forge.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { MlsGroup } from '../../../src/mls/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'

const isZero = (b: Uint8Array) => b.every((x) => x === 0)

describe('secret deletion', () => {
  it('adopting an epoch zeroes the old one; a rejected Commit zeroes nothing', async () => {
    const [a, b] = await makeGroup(2, 1, { handshake: 'public' })
    const keys = b!.currentState.epoch.keys
    const held = [keys.initSecret, keys.exporterSecret, keys.externalSecret, keys.confirmationKey, keys.epochAuthenticator]
    const copies = held.map((k) => k.slice())

    await expect(b!.processMessage(forgeCommit(a!, { proposals: [] }))).rejects.toMatchObject({ code: 'MLS_MISSING_PATH' })
    held.forEach((k, i) => expect(k).toEqual(copies[i]))

    await commitAndDeliver(a!, [b!])
    for (const k of held) expect(isZero(k)).toBe(true)
    // sender_data_secret and membership_key stay for late messages of the retained epoch...
    expect(isZero(keys.senderDataSecret)).toBe(false)
    await commitAndDeliver(a!, [b!])
    // ...until the epoch leaves the window.
    expect(isZero(keys.senderDataSecret)).toBe(true)
    expect(isZero(keys.membershipKey)).toBe(true)
  })

  it('destroy() zeroes the epoch, the private keys and the signature key', async () => {
    const [a] = await makeGroup(2, 1)
    const s = a!.currentState
    const sig = s.signaturePriv
    const leafKey = s.privateKeys.get(2 * s.ownLeaf)!
    const init = s.epoch.keys.initSecret
    a!.destroy()
    expect(isZero(sig)).toBe(true)
    expect(isZero(leafKey)).toBe(true)
    expect(isZero(init)).toBe(true)
    expect(a!.active).toBe(false)
  })

  it('a joiner keeps its own copies of the KeyPackage keys, also when they come as Node Buffers (Buffer#slice is a view)', async () => {
    const [a] = await makeGroup(1, 1)
    const kp = await keyPackageFor('did:talos:j', 1)
    const { welcome } = await a!.commit({ add: [kp.message] })
    a!.mergePendingCommit()
    const secrets = {
      initPriv: Buffer.from(kp.bundle.initPriv),
      encryptionPriv: Buffer.from(kp.bundle.encryptionPriv),
      signaturePriv: Buffer.from(kp.bundle.signaturePriv),
    }
    const j = await joinWith(welcome!, { ...kp, bundle: { ...kp.bundle, ...secrets } })
    j.destroy()
    expect(isZero(secrets.signaturePriv)).toBe(false)
    expect(isZero(secrets.encryptionPriv)).toBe(false)
  })

  it('create and joinExternal keep their own copy of a caller-supplied signature key (a Node Buffer stays intact after destroy)', async () => {
    const kp = getCipherSuite(1).generateSignatureKeyPair()
    const creatorKey = { privateKey: Buffer.from(kp.privateKey), publicKey: Buffer.from(kp.publicKey) }
    const a = await MlsGroup.create({ cipherSuite: 1, credential: basicCredential('did:talos:m0'), signatureKeyPair: creatorKey })
    const kp2 = getCipherSuite(1).generateSignatureKeyPair()
    const joinerKey = { privateKey: Buffer.from(kp2.privateKey), publicKey: Buffer.from(kp2.publicKey) }
    const { group: x } = await MlsGroup.joinExternal({ groupInfo: await a.groupInfo(), credential: basicCredential('did:talos:ext'), signatureKeyPair: joinerKey })
    a.destroy()
    x.destroy()
    expect(Buffer.compare(creatorKey.privateKey, kp.privateKey)).toBe(0)
    expect(Buffer.compare(joinerKey.privateKey, kp2.privateKey)).toBe(0)
  })
})
