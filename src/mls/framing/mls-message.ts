/**
 * Framing at the MLSMessage level (RFC 9420 §6): one entry point per
 * direction for the group engine, dispatching on wire_format to §6.2
 * (PublicMessage) or §6.3 (PrivateMessage).
 *
 * unprotectMessage returns the same staged shape for both: a PublicMessage
 * consumes no key, so its commit()/discard() do nothing, and the caller can
 * treat every handshake message alike (verify, process, then commit()).
 */
import { TalosError } from '../../errors.js'
import { MLS10, WireFormat, type AuthenticatedContent, type MLSMessage } from '../wire/index.js'
import type { SenderKeyLookup } from './authentication.js'
import type { FramingContext } from './context.js'
import {
  protectPrivateMessage,
  unprotectPrivateMessage,
  type PrivateMessageKeys,
  type ProtectOptions,
} from './private-message.js'
import { protectPublicMessage, unprotectPublicMessage } from './public-message.js'

/** The epoch secrets framing uses (§8): membership_key, sender_data_secret, the secret tree. */
export interface EpochFramingKeys extends PrivateMessageKeys {
  readonly membershipKey: Uint8Array
}

/** Verified content whose key (PrivateMessage only) is consumed by commit(). */
export interface StagedContent {
  readonly content: AuthenticatedContent
  commit(): void
  discard(): void
}

const NOTHING = () => {}

/** Protects signed content as the MLSMessage its wire_format names. */
export function protectMessage(
  ctx: FramingContext,
  ac: AuthenticatedContent,
  keys: EpochFramingKeys,
  options?: ProtectOptions,
): MLSMessage {
  if (ac.wireFormat === WireFormat.mls_public_message) {
    return { version: MLS10, wireFormat: ac.wireFormat, publicMessage: protectPublicMessage(ctx, ac, keys.membershipKey) }
  }
  return { version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: protectPrivateMessage(ctx, ac, keys, options) }
}

/** Unprotects a PublicMessage or PrivateMessage; any other wire format is MLS_INVALID_WIRE_FORMAT. */
export function unprotectMessage(
  ctx: FramingContext,
  m: MLSMessage,
  keys: EpochFramingKeys,
  senders: SenderKeyLookup,
): StagedContent {
  if (m.wireFormat === WireFormat.mls_public_message) {
    const content = unprotectPublicMessage(ctx, m.publicMessage, keys.membershipKey, senders)
    return { content, commit: NOTHING, discard: NOTHING }
  }
  if (m.wireFormat === WireFormat.mls_private_message) return unprotectPrivateMessage(ctx, m.privateMessage, keys, senders)
  throw new TalosError('MLS_INVALID_WIRE_FORMAT', `wire format ${m.wireFormat} does not carry framed content`)
}
