/**
 * Encoding and decoding a PublicMessage (RFC 9420 §6.2).
 *
 *   membership_tag = MAC(membership_key, AuthenticatedContentTBM)   // member senders only
 *
 * protect: an AuthenticatedContent signed for mls_public_message (and, for a
 * Commit, carrying its confirmation_tag) becomes a PublicMessage; members add
 * the membership tag. Application data is refused (MLS_APPLICATION_IN_PUBLIC).
 *
 * unprotect checks, cheapest first, and changes no state (a PublicMessage
 * consumes no key): group_id, epoch, sender rules (§6.1), the sender's key
 * exists, membership_tag (constant time), signature. The confirmation_tag of a
 * Commit is checked later by the commit processor, which alone knows the new
 * epoch's confirmation_key (transcript.ts).
 *
 * TBS and TBM are one encoding (the TBS is a prefix of the TBM).
 */
import { constantTimeEqual } from '../../crypto/index.js'
import { TalosError, wrapErrors } from '../../errors.js'
import {
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type PublicMessage,
} from '../wire/index.js'
import { checkAuthShape, checkSenderContent, senderSignatureKey, verifyTbsSignature, type SenderKeyLookup } from './authentication.js'
import { checkGroupAndEpoch, type FramingContext } from './context.js'
import { authenticatedContentTbm } from './tbs.js'

/**
 * PublicMessage of signed content. `membershipKey` is required for a member
 * sender and ignored otherwise.
 */
export function protectPublicMessage(
  ctx: FramingContext,
  ac: AuthenticatedContent,
  membershipKey?: Uint8Array,
): PublicMessage {
  if (ac.wireFormat !== WireFormat.mls_public_message) {
    throw new TalosError('MLS_INVALID_WIRE_FORMAT', 'content was signed for a PrivateMessage')
  }
  checkGroupAndEpoch(ctx, ac.content.groupId, ac.content.epoch)
  checkSenderContent(ac.content, ac.wireFormat)
  checkAuthShape(ac)
  if (ac.content.sender.senderType !== SenderType.member) return { content: ac.content, auth: ac.auth }
  if (membershipKey === undefined) {
    throw new TalosError('MLS_MISSING_MEMBERSHIP_KEY', 'a member PublicMessage needs the membership_key')
  }
  const { tbm } = authenticatedContentTbm(ctx, ac.wireFormat, ac.content, ac.auth)
  return { content: ac.content, auth: ac.auth, membershipTag: ctx.suite.mac(membershipKey, tbm) }
}

/**
 * Verifies a PublicMessage and returns its AuthenticatedContent. Pure: a
 * rejected message changes nothing. `membershipKey` is the epoch's
 * membership_key (needed for member senders).
 */
export function unprotectPublicMessage(
  ctx: FramingContext,
  pm: PublicMessage,
  membershipKey: Uint8Array | undefined,
  senders: SenderKeyLookup,
): AuthenticatedContent {
  // A malformed object built by a caller must still surface as a TalosError.
  return wrapErrors('MLS_MALFORMED_MESSAGE', 'PublicMessage', () => unprotect(ctx, pm, membershipKey, senders))
}

function unprotect(
  ctx: FramingContext,
  pm: PublicMessage,
  membershipKey: Uint8Array | undefined,
  senders: SenderKeyLookup,
): AuthenticatedContent {
  const content = pm.content
  const wireFormat = WireFormat.mls_public_message
  checkGroupAndEpoch(ctx, content.groupId, content.epoch)
  checkSenderContent(content, wireFormat)
  const ac: AuthenticatedContent = { wireFormat, content, auth: pm.auth }
  checkAuthShape(ac)
  const isMember = content.sender.senderType === SenderType.member
  if (isMember !== (pm.membershipTag !== undefined)) {
    throw new TalosError('MLS_BAD_MEMBERSHIP_TAG', 'membership_tag must be present exactly for member senders')
  }
  const publicKey = senderSignatureKey(content, senders)
  const { tbm, tbs } = authenticatedContentTbm(ctx, wireFormat, content, pm.auth)
  if (isMember) {
    if (membershipKey === undefined) {
      throw new TalosError('MLS_MISSING_MEMBERSHIP_KEY', 'a member PublicMessage needs the membership_key')
    }
    if (!constantTimeEqual(ctx.suite.mac(membershipKey, tbm), pm.membershipTag!)) {
      throw new TalosError('MLS_BAD_MEMBERSHIP_TAG', 'membership_tag does not verify')
    }
  }
  verifyTbsSignature(ctx, tbs, publicKey, pm.auth.signature)
  return ac
}
