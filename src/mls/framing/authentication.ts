/**
 * Content authentication (RFC 9420 §6.1) and the sender rules around it.
 *
 *   signature = SignWithLabel(signature_key, "FramedContentTBS", FramedContentTBS)
 *
 * The signing key depends on the sender type (§6.1):
 *   member               the LeafNode at leaf_index in the ratchet tree
 *   external             external_senders[sender_index] (§12.1.8.1)
 *   new_member_commit    the LeafNode in the Commit's UpdatePath (§12.4.3.2)
 *   new_member_proposal  the LeafNode of the KeyPackage in the Add proposal
 * The first two come from group state the caller owns (SenderKeyLookup); the
 * last two are read from the content itself.
 *
 * Sender rules enforced here, before any cryptography:
 *   - application data only from members, only in a PrivateMessage (§6:
 *     "Applications MUST use PrivateMessage to encrypt application messages");
 *   - external: a proposal of a type allowed for external senders (add,
 *     remove, psk, reinit, group_context_extensions; §12.1.8), PublicMessage;
 *   - new_member_proposal: an Add proposal, PublicMessage;
 *   - new_member_commit: a Commit with a path, PublicMessage (§12.4.3.2).
 * Only members hold the epoch's secret tree, so only members can send a
 * PrivateMessage.
 */
import { TalosError } from '../../errors.js'
import {
  ContentType,
  ProposalType,
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type FramedContent,
  type FramedContentBody,
  type FramingWireFormat,
  type Sender,
} from '../wire/index.js'
import type { FramingContext } from './context.js'
import { Scratch } from './exact-writer.js'
import { encodeBody, framedContentSignContent, type BodyInput, type ContentHeader } from './tbs.js'

export const FRAMED_CONTENT_TBS_LABEL = 'FramedContentTBS'

/** Where the signature keys of senders that are not in the content come from. */
export interface SenderKeyLookup {
  /** Signature key of the LeafNode at `leafIndex`; undefined for a blank leaf or one outside the tree. */
  memberSignatureKey(leafIndex: number): Uint8Array | undefined
  /** external_senders[senderIndex].signature_key; omit (or return undefined) when there is none. */
  externalSenderSignatureKey?(senderIndex: number): Uint8Array | undefined
}

/** What the caller provides to frame a message; group_id and epoch come from the FramingContext. */
export type UnframedContent = {
  sender: Sender
  /** authenticated_data (default empty). */
  authenticatedData?: Uint8Array
} & FramedContentBody

const EMPTY = new Uint8Array(0)

const EXTERNAL_PROPOSAL_TYPES: ReadonlySet<number> = new Set([
  ProposalType.add,
  ProposalType.remove,
  ProposalType.psk,
  ProposalType.reinit,
  ProposalType.group_context_extensions,
])

function invalidSender(what: string): TalosError {
  return new TalosError('MLS_INVALID_SENDER', what)
}

/** The sender rules of §6, §6.1, §12.1.8 and §12.4.3.2 for a message in `wireFormat`. */
export function checkSenderContent(content: FramedContent, wireFormat: FramingWireFormat): void {
  if (content.contentType === ContentType.application && wireFormat === WireFormat.mls_public_message) {
    throw new TalosError('MLS_APPLICATION_IN_PUBLIC', 'application data must be sent as a PrivateMessage')
  }
  const sender = content.sender
  if (sender.senderType === SenderType.member) return
  if (wireFormat !== WireFormat.mls_public_message) {
    throw invalidSender(`a sender of type ${sender.senderType} cannot send a PrivateMessage`)
  }
  switch (sender.senderType) {
    case SenderType.external:
      if (content.contentType !== ContentType.proposal) throw invalidSender('an external sender may only send proposals')
      if (!EXTERNAL_PROPOSAL_TYPES.has(content.proposal.proposalType)) {
        throw invalidSender(`proposal type ${content.proposal.proposalType} is not allowed from an external sender`)
      }
      return
    case SenderType.new_member_proposal:
      if (content.contentType !== ContentType.proposal || content.proposal.proposalType !== ProposalType.add) {
        throw invalidSender('a new_member_proposal sender may only send an Add proposal')
      }
      return
    case SenderType.new_member_commit:
      if (content.contentType !== ContentType.commit) throw invalidSender('a new_member_commit sender may only send a Commit')
      if (content.commit.path === undefined) throw invalidSender('an external Commit must carry an UpdatePath')
      return
    default:
      throw invalidSender(`unknown sender type ${(sender as { senderType: number }).senderType}`)
  }
}

/** The signature key of a member leaf; MLS_UNKNOWN_SENDER for a blank or missing leaf. */
export function memberSignatureKey(lookup: SenderKeyLookup, leafIndex: number): Uint8Array {
  const key = lookup.memberSignatureKey(leafIndex)
  if (key === undefined) throw new TalosError('MLS_UNKNOWN_SENDER', `leaf ${leafIndex} is not a member`)
  return key
}

/**
 * The signature public key for the content's sender (§6.1). Assumes
 * checkSenderContent passed. MLS_UNKNOWN_SENDER when the lookup has no key.
 */
export function senderSignatureKey(content: FramedContent, lookup: SenderKeyLookup): Uint8Array {
  const sender = content.sender
  let key: Uint8Array | undefined
  switch (sender.senderType) {
    case SenderType.member:
      return memberSignatureKey(lookup, sender.leafIndex)
    case SenderType.external:
      key = lookup.externalSenderSignatureKey?.(sender.senderIndex)
      if (key === undefined) throw new TalosError('MLS_UNKNOWN_SENDER', `no external sender ${sender.senderIndex}`)
      return key
    case SenderType.new_member_commit:
      if (content.contentType === ContentType.commit && content.commit.path !== undefined) {
        return content.commit.path.leafNode.signatureKey
      }
      break
    case SenderType.new_member_proposal:
      if (content.contentType === ContentType.proposal && content.proposal.proposalType === ProposalType.add) {
        return content.proposal.add.keyPackage.leafNode.signatureKey
      }
      break
  }
  throw invalidSender('the content does not carry the sender signature key')
}

/** Only the content_type select of `c`: stray fields (a whole FramedContent passed in) are dropped. */
function bodyOf(c: FramedContentBody): FramedContentBody {
  switch (c.contentType) {
    case ContentType.application:
      return { contentType: c.contentType, applicationData: c.applicationData }
    case ContentType.proposal:
      return { contentType: c.contentType, proposal: c.proposal }
    case ContentType.commit:
      return { contentType: c.contentType, commit: c.commit }
    default:
      throw new TalosError('MLS_INVALID_STRUCTURE', `content type ${(c as { contentType: number }).contentType}`)
  }
}

/** The FramedContent of the context's group and epoch. */
export function frameContent(ctx: FramingContext, c: UnframedContent): FramedContent {
  return {
    groupId: ctx.groupContext.groupId,
    epoch: ctx.groupContext.epoch,
    sender: c.sender,
    authenticatedData: c.authenticatedData ?? EMPTY,
    ...bodyOf(c),
  }
}

/**
 * SignWithLabel(key, "FramedContentTBS", FramedContentTBS), with the TBS
 * written straight into its SignContent (one buffer, see tbs.ts).
 */
export function signTbs(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array | BodyInput,
  signaturePrivateKey: Uint8Array,
): Uint8Array {
  return ctx.suite.sign(signaturePrivateKey, framedContentSignContent(ctx, wireFormat, header, contentType, body, signScratch))
}

/** The SignContent of signTbs / verifyContentSignature: consumed by sign/verify at once (never public, never kept). */
const signScratch = new Scratch()

function invalidSignature(): TalosError {
  return new TalosError('MLS_INVALID_SIGNATURE', 'FramedContent signature does not verify with the sender key')
}

/** VerifyWithLabel over the TBS of a header and encoded body; MLS_INVALID_SIGNATURE if it fails. */
export function verifyContentSignature(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): void {
  const signContent = framedContentSignContent(ctx, wireFormat, header, contentType, body, signScratch)
  if (!ctx.suite.verify(publicKey, signContent, signature)) throw invalidSignature()
}

/** VerifyWithLabel over an already encoded FramedContentTBS; MLS_INVALID_SIGNATURE if it fails. */
export function verifyTbsSignature(
  ctx: FramingContext,
  tbs: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): void {
  if (!ctx.suite.verifyWithLabel(publicKey, FRAMED_CONTENT_TBS_LABEL, tbs, signature)) throw invalidSignature()
}

/**
 * Frames and signs content for `wireFormat` (§6.1). A Commit comes back
 * without its confirmation_tag: the tag depends on the signature through the
 * transcript hash (§8.2), so add it with withConfirmationTag once the new
 * epoch's confirmation_key is known, then protect.
 */
export function signContent(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  content: UnframedContent,
  signaturePrivateKey: Uint8Array,
): AuthenticatedContent {
  const framed = frameContent(ctx, content)
  checkSenderContent(framed, wireFormat)
  const signature = signTbs(ctx, wireFormat, framed, framed.contentType, encodeBody(framed), signaturePrivateKey)
  return { wireFormat, content: framed, auth: { signature } }
}

/** The same AuthenticatedContent with the Commit's confirmation_tag set. */
export function withConfirmationTag(ac: AuthenticatedContent, confirmationTag: Uint8Array): AuthenticatedContent {
  if (ac.content.contentType !== ContentType.commit) {
    throw new TalosError('MLS_INVALID_STRUCTURE', 'only a Commit carries a confirmation_tag')
  }
  return { ...ac, auth: { signature: ac.auth.signature, confirmationTag } }
}

/** Commits carry a confirmation_tag, nothing else does (FramedContentAuthData, §6.1). */
export function checkAuthShape(ac: AuthenticatedContent): void {
  const isCommit = ac.content.contentType === ContentType.commit
  if (isCommit && ac.auth.confirmationTag === undefined) {
    throw new TalosError('MLS_MISSING_CONFIRMATION_TAG', 'a Commit must carry its confirmation_tag before it is protected')
  }
  if (!isCommit && ac.auth.confirmationTag !== undefined) {
    throw new TalosError('MLS_INVALID_STRUCTURE', 'only a Commit carries a confirmation_tag')
  }
}
