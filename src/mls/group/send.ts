/**
 * Sending in a group (RFC 9420 §6, §12.1): application messages (always a
 * PrivateMessage, §6), and proposals framed as the group config says.
 *
 * Rules enforced before anything is signed:
 *   - a member that was removed, or whose group was reinitialized, sends
 *     nothing (MLS_GROUP_INACTIVE, MLS_GROUP_REINITIALIZED, §12.4.2);
 *   - a member that has seen valid proposals this epoch must Commit before
 *     sending application data (§12.4, MLS_PENDING_PROPOSALS).
 * Sending consumes the next generation of our ratchet in the live secret
 * tree: a generation is never reused, even if the message is then dropped.
 */
import { TalosError } from '../../errors.js'
import { signContent } from '../framing/authentication.js'
import { createPrivateMessage, encodePrivateMessageMLSMessage, protectPrivateMessage } from '../framing/private-message.js'
import { protectPublicMessage } from '../framing/public-message.js'
import type { PaddingPolicy } from '../framing/padding.js'
import { ContentType, SenderType, WireFormat, type AuthenticatedContent } from '../wire/framing.js'
import { MLS10 } from '../wire/group-context.js'
import { encodeMLSMessage, type MLSMessage } from '../wire/message.js'
import type { Proposal } from '../wire/proposal.js'
import { proposalRef } from './proposal-cache.js'
import { checkReceivedProposal } from './receive.js'
import type { GroupState } from './state.js'

/** Bound on one application message (plaintext), so a caller bug cannot allocate without limit. */
export const MAX_APPLICATION_DATA = 16 * 1024 * 1024

export function paddingOf(state: GroupState): PaddingPolicy {
  return state.config.paddingBlock === 0 ? 'none' : { multipleOf: state.config.paddingBlock }
}

export function requireCanSend(state: GroupState): void {
  if (state.removed) throw new TalosError('MLS_GROUP_INACTIVE', 'we were removed from this group')
  if (state.reinit) throw new TalosError('MLS_GROUP_REINITIALIZED', 'this group was reinitialized; use the new group')
}

export function sendApplication(state: GroupState, data: Uint8Array, authenticatedData?: Uint8Array): Uint8Array {
  requireCanSend(state)
  // A string or an array would be framed as whatever bytes it coerces to.
  if (!(data instanceof Uint8Array) || (authenticatedData !== undefined && !(authenticatedData instanceof Uint8Array))) {
    throw new TalosError('MLS_INVALID_ARGUMENT', 'application data and authenticated data are Uint8Arrays')
  }
  if (state.proposals.size > 0) {
    throw new TalosError('MLS_PENDING_PROPOSALS', 'proposals are pending in this epoch: commit them before sending application data')
  }
  if (data.length > MAX_APPLICATION_DATA) throw new TalosError('MLS_MESSAGE_TOO_LARGE', 'application data is too large')
  const privateMessage = createPrivateMessage(
    state.epoch.framing,
    {
      sender: { senderType: SenderType.member, leafIndex: state.ownLeaf },
      authenticatedData,
      contentType: ContentType.application,
      applicationData: data,
    },
    state.signaturePriv,
    { secretTree: state.epoch.secretTree, senderDataSecret: state.epoch.keys.senderDataSecret },
    { padding: paddingOf(state) },
  )
  return encodePrivateMessageMLSMessage(privateMessage)
}

/** Protects signed handshake content with the current epoch's keys as the MLSMessage its wire format names. */
export function protectHandshake(state: GroupState, ac: AuthenticatedContent): MLSMessage {
  const ctx = state.epoch.framing
  if (ac.wireFormat === WireFormat.mls_public_message) {
    return { version: MLS10, wireFormat: ac.wireFormat, publicMessage: protectPublicMessage(ctx, ac, state.epoch.keys.membershipKey) }
  }
  const privateMessage = protectPrivateMessage(
    ctx,
    ac,
    { secretTree: state.epoch.secretTree, senderDataSecret: state.epoch.keys.senderDataSecret },
    { padding: paddingOf(state) },
  )
  return { version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage }
}

export function handshakeWireFormat(state: GroupState) {
  return state.config.handshake === 'public' ? WireFormat.mls_public_message : WireFormat.mls_private_message
}

export interface SentProposal {
  readonly message: Uint8Array
  readonly ref: Uint8Array
  /** The state with the proposal in our own cache (a Commit we make will include it). */
  readonly state: GroupState
}

/** Frames, signs and protects a proposal of ours; it joins our cache like a received one. */
export function sendProposal(state: GroupState, proposal: Proposal, authenticatedData?: Uint8Array): SentProposal {
  requireCanSend(state)
  const sender = { senderType: SenderType.member, leafIndex: state.ownLeaf } as const
  // Our own proposals obey the receipt rules too: an invalid one would block our next Commit.
  checkReceivedProposal(state, sender, proposal)
  const ac = signContent(
    state.epoch.framing,
    handshakeWireFormat(state),
    { sender, authenticatedData, contentType: ContentType.proposal, proposal },
    state.signaturePriv,
  )
  const ref = proposalRef(state.suite, ac)
  const next = { ...state, proposals: state.proposals.with({ ref, proposal, sender }) }
  return { message: encodeMLSMessage(protectHandshake(state, ac)), ref, state: next }
}
