/**
 * Rotating the committer's signature key in a Commit (RFC 9420 §12.4.2,
 * §7.3): MlsGroup.commit({ rotateSignatureKey }) / ({ signatureKeyPair }).
 * Peers accept the new LeafNode (signed with the new key; the Commit's
 * content with the old one), later messages verify with the new key only,
 * a joiner verifies the new epoch's GroupInfo with it, the new private key
 * survives serialize/deserialize (with the Commit pending and after merge),
 * and a LeafNode signed with a key other than its own signature_key is
 * refused with a typed error and no state change.
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { provisionalContext } from '../../../src/mls/group/advance.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { contextOf } from '../../../src/mls/group/state.js'
import { createUpdatePath } from '../../../src/mls/treekem/create.js'
import { groupContextCodec } from '../../../src/mls/wire/index.js'
import { forgeCommit } from './forge.js'
import { expectInSync, joinWith, keyPackageFor, makeGroup } from './helpers.js'

const SUITE = 3
const code = (c: string) => expect.objectContaining({ name: 'TalosError', code: c })
const text = new TextEncoder()

function leafKey(g: MlsGroup, leaf: number): Uint8Array {
  return g.members().find((m) => m.leafIndex === leaf)!.signatureKey
}

async function expectAppAccepted(from: MlsGroup, to: MlsGroup, data = 'hello'): Promise<void> {
  const r = await to.processMessage(from.send(text.encode(data)))
  expect(r.content).toMatchObject({ kind: 'application', data: text.encode(data) })
}

describe('signature key rotation in a Commit', () => {
  it('peers accept it; later messages verify with the new key; the old key no longer does', async () => {
    const [alice, bob, carol] = await makeGroup(3, SUITE)
    const oldPub = leafKey(bob!, 0)
    const oldPriv = alice!.currentState.signaturePriv.slice()
    const c = await alice!.commit({ rotateSignatureKey: true })
    expect(c.signatureKey).toBeDefined()
    expect(c.signatureKey).not.toEqual(oldPub)
    alice!.mergePendingCommit()
    for (const g of [bob!, carol!]) expect((await g.processMessage(c.commit)).content).toMatchObject({ kind: 'commit', committer: 0 })
    expectInSync([alice!, bob!, carol!])
    for (const g of [alice!, bob!, carol!]) expect(leafKey(g, 0)).toEqual(c.signatureKey)
    expect(getCipherSuite(SUITE).signaturePublicKey(alice!.currentState.signaturePriv)).toEqual(c.signatureKey)

    await expectAppAccepted(alice!, bob!)
    await expectAppAccepted(alice!, carol!)
    // A later commit of alice's (content signed with the new key) is accepted too.
    const c2 = await alice!.commit({})
    alice!.mergePendingCommit()
    await bob!.processMessage(c2.commit)
    await carol!.processMessage(c2.commit)
    expectInSync([alice!, bob!, carol!])

    // Alice's old key, used in the current epoch with otherwise valid keys: refused, bob unchanged.
    const impostor = MlsGroup.deserialize(alice!.serialize())
    impostor.adoptState({ ...impostor.currentState, signaturePriv: oldPriv })
    const forged = impostor.send(text.encode('forged'))
    const before = bob!.serialize()
    await expect(bob!.processMessage(forged)).rejects.toEqual(code('MLS_INVALID_SIGNATURE'))
    expect(bob!.serialize()).toEqual(before)
    await expectAppAccepted(alice!, bob!)
  })

  it('a caller-supplied key pair is used; the result carries its public key; the caller keeps its buffers', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const pair = getCipherSuite(SUITE).generateSignatureKeyPair()
    const kept = pair.privateKey.slice()
    const c = await alice!.commit({ signatureKeyPair: pair, path: 'when-required' })
    expect(c.signatureKey).toEqual(pair.publicKey)
    expect(pair.privateKey).toEqual(kept)
    alice!.mergePendingCommit()
    await bob!.processMessage(c.commit)
    expect(leafKey(bob!, 0)).toEqual(pair.publicKey)
    expect(alice!.currentState.signaturePriv).toEqual(pair.privateKey)
    expect(alice!.currentState.signaturePriv).not.toBe(pair.privateKey)
    await expectAppAccepted(alice!, bob!)
  })

  it('the caller keeps its buffers also when they are Node Buffers (Buffer#slice is a view): a discard zeroes only our copy', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const gen = getCipherSuite(SUITE).generateSignatureKeyPair()
    const pair = { publicKey: Buffer.from(gen.publicKey), privateKey: Buffer.from(gen.privateKey) }
    await alice!.commit({ signatureKeyPair: pair })
    alice!.discardPendingCommit()
    expect(pair.privateKey).toEqual(Buffer.from(gen.privateKey))
    const c = await alice!.commit({ signatureKeyPair: pair })
    alice!.mergePendingCommit()
    await bob!.processMessage(c.commit)
    alice!.destroy()
    expect(pair.privateKey).toEqual(Buffer.from(gen.privateKey))
  })

  it('a joiner added by the same Commit verifies the GroupInfo signed with the new key', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const kp = await keyPackageFor('did:talos:dave', SUITE)
    const c = await alice!.commit({ add: [kp.message], rotateSignatureKey: true })
    alice!.mergePendingCommit()
    await bob!.processMessage(c.commit)
    const dave = await joinWith(c.welcome!, kp)
    expectInSync([alice!, bob!, dave])
    expect(leafKey(dave, 0)).toEqual(c.signatureKey)
    await expectAppAccepted(alice!, dave)
  })

  it('persists: pending across serialize/deserialize, then merged, then restored again', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const c = await alice!.commit({ rotateSignatureKey: true })
    const restored = MlsGroup.deserialize(alice!.serialize())
    expect(restored.hasPendingCommit).toBe(true)
    restored.mergePendingCommit()
    await bob!.processMessage(c.commit)
    expectInSync([restored, bob!])
    const again = MlsGroup.deserialize(restored.serialize())
    expect(again.currentState.signaturePriv).toEqual(restored.currentState.signaturePriv)
    expect(getCipherSuite(SUITE).signaturePublicKey(again.currentState.signaturePriv)).toEqual(c.signatureKey)
    await expectAppAccepted(again, bob!)
  })

  it('a discarded rotation leaves the current key in use', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const before = alice!.currentState.signaturePriv.slice()
    await alice!.commit({ rotateSignatureKey: true })
    alice!.discardPendingCommit()
    expect(alice!.currentState.signaturePriv).toEqual(before)
    await expectAppAccepted(alice!, bob!)
  })

  it('refused before anything is built: a pair that does not match, a key another member holds, a key the AS rejects', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const suite = getCipherSuite(SUITE)
    const a = suite.generateSignatureKeyPair()
    const b = suite.generateSignatureKeyPair()
    const before = alice!.serialize()
    await expect(alice!.commit({ signatureKeyPair: { publicKey: a.publicKey, privateKey: b.privateKey } })).rejects.toEqual(code('MLS_INVALID_ARGUMENT'))
    const bobs = { publicKey: leafKey(alice!, 1), privateKey: bob!.currentState.signaturePriv }
    await expect(alice!.commit({ signatureKeyPair: bobs })).rejects.toEqual(code('MLS_DUPLICATE_SIGNATURE_KEY'))
    expect(alice!.hasPendingCommit).toBe(false)
    expect(alice!.serialize()).toEqual(before)

    // An AuthenticationService that only knows each member's registered key.
    const registered = new Set<string>()
    const as = (_c: unknown, key: Uint8Array) => registered.size === 0 || registered.has(Buffer.from(key).toString('hex'))
    const [x, y] = await makeGroup(2, SUITE, { authService: as })
    for (const leaf of [0, 1]) registered.add(Buffer.from(leafKey(x!, leaf)).toString('hex'))
    const snapshot = x!.serialize()
    await expect(x!.commit({ rotateSignatureKey: true })).rejects.toEqual(code('MLS_INVALID_CREDENTIAL'))
    expect(x!.serialize()).toEqual(snapshot)
    // Once the directory lists the new key, the rotation goes through and y accepts it.
    const next = suite.generateSignatureKeyPair()
    registered.add(Buffer.from(next.publicKey).toString('hex'))
    const c = await x!.commit({ signatureKeyPair: next })
    x!.mergePendingCommit()
    await y!.processMessage(c.commit)
    expectInSync([x!, y!])
  })

  it('a peer refuses a new LeafNode signed with a key other than its signature_key (typed error, state unchanged)', async () => {
    const [alice, bob] = await makeGroup(2, SUITE)
    const suite = getCipherSuite(SUITE)
    const s = alice!.currentState
    const old = contextOf(s)
    const current = s.tree.leaf(s.ownLeaf)!
    const claimed = suite.generateSignatureKeyPair()
    const signer = suite.generateSignatureKeyPair()
    const tree = s.tree.clone()
    const privateKeys = s.privateKeys.clone()
    const path = await createUpdatePath({
      tree,
      leafIndex: s.ownLeaf,
      groupId: old.groupId,
      signaturePrivateKey: signer.privateKey, // not the key the leaf claims
      leaf: { signatureKey: claimed.publicKey, credential: current.credential, capabilities: current.capabilities, extensions: current.extensions },
      groupContext: (th) => encode(groupContextCodec, provisionalContext(old, th, old.extensions)),
      privateKeys,
    })
    const forged = forgeCommit(alice!, { proposals: [], path: path.updatePath })
    path.wipe()
    privateKeys.dispose(s.privateKeys)
    const before = bob!.serialize()
    await expect(bob!.processMessage(forged)).rejects.toEqual(code('MLS_INVALID_LEAF_SIGNATURE'))
    expect(bob!.serialize()).toEqual(before)
    await expectAppAccepted(alice!, bob!)
  })
})
