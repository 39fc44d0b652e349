/**
 * KeyPackage generation and §10.1 validation, LeafNode §7.3 rules, credentials.
 * Each broken rule is a distinct error code.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import {
  acceptAllCredentials,
  basicCredential,
  didAuthenticationService,
  didOf,
  generateKeyPackage,
  keyPackageRef,
  validateKeyPackage,
  validateLeafNode,
  buildLeafNode,
  defaultCapabilities,
  type KeyPackageBundle,
} from '../../../src/mls/keys/index.js'
import { keyPackageCodec, keyPackageTbsBytes, LeafNodeSource, withBytes, type KeyPackage } from '../../../src/mls/wire/index.js'

const kpBytes = withBytes(keyPackageCodec)
const enc = (kp: KeyPackage) => decode(kpBytes, encode(keyPackageCodec, kp))

function resign(b: KeyPackageBundle, change: (kp: KeyPackage) => KeyPackage) {
  const suite = getCipherSuite(b.keyPackage.cipherSuite)
  const kp = change(b.keyPackage)
  const leafNode = buildLeafNode(suite, b.signaturePriv, kp.leafNode, kp.leafNode.leafNodeSource === 1 ? { leafNodeSource: 1, lifetime: kp.leafNode.lifetime } : (kp.leafNode as any))
  const unsigned = { ...kp, leafNode, signature: new Uint8Array(0) }
  return enc({ ...unsigned, signature: suite.signWithLabel(b.signaturePriv, 'KeyPackageTBS', keyPackageTbsBytes(unsigned)) })
}

describe('KeyPackage', () => {
  for (const cs of [1, 2, 3, 4, 5, 6, 7]) {
    it(`suite ${cs}: generate, ref, validate`, async () => {
      const b = await generateKeyPackage({ cipherSuite: cs, credential: basicCredential('did:talos:alice') })
      const suite = getCipherSuite(cs)
      expect(b.ref).toEqual(keyPackageRef(suite, b.bytes))
      expect(b.ref.length).toBe(suite.Nh)
      validateKeyPackage(enc(b.keyPackage), { authService: didAuthenticationService(), cipherSuite: cs, now: BigInt(Math.floor(Date.now() / 1000)) })
      expect(await suite.hpkePublicKey(b.initPriv)).toEqual(b.keyPackage.initKey)
      expect(await suite.hpkePublicKey(b.encryptionPriv)).toEqual(b.keyPackage.leafNode.encryptionKey)
      expect(suite.signaturePublicKey(b.signaturePriv)).toEqual(b.keyPackage.leafNode.signatureKey)
    })
  }

  it('each §10.1 / §7.3 rule has its own code', async () => {
    const b = await generateKeyPackage({ cipherSuite: 1, credential: basicCredential('did:talos:bob') })
    const ok = { authService: acceptAllCredentials, cipherSuite: 1 }
    const expectCode = (kp: ReturnType<typeof enc>, code: string, check: object = ok) =>
      expect(() => validateKeyPackage(kp, check as never)).toThrow(expect.objectContaining({ code }))
    expectCode(enc(b.keyPackage), 'MLS_KEY_PACKAGE_SUITE_MISMATCH', { ...ok, cipherSuite: 3 })
    expectCode(enc({ ...b.keyPackage, version: 2 }), 'MLS_KEY_PACKAGE_VERSION_MISMATCH')
    const sig = b.keyPackage.signature.slice()
    sig[5] ^= 1
    expectCode(enc({ ...b.keyPackage, signature: sig }), 'MLS_INVALID_KEY_PACKAGE_SIGNATURE')
    expectCode(enc({ ...b.keyPackage, initKey: b.keyPackage.initKey.map((x) => x ^ 1) }), 'MLS_INVALID_KEY_PACKAGE_SIGNATURE')
    expectCode(resign(b, (kp) => ({ ...kp, initKey: kp.leafNode.encryptionKey })), 'MLS_KEY_PACKAGE_INIT_KEY_REUSED')
    const leafSig = b.keyPackage.leafNode.signature.slice()
    leafSig[0] ^= 1
    expectCode(enc({ ...b.keyPackage, leafNode: { ...b.keyPackage.leafNode, signature: leafSig } }), 'MLS_INVALID_LEAF_SIGNATURE')
    expectCode(enc(b.keyPackage), 'MLS_INVALID_CREDENTIAL', { ...ok, authService: () => false })
    expectCode(enc(b.keyPackage), 'MLS_LIFETIME_EXPIRED', { ...ok, now: 1n })
    expectCode(enc(b.keyPackage), 'MLS_INVALID_LIFETIME', { ...ok, maxLifetimeSeconds: 60n })
    expectCode(
      resign(b, (kp) => ({ ...kp, leafNode: { ...kp.leafNode, extensions: [{ extensionType: 0xff00, extensionData: new Uint8Array(1) }] } })),
      'MLS_LEAF_EXTENSION_NOT_IN_CAPABILITIES',
    )
    expectCode(
      resign(b, (kp) => ({ ...kp, leafNode: { ...kp.leafNode, capabilities: { ...kp.leafNode.capabilities, credentials: [2] } } })),
      'MLS_CREDENTIAL_NOT_IN_CAPABILITIES',
    )
    const ext = { extensionType: 0x0001, extensionData: new Uint8Array(1) }
    expectCode(resign(b, (kp) => ({ ...kp, extensions: [ext, ext] })), 'MLS_DUPLICATE_EXTENSION')
    expectCode(resign(b, (kp) => ({ ...kp, leafNode: { ...kp.leafNode, extensions: [ext, ext] } })), 'MLS_DUPLICATE_EXTENSION')
    expectCode(enc(b.keyPackage), 'MLS_REQUIRED_CAPABILITIES_UNSUPPORTED', {
      ...ok,
      requiredCapabilities: { extensionTypes: [0xff01], proposalTypes: [], credentialTypes: [] },
    })
  })

  it('a leaf in the wrong place is MLS_INVALID_LEAF_SOURCE', async () => {
    const b = await generateKeyPackage({ cipherSuite: 3, credential: basicCredential('did:talos:carol') })
    expect(() =>
      validateLeafNode(b.keyPackage.leafNode, { suite: getCipherSuite(3), authService: acceptAllCredentials, expectedSource: LeafNodeSource.update, context: { groupId: new Uint8Array(1), leafIndex: 0 } }),
    ).toThrow(expect.objectContaining({ code: 'MLS_INVALID_LEAF_SOURCE' }))
  })

  it('DID credentials', () => {
    expect(didOf(basicCredential('did:talos:x1'))).toBe('did:talos:x1')
    expect(() => basicCredential('did:web:x')).toThrow(expect.objectContaining({ code: 'MLS_INVALID_CREDENTIAL' }))
    expect(didOf({ credentialType: 1, identity: new Uint8Array([0xff, 0xfe]) })).toBeUndefined()
    const key = new Uint8Array([1, 2, 3])
    const as = didAuthenticationService((did) => (did === 'did:talos:a' ? key : undefined))
    expect(as(basicCredential('did:talos:a'), key)).toBe(true)
    expect(as(basicCredential('did:talos:a'), new Uint8Array([1, 2, 4]))).toBe(false)
    expect(as(basicCredential('did:talos:b'), key)).toBe(false)
    expect(defaultCapabilities().proposals).toEqual([])
  })
})
