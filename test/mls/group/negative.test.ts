/**
 * Every class of rule a received message can break, each with the error code
 * that names it and a state that is byte-identical afterwards (serialize()
 * before = after): framing (signature, membership tag, confirmation tag,
 * epoch), tree (parent hash), §12.2 proposal-list rules, capabilities, and
 * the secret-tree windows (replay, too far ahead).
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { isTalosError } from '../../../src/errors.js'
import { addProposal, MlsGroup, reinitProposal, groupContextExtensionsProposal } from '../../../src/mls/group/index.js'
import { updateProposal } from '../../../src/mls/group/proposals.js'
import { externalPskProposal } from '../../../src/mls/group/index.js'
import { encodeMLSMessage, WireFormat, ExtensionType, ProposalOrRefType, ProposalType, requiredCapabilitiesCodec, type Commit, type Proposal } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { forgeCommit, publicMessageOf, resign, retag } from './forge.js'
import { commitAndDeliver, keyPackageFor, makeGroup, welcomeOf } from './helpers.js'
import { basicCredential, generateKeyPackage, keyPackageMessage } from '../../../src/mls/keys/index.js'
import { decodeMLSMessageKeyPackage } from '../../../src/mls/wire/index.js'

const enc = new TextEncoder()

async function expectRejected(g: MlsGroup, msg: Uint8Array, code: string): Promise<void> {
  const before = toHex(g.serialize())
  let err: unknown
  try {
    await g.processMessage(msg)
  } catch (e) {
    err = e
  }
  expect(isTalosError(err), `expected a TalosError ${code}, got ${String(err)}`).toBe(true)
  expect((err as { code: string }).code).toBe(code)
  expect(toHex(g.serialize())).toBe(before)
}

const byValue = (...ps: Proposal[]): Commit['proposals'] => ps.map((proposal) => ({ type: ProposalOrRefType.proposal, proposal }))

describe('rejected messages leave the state byte-identical', () => {
  it('framing: bad signature, bad membership tag, bad confirmation tag, wrong epoch', async () => {
    const [a, b] = await makeGroup(2, 1, { handshake: 'public' })
    const out = await a!.commit()
    const pm = publicMessageOf(out.commit)

    const sig = pm.auth.signature.slice()
    sig[3]! ^= 1
    await expectRejected(b!, retag(a!, { ...pm, auth: { ...pm.auth, signature: sig } }), 'MLS_INVALID_SIGNATURE')

    const tag = pm.membershipTag!.slice()
    tag[0]! ^= 1
    await expectRejected(b!, encodeMLSMessage({ version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: { ...pm, membershipTag: tag } }), 'MLS_BAD_MEMBERSHIP_TAG')

    const ct = pm.auth.confirmationTag!.slice()
    ct[1]! ^= 1
    await expectRejected(b!, retag(a!, { ...pm, auth: { ...pm.auth, confirmationTag: ct } }), 'MLS_BAD_CONFIRMATION_TAG')

    a!.discardPendingCommit()
    const old = await a!.commit()
    a!.discardPendingCommit()
    await commitAndDeliver(a!, [b!])
    await expectRejected(b!, old.commit, 'MLS_WRONG_EPOCH')
  })

  it('tree: an UpdatePath whose keys do not chain to the leaf parent_hash (MLS_BAD_PARENT_HASH)', async () => {
    const [a, b, c] = await makeGroup(3, 1, { handshake: 'public' })
    const out = await a!.commit()
    a!.discardPendingCommit()
    const pm = publicMessageOf(out.commit)
    if (pm.content.contentType !== 3) throw new Error('not a commit')
    const path = pm.content.commit.path!
    const other = (await a!.currentState.suite.generateHpkeKeyPair()).publicKey
    const nodes = path.nodes.map((n, i) => (i === path.nodes.length - 1 ? { ...n, encryptionKey: other } : n))
    const bad = { ...pm, content: { ...pm.content, commit: { ...pm.content.commit, path: { ...path, nodes } } } }
    await expectRejected(b!, resign(a!, bad as never), 'MLS_BAD_PARENT_HASH')
    void c
  })

  it('§12.2 proposal-list rules, each with its code', async () => {
    const [a, b, c] = await makeGroup(3, 1, { handshake: 'public' })
    const kp = await keyPackageFor('did:talos:dup', 1)
    const add = addProposal(kp.message)
    const remove = (leaf: number): Proposal => ({ proposalType: ProposalType.remove, remove: { removed: leaf } })
    const pskA = externalPskProposal(a!.currentState.suite, new Uint8Array([1]))
    const ownUpdate = (await updateProposal(a!.currentState)).proposal
    const cases: [Commit, string][] = [
      [{ proposals: byValue(add, add) }, 'MLS_DUPLICATE_ADD'],
      [{ proposals: byValue(remove(7)) }, 'MLS_REMOVE_BLANK_LEAF'],
      [{ proposals: byValue(remove(a!.ownLeafIndex)) }, 'MLS_COMMITTER_REMOVED'],
      [{ proposals: byValue(remove(1), remove(1)) }, 'MLS_DUPLICATE_LEAF_CHANGE'],
      [{ proposals: byValue(reinitProposal(new Uint8Array([9]), 1), add) }, 'MLS_REINIT_NOT_ALONE'],
      [{ proposals: byValue({ proposalType: ProposalType.external_init, externalInit: { kemOutput: new Uint8Array(32) } }) }, 'MLS_EXTERNAL_INIT_IN_MEMBER_COMMIT'],
      [{ proposals: byValue(groupContextExtensionsProposal([]), groupContextExtensionsProposal([])) }, 'MLS_MULTIPLE_GROUP_CONTEXT_EXTENSIONS'],
      [{ proposals: byValue(remove(2)) }, 'MLS_MISSING_PATH'],
      [{ proposals: byValue(pskA, pskA) }, 'MLS_DUPLICATE_PSK'],
      [{ proposals: byValue(ownUpdate) }, 'MLS_COMMITTER_UPDATE'],
      [{ proposals: [] }, 'MLS_MISSING_PATH'],
      [{ proposals: [{ type: ProposalOrRefType.reference, reference: new Uint8Array(32) }] }, 'MLS_UNKNOWN_PROPOSAL_REF'],
    ]
    for (const [commit, code] of cases) await expectRejected(b!, forgeCommit(a!, commit), code)
    // An Add of a client already in the group.
    const bLeaf = b!.currentState.tree.leaf(b!.ownLeafIndex)!
    const clone = { ...kp.bundle.keyPackage, leafNode: { ...kp.bundle.keyPackage.leafNode, signatureKey: bLeaf.signatureKey } }
    await expectRejected(b!, forgeCommit(a!, { proposals: byValue({ proposalType: ProposalType.add, add: { keyPackage: clone } }) }), 'MLS_MEMBER_ALREADY_IN_GROUP')
    void c
  })

  it('unsupported capability: an Add whose KeyPackage misses a required capability, and a GroupContextExtensions no member supports', async () => {
    const rc = encode(requiredCapabilitiesCodec, { extensionTypes: [0xff0a], proposalTypes: [], credentialTypes: [] })
    const capabilities = { versions: [1], cipherSuites: [1], extensions: [0xff0a], proposals: [], credentials: [1] }
    const a = await MlsGroup.create({
      cipherSuite: 1,
      credential: basicCredential('did:talos:a'),
      capabilities,
      extensions: [{ extensionType: ExtensionType.required_capabilities, extensionData: rc }],
      config: { handshake: 'public' },
    })
    const bKp = await generateKeyPackage({ cipherSuite: 1, credential: basicCredential('did:talos:b'), capabilities })
    const out = await a.commit({ add: [keyPackageMessage(bKp.keyPackage)] })
    a.mergePendingCommit()
    const b = await MlsGroup.join({ welcome: welcomeOf(out.welcome!), keyPackage: decodeMLSMessageKeyPackage(keyPackageMessage(bKp.keyPackage)), secrets: bKp })
    const plain = await keyPackageFor('did:talos:c', 1)
    await expect(a.commit({ add: [plain.message] })).rejects.toMatchObject({ code: 'MLS_REQUIRED_CAPABILITIES_UNSUPPORTED' })
    await expectRejected(b, forgeCommit(a, { proposals: byValue(addProposal(plain.message)) }), 'MLS_REQUIRED_CAPABILITIES_UNSUPPORTED')

    const [x] = await makeGroup(2, 1)
    const rc2 = encode(requiredCapabilitiesCodec, { extensionTypes: [0xff0b], proposalTypes: [], credentialTypes: [] })
    const gce = groupContextExtensionsProposal([{ extensionType: ExtensionType.required_capabilities, extensionData: rc2 }])
    const before = toHex(x!.serialize())
    await expect(x!.commit({ proposals: [gce] })).rejects.toMatchObject({ code: 'MLS_REQUIRED_CAPABILITIES_UNSUPPORTED' })
    expect(toHex(x!.serialize())).toBe(before)
  })

  it('secret tree: replayed generation, generation too far ahead', async () => {
    const [a, b] = await makeGroup(2, 1)
    const m = a!.send(enc.encode('once'))
    await b!.processMessage(m)
    await expectRejected(b!, m, 'MLS_GENERATION_REUSED')
    let last: Uint8Array = new Uint8Array()
    for (let i = 0; i < 1002; i++) last = a!.send(enc.encode('x'))
    await expectRejected(b!, last, 'MLS_GENERATION_TOO_FAR')
  })

  it('a member that was removed, or is not a member, is refused', async () => {
    const [a, b, c] = await makeGroup(3, 1)
    const out = await a!.commit({ remove: [c!.ownLeafIndex] })
    a!.mergePendingCommit()
    await b!.processMessage(out.commit)
    await c!.processMessage(out.commit)
    expect(() => c!.send(enc.encode('x'))).toThrow(expect.objectContaining({ code: 'MLS_GROUP_INACTIVE' }))
    await expect(c!.commit()).rejects.toMatchObject({ code: 'MLS_GROUP_INACTIVE' })
  })

  it('an Update that keeps the encryption key is refused at receipt (MLS_UPDATE_SAME_ENCRYPTION_KEY)', async () => {
    const [a, b] = await makeGroup(2, 1, { handshake: 'public' })
    const s = b!.currentState
    const leaf = s.tree.leaf(s.ownLeaf)!
    const { buildLeafNode } = await import('../../../src/mls/keys/index.js')
    const same = buildLeafNode(s.suite, s.signaturePriv, leaf, { leafNodeSource: 2 }, { groupId: b!.groupId, leafIndex: s.ownLeaf })
    // Build the message without b's own receipt check, as a hostile b would.
    const { signContent } = await import('../../../src/mls/framing/authentication.js')
    const { protectPublicMessage } = await import('../../../src/mls/framing/public-message.js')
    const ac = signContent(s.epoch.framing, WireFormat.mls_public_message, { sender: { senderType: 1, leafIndex: s.ownLeaf }, contentType: 2, proposal: { proposalType: ProposalType.update, update: { leafNode: same } } }, s.signaturePriv)
    const msg = encodeMLSMessage({ version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: protectPublicMessage(s.epoch.framing, ac, s.epoch.keys.membershipKey) })
    await expectRejected(a!, msg, 'MLS_UPDATE_SAME_ENCRYPTION_KEY')
  })

  it('application data is refused while proposals are pending (§12.4)', async () => {
    const [a, b] = await makeGroup(2, 1)
    const p = await b!.proposeUpdate()
    await a!.processMessage(p.message)
    expect(() => a!.send(enc.encode('x'))).toThrow(expect.objectContaining({ code: 'MLS_PENDING_PROPOSALS' }))
  })
})
