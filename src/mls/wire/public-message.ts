/**
 * PublicMessage (RFC 9420 §6.2): signed, not encrypted.
 *
 *   struct {
 *     FramedContent content;
 *     FramedContentAuthData auth;
 *     select (PublicMessage.content.sender.sender_type) {
 *       case member: MAC membership_tag;
 *       case external: case new_member_commit: case new_member_proposal: struct{};
 *     };
 *   } PublicMessage;
 */
import type { Codec } from '../../codec/tls.js'
import { invalidStruct } from './encoded.js'
import {
  decodeAuthData,
  encodeAuthData,
  framedContentCodec,
  SenderType,
  type FramedContent,
  type FramedContentAuthData,
} from './framing.js'

export interface PublicMessage {
  content: FramedContent
  auth: FramedContentAuthData
  /** Present exactly when the sender is a member. */
  membershipTag?: Uint8Array | undefined
}

export const publicMessageCodec: Codec<PublicMessage> = {
  encode(w, v) {
    const isMember = v.content.sender.senderType === SenderType.member
    if (isMember !== (v.membershipTag !== undefined)) {
      throw invalidStruct('PublicMessage: membership_tag must be present iff the sender is a member')
    }
    framedContentCodec.encode(w, v.content)
    encodeAuthData(w, v.auth, v.content.contentType)
    if (v.membershipTag !== undefined) w.opaque(v.membershipTag)
  },
  decode(r) {
    const content = framedContentCodec.decode(r)
    const auth = decodeAuthData(r, content.contentType)
    if (content.sender.senderType !== SenderType.member) return { content, auth }
    return { content, auth, membershipTag: r.opaque() }
  },
}
