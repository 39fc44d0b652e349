/**
 * Building hostile handshake messages as an insider would: content signed
 * with a real member's key and a valid membership tag, so that the rule
 * under test (not the framing) is what rejects it.
 */
import { randomBytes } from '../../../src/crypto/index.js'
import { signContent, withConfirmationTag } from '../../../src/mls/framing/authentication.js'
import { authenticatedContentTbm } from '../../../src/mls/framing/tbs.js'
import { protectPublicMessage } from '../../../src/mls/framing/public-message.js'
import type { MlsGroup } from '../../../src/mls/group/index.js'
import {
  ContentType,
  decodeMLSMessage,
  encodeMLSMessage,
  SenderType,
  WireFormat,
  type Commit,
  type PublicMessage,
} from '../../../src/mls/wire/index.js'

/** A PublicMessage Commit from `from` (signed by it, membership tag valid, confirmation tag random). */
export function forgeCommit(from: MlsGroup, commit: Commit, tag?: Uint8Array): Uint8Array {
  const s = from.currentState
  const ctx = s.epoch.framing
  const ac = signContent(
    ctx,
    WireFormat.mls_public_message,
    { sender: { senderType: SenderType.member, leafIndex: s.ownLeaf }, contentType: ContentType.commit, commit },
    s.signaturePriv,
  )
  const pm = protectPublicMessage(ctx, withConfirmationTag(ac, tag ?? randomBytes(s.suite.Nh)), s.epoch.keys.membershipKey)
  return encodeMLSMessage({ version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: pm })
}

export function publicMessageOf(bytes: Uint8Array): PublicMessage {
  const m = decodeMLSMessage(bytes)
  if (m.wireFormat !== WireFormat.mls_public_message) throw new Error('not a PublicMessage')
  return m.publicMessage
}

/** Re-encodes `pm` after recomputing its membership tag with `from`'s membership key. */
export function retag(from: MlsGroup, pm: PublicMessage): Uint8Array {
  const s = from.currentState
  const { tbm } = authenticatedContentTbm(s.epoch.framing, WireFormat.mls_public_message, pm.content, pm.auth)
  const membershipTag = s.suite.mac(s.epoch.keys.membershipKey, tbm)
  return encodeMLSMessage({ version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: { ...pm, membershipTag } })
}

/** Re-signs `pm`'s content with `from`'s key, then retags. */
export function resign(from: MlsGroup, pm: PublicMessage): Uint8Array {
  const s = from.currentState
  const ac = signContent(s.epoch.framing, WireFormat.mls_public_message, pm.content as never, s.signaturePriv)
  return retag(from, { ...pm, auth: { ...pm.auth, signature: ac.auth.signature } })
}
