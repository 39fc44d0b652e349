/**
 * PublicMessage protect/unprotect (RFC 9420 §6.1, §6.2) on a synthetic
 * epoch, every suite: the happy paths of each sender type, and each rule
 * broken on its own with the code that names it.
 */
import { describe, expect, it } from 'vitest'
import { CIPHER_SUITE_IDS } from '../../../src/crypto/suite.js'
import {
  protectPublicMessage,
  signContent,
  unprotectPublicMessage,
  withConfirmationTag,
  type UnframedContent,
} from '../../../src/mls/framing/index.js'
import {
  ContentType,
  decodeMLSMessage,
  encodeMLSMessage,
  MLS10,
  ProposalType,
  SenderType,
  WireFormat,
  type PublicMessage,
  type Sender,
} from '../../../src/mls/wire/index.js'
import { BLANK_LEAF, fixture, sampleKeyPackage } from './fixture.js'

const PUBLIC = WireFormat.mls_public_message
const code = (c: string) => expect.objectContaining({ code: c })
const member = (leafIndex: number): Sender => ({ senderType: SenderType.member, leafIndex })

function removeProposal(sender: Sender, removed = 3): UnframedContent {
  return { sender, contentType: ContentType.proposal, proposal: { proposalType: ProposalType.remove, remove: { removed } } }
}

/** Through the wire and back, as a receiver sees it. */
function wire(pm: PublicMessage): PublicMessage {
  const m = decodeMLSMessage(encodeMLSMessage({ version: MLS10, wireFormat: PUBLIC, publicMessage: pm }))
  if (m.wireFormat !== PUBLIC) throw new Error('unreachable')
  return m.publicMessage
}

describe.each(CIPHER_SUITE_IDS)('PublicMessage, suite %i', (id) => {
  const fx = fixture(id)
  const { ctx, membershipKey, senders } = fx
  const sign = (c: UnframedContent, priv: Uint8Array) => signContent(ctx, PUBLIC, c, priv)
  const memberMessage = (leaf = 1) => wire(protectPublicMessage(ctx, sign(removeProposal(member(leaf)), fx.members[leaf]!.privateKey), membershipKey))

  it('a member proposal round-trips, with authenticated_data', () => {
    const ac = sign({ ...removeProposal(member(3)), authenticatedData: new Uint8Array([1, 2, 3]) }, fx.members[3]!.privateKey)
    const out = unprotectPublicMessage(ctx, wire(protectPublicMessage(ctx, ac, membershipKey)), membershipKey, senders)
    expect(out.content).toEqual(ac.content)
    expect(out.auth).toEqual(ac.auth)
  })

  it('bad signature: signed with another member key, or content changed after signing', () => {
    const forged = sign(removeProposal(member(1)), fx.members[3]!.privateKey)
    expect(() => unprotectPublicMessage(ctx, wire(protectPublicMessage(ctx, forged, membershipKey)), membershipKey, senders)).toThrow(
      code('MLS_INVALID_SIGNATURE'),
    )
    // The membership tag is recomputed over the changed content, so only the signature can catch it.
    const ac = sign(removeProposal(member(1)), fx.members[1]!.privateKey)
    const changed = { ...ac, content: { ...ac.content, authenticatedData: new Uint8Array([9]) } }
    expect(() => unprotectPublicMessage(ctx, wire(protectPublicMessage(ctx, changed, membershipKey)), membershipKey, senders)).toThrow(
      code('MLS_INVALID_SIGNATURE'),
    )
  })

  it('bad membership tag: flipped bit, wrong membership_key, truncated, missing', () => {
    const pm = memberMessage()
    const flipped = pm.membershipTag!.slice()
    flipped[flipped.length - 1]! ^= 0x80
    expect(() => unprotectPublicMessage(ctx, { ...pm, membershipTag: flipped }, membershipKey, senders)).toThrow(
      code('MLS_BAD_MEMBERSHIP_TAG'),
    )
    expect(() => unprotectPublicMessage(ctx, pm, fx.suite.hash(membershipKey), senders)).toThrow(code('MLS_BAD_MEMBERSHIP_TAG'))
    expect(() => unprotectPublicMessage(ctx, { ...pm, membershipTag: pm.membershipTag!.subarray(1) }, membershipKey, senders)).toThrow(
      code('MLS_BAD_MEMBERSHIP_TAG'),
    )
    expect(() => unprotectPublicMessage(ctx, { ...pm, membershipTag: undefined }, membershipKey, senders)).toThrow(
      code('MLS_BAD_MEMBERSHIP_TAG'),
    )
    expect(() => unprotectPublicMessage(ctx, pm, undefined, senders)).toThrow(code('MLS_MISSING_MEMBERSHIP_KEY'))
    expect(() => protectPublicMessage(ctx, sign(removeProposal(member(1)), fx.members[1]!.privateKey))).toThrow(
      code('MLS_MISSING_MEMBERSHIP_KEY'),
    )
  })

  it('wrong epoch and wrong group id, from the message or from the context', () => {
    const pm = memberMessage()
    expect(() => unprotectPublicMessage(fx.contextWith({ epoch: 8n }), pm, membershipKey, senders)).toThrow(code('MLS_WRONG_EPOCH'))
    expect(() => unprotectPublicMessage(ctx, { ...pm, content: { ...pm.content, epoch: 6n } }, membershipKey, senders)).toThrow(
      code('MLS_WRONG_EPOCH'),
    )
    const otherGroup = fx.groupContext.groupId.slice()
    otherGroup[0]! ^= 1
    expect(() => unprotectPublicMessage(fx.contextWith({ groupId: otherGroup }), pm, membershipKey, senders)).toThrow(
      code('MLS_WRONG_GROUP_ID'),
    )
    expect(() =>
      unprotectPublicMessage(ctx, { ...pm, content: { ...pm.content, groupId: otherGroup } }, membershipKey, senders),
    ).toThrow(code('MLS_WRONG_GROUP_ID'))
    // The signature binds the GroupContext: same group and epoch, another tree hash.
    expect(() =>
      unprotectPublicMessage(fx.contextWith({ treeHash: fx.suite.hash(fx.groupContext.treeHash) }), pm, membershipKey, senders),
    ).toThrow(code('MLS_BAD_MEMBERSHIP_TAG'))
  })

  it('unknown or blank sender leaf is MLS_UNKNOWN_SENDER', () => {
    const someKey = fx.members[1]!.privateKey
    for (const leaf of [BLANK_LEAF, 4, 0xffffffff]) {
      const pm = wire(protectPublicMessage(ctx, sign(removeProposal(member(leaf)), someKey), membershipKey))
      expect(() => unprotectPublicMessage(ctx, pm, membershipKey, senders)).toThrow(code('MLS_UNKNOWN_SENDER'))
    }
  })

  it('application data in a PublicMessage is MLS_APPLICATION_IN_PUBLIC on both sides', () => {
    const app: UnframedContent = { sender: member(1), contentType: ContentType.application, applicationData: new Uint8Array(3) }
    expect(() => sign(app, fx.members[1]!.privateKey)).toThrow(code('MLS_APPLICATION_IN_PUBLIC'))
    const pm = memberMessage()
    const appMessage = { ...pm, content: { ...pm.content, contentType: ContentType.application, applicationData: new Uint8Array(3) } }
    expect(() => unprotectPublicMessage(ctx, appMessage as PublicMessage, membershipKey, senders)).toThrow(
      code('MLS_APPLICATION_IN_PUBLIC'),
    )
  })

  it('external sender: allowed proposals verify with the external_senders key; others are refused', () => {
    const ext: Sender = { senderType: SenderType.external, senderIndex: 0 }
    const pm = wire(protectPublicMessage(ctx, sign(removeProposal(ext), fx.external.privateKey)))
    expect(pm.membershipTag).toBeUndefined()
    expect(unprotectPublicMessage(ctx, pm, undefined, senders).content.sender).toEqual(ext)

    const update: UnframedContent = {
      sender: ext,
      contentType: ContentType.proposal,
      proposal: { proposalType: ProposalType.update, update: { leafNode: sampleKeyPackage(fx.external.publicKey).leafNode } },
    }
    expect(() => sign(update, fx.external.privateKey)).toThrow(code('MLS_INVALID_SENDER'))
    const commit: UnframedContent = { sender: ext, contentType: ContentType.commit, commit: { proposals: [] } }
    expect(() => sign(commit, fx.external.privateKey)).toThrow(code('MLS_INVALID_SENDER'))
    // A forged external commit on the receiving side.
    const forged = { ...pm, content: { ...pm.content, contentType: ContentType.commit, commit: { proposals: [] } }, auth: { ...pm.auth, confirmationTag: new Uint8Array(32) } }
    expect(() => unprotectPublicMessage(ctx, forged as PublicMessage, undefined, senders)).toThrow(code('MLS_INVALID_SENDER'))

    const unknown = wire(protectPublicMessage(ctx, sign(removeProposal({ senderType: SenderType.external, senderIndex: 1 }), fx.external.privateKey)))
    expect(() => unprotectPublicMessage(ctx, unknown, undefined, senders)).toThrow(code('MLS_UNKNOWN_SENDER'))
    expect(() => unprotectPublicMessage(ctx, pm, undefined, { memberSignatureKey: senders.memberSignatureKey })).toThrow(
      code('MLS_UNKNOWN_SENDER'),
    )
    // A member key does not sign for an external sender.
    const wrongKey = wire(protectPublicMessage(ctx, sign(removeProposal(ext), fx.members[0]!.privateKey)))
    expect(() => unprotectPublicMessage(ctx, wrongKey, undefined, senders)).toThrow(code('MLS_INVALID_SIGNATURE'))
    // External senders may not use a PrivateMessage.
    expect(() => signContent(ctx, WireFormat.mls_private_message, removeProposal(ext), fx.external.privateKey)).toThrow(
      code('MLS_INVALID_SENDER'),
    )
  })

  it('new_member_proposal: an Add verifies with the KeyPackage leaf key; anything else is refused', () => {
    const joiner = fx.suite.generateSignatureKeyPair()
    const sender: Sender = { senderType: SenderType.new_member_proposal }
    const add: UnframedContent = {
      sender,
      contentType: ContentType.proposal,
      proposal: { proposalType: ProposalType.add, add: { keyPackage: sampleKeyPackage(joiner.publicKey) } },
    }
    const pm = wire(protectPublicMessage(ctx, sign(add, joiner.privateKey)))
    expect(unprotectPublicMessage(ctx, pm, undefined, senders).content).toEqual(pm.content)
    const other = wire(protectPublicMessage(ctx, sign(add, fx.external.privateKey)))
    expect(() => unprotectPublicMessage(ctx, other, undefined, senders)).toThrow(code('MLS_INVALID_SIGNATURE'))
    expect(() => sign(removeProposal(sender), joiner.privateKey)).toThrow(code('MLS_INVALID_SENDER'))
  })

  it('new_member_commit: verifies with the UpdatePath leaf key over the GroupContext; needs a path', () => {
    const joiner = fx.suite.generateSignatureKeyPair()
    const sender: Sender = { senderType: SenderType.new_member_commit }
    const leafNode = sampleKeyPackage(joiner.publicKey).leafNode
    const commit: UnframedContent = { sender, contentType: ContentType.commit, commit: { proposals: [], path: { leafNode, nodes: [] } } }
    const ac = withConfirmationTag(sign(commit, joiner.privateKey), new Uint8Array(fx.suite.Nh))
    const pm = wire(protectPublicMessage(ctx, ac))
    expect(unprotectPublicMessage(ctx, pm, undefined, senders).content.sender).toEqual(sender)
    // The TBS includes the GroupContext for this sender type.
    const otherCtx = fx.contextWith({ confirmedTranscriptHash: new Uint8Array(fx.suite.Nh) })
    expect(() => unprotectPublicMessage(otherCtx, pm, undefined, senders)).toThrow(code('MLS_INVALID_SIGNATURE'))
    expect(() => sign({ ...commit, commit: { proposals: [] } } as UnframedContent, joiner.privateKey)).toThrow(code('MLS_INVALID_SENDER'))
  })

  it('a Commit is protected only with its confirmation_tag, and only a Commit carries one', () => {
    const commit: UnframedContent = { sender: member(0), contentType: ContentType.commit, commit: { proposals: [] } }
    const ac = sign(commit, fx.members[0]!.privateKey)
    expect(() => protectPublicMessage(ctx, ac, membershipKey)).toThrow(code('MLS_MISSING_CONFIRMATION_TAG'))
    const tagged = withConfirmationTag(ac, new Uint8Array(fx.suite.Nh).fill(7))
    const out = unprotectPublicMessage(ctx, wire(protectPublicMessage(ctx, tagged, membershipKey)), membershipKey, senders)
    expect(out.auth.confirmationTag).toEqual(tagged.auth.confirmationTag)
    const proposal = sign(removeProposal(member(0)), fx.members[0]!.privateKey)
    expect(() => withConfirmationTag(proposal, new Uint8Array(4))).toThrow(code('MLS_INVALID_STRUCTURE'))
    expect(() =>
      protectPublicMessage(ctx, { ...proposal, auth: { ...proposal.auth, confirmationTag: new Uint8Array(4) } }, membershipKey),
    ).toThrow(code('MLS_INVALID_STRUCTURE'))
    const priv = signContent(ctx, WireFormat.mls_private_message, removeProposal(member(0)), fx.members[0]!.privateKey)
    expect(() => protectPublicMessage(ctx, priv, membershipKey)).toThrow(code('MLS_INVALID_WIRE_FORMAT'))
  })
})
