/**
 * Proposals from outside the group (RFC 9420 §12.1.8): a pre-provisioned
 * `external` sender (listed in the group's external_senders extension) or a
 * `new_member_proposal` (a client proposing its own Add). Both are
 * PublicMessages without a membership tag, signed with the sender's key;
 * their FramedContentTBS carries no GroupContext, so only group_id and epoch
 * are needed to frame them.
 */
import { getCipherSuite } from '../../crypto/index.js'
import { TalosError } from '../../errors.js'
import { signContent } from '../framing/authentication.js'
import { protectPublicMessage } from '../framing/public-message.js'
import type { FramingContext } from '../framing/context.js'
import { ContentType, SenderType, WireFormat } from '../wire/framing.js'
import { MLS10 } from '../wire/group-context.js'
import { encodeMLSMessage } from '../wire/message.js'
import { ProposalType, type Proposal } from '../wire/proposal.js'

export interface ExternalProposalOptions {
  cipherSuite: number
  groupId: Uint8Array
  epoch: bigint
  signaturePriv: Uint8Array
  proposal: Proposal
  /** Index in external_senders; omit for a new_member_proposal (an Add of oneself). */
  senderIndex?: number | undefined
}

export function createExternalProposal(opts: ExternalProposalOptions): Uint8Array {
  const suite = getCipherSuite(opts.cipherSuite)
  const sender =
    opts.senderIndex === undefined
      ? ({ senderType: SenderType.new_member_proposal } as const)
      : ({ senderType: SenderType.external, senderIndex: opts.senderIndex } as const)
  if (sender.senderType === SenderType.new_member_proposal && opts.proposal.proposalType !== ProposalType.add) {
    throw new TalosError('MLS_INVALID_SENDER', 'a new member can only propose its own Add')
  }
  // No GroupContext enters the TBS of these senders; the framing context only names group and epoch.
  const ctx = {
    suite,
    groupContext: { version: MLS10, cipherSuite: suite.id, groupId: opts.groupId, epoch: opts.epoch, treeHash: new Uint8Array(0), confirmedTranscriptHash: new Uint8Array(0), extensions: [] },
    groupContextBytes: new Uint8Array(0),
  } satisfies FramingContext
  const ac = signContent(ctx, WireFormat.mls_public_message, { sender, contentType: ContentType.proposal, proposal: opts.proposal }, opts.signaturePriv)
  return encodeMLSMessage({ version: MLS10, wireFormat: WireFormat.mls_public_message, publicMessage: protectPublicMessage(ctx, ac) })
}
