/**
 * The per-epoch input of framing (RFC 9420 §6.1, §8.1): the cipher suite and
 * the GroupContext every member's signature binds to.
 *
 * FramedContentTBS ends with the GroupContext for member and
 * new_member_commit senders, so its TLS encoding is computed once per epoch
 * here and appended verbatim to every to-be-signed buffer instead of being
 * re-encoded per message (the extensions alone can be hundreds of bytes).
 *
 * Also the group_id / epoch checks every unprotect starts with (§6.2, §6.3,
 * §12.4.2 "Verify that the epoch field ... is equal to the epoch field of the
 * current GroupContext").
 */
import { encode } from '../../codec/tls.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { groupContextCodec, type GroupContext } from '../wire/index.js'
import { constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'

export interface FramingContext {
  readonly suite: CipherSuite
  /** The GroupContext of the epoch the messages belong to. Treat as immutable. */
  readonly groupContext: GroupContext
  /** TLS encoding of `groupContext`, the tail of a member's FramedContentTBS. */
  readonly groupContextBytes: Uint8Array
}

/** Builds the framing context of one epoch (encodes the GroupContext once). */
export function createFramingContext(suite: CipherSuite, groupContext: GroupContext): FramingContext {
  if (groupContext.cipherSuite !== suite.id) {
    throw new TalosError(
      'MLS_CIPHER_SUITE_MISMATCH',
      `GroupContext names cipher suite ${groupContext.cipherSuite} but suite ${suite.id} was given`,
    )
  }
  return Object.freeze({ suite, groupContext, groupContextBytes: encode(groupContextCodec, groupContext) })
}

/**
 * The message must belong to this group and this epoch. Neither value is
 * secret (both travel in clear in every framed message), so a plain
 * comparison is fine.
 */
export function checkGroupAndEpoch(ctx: FramingContext, groupId: Uint8Array, epoch: bigint): void {
  if (!bytesEqual(groupId, ctx.groupContext.groupId)) {
    throw new TalosError('MLS_WRONG_GROUP_ID', 'message is for another group')
  }
  if (epoch !== ctx.groupContext.epoch) {
    throw new TalosError('MLS_WRONG_EPOCH', `message is for epoch ${epoch}, this context is epoch ${ctx.groupContext.epoch}`)
  }
}
