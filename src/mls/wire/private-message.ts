/**
 * PrivateMessage and what is encrypted inside it (RFC 9420 §6.3).
 *
 *   struct {
 *     opaque group_id<V>; uint64 epoch; ContentType content_type;
 *     opaque authenticated_data<V>; opaque encrypted_sender_data<V>; opaque ciphertext<V>;
 *   } PrivateMessage;
 *   struct {
 *     select (PrivateMessage.content_type) {
 *       case application: opaque application_data<V>;
 *       case proposal:    Proposal proposal;
 *       case commit:      Commit commit;
 *     };
 *     FramedContentAuthData auth;
 *     opaque padding[length_of_padding];
 *   } PrivateMessageContent;                                          // §6.3.1
 *   struct { opaque group_id<V>; uint64 epoch; ContentType content_type;
 *            opaque authenticated_data<V>; } PrivateContentAAD;       // §6.3.1
 *   struct { uint32 leaf_index; uint32 generation; opaque reuse_guard[4]; } SenderData;  // §6.3.2
 *   struct { opaque group_id<V>; uint64 epoch; ContentType content_type; } SenderDataAAD; // §6.3.2
 *
 * Padding is every octet after `auth` and MUST be zero (§6.3.1), so it is
 * represented by its length only. The zero check reads every padding octet
 * (no early exit) so its duration does not depend on where a non-zero octet
 * sits; a failure is DECODE_INVALID_PADDING.
 */
import { TalosError } from '../../errors.js'
import { decode, encode, fixed, Writer, type Codec } from '../../codec/tls.js'
import {
  ContentType,
  decodeAuthData,
  decodeContentBody,
  decodeContentType,
  encodeAuthData,
  encodeContentBody,
  type FramedContentAuthData,
  type FramedContentBody,
} from './framing.js'

export interface PrivateMessage {
  groupId: Uint8Array
  epoch: bigint
  contentType: ContentType
  authenticatedData: Uint8Array
  encryptedSenderData: Uint8Array
  ciphertext: Uint8Array
}

export const privateMessageCodec: Codec<PrivateMessage> = {
  encode(w, v) {
    w.opaque(v.groupId)
    w.u64(v.epoch)
    w.u8(v.contentType)
    w.opaque(v.authenticatedData)
    w.opaque(v.encryptedSenderData)
    w.opaque(v.ciphertext)
  },
  decode(r) {
    const groupId = r.opaque()
    const epoch = r.u64()
    const contentType = decodeContentType(r)
    const authenticatedData = r.opaque()
    const encryptedSenderData = r.opaque()
    return { groupId, epoch, contentType, authenticatedData, encryptedSenderData, ciphertext: r.opaque() }
  },
}

/** `contentType` is not on the wire here: it comes from the enclosing PrivateMessage. */
export type PrivateMessageContent = FramedContentBody & {
  auth: FramedContentAuthData
  /** Number of zero octets of padding. */
  paddingLength: number
}

/**
 * The PrivateMessageContent codec for a given content_type. Its decoder
 * consumes the rest of the reader (the padding runs to the end of the
 * plaintext), so use it on a whole plaintext only.
 */
export function privateMessageContentCodec(contentType: ContentType): Codec<PrivateMessageContent> {
  return {
    encode(w, v) {
      if (v.contentType !== contentType) {
        throw new TalosError('MLS_INVALID_STRUCTURE', `content type ${v.contentType} framed as ${contentType}`)
      }
      encodeContentBody(w, v)
      encodeAuthData(w, v.auth, v.contentType)
      if (!Number.isInteger(v.paddingLength) || v.paddingLength < 0) {
        throw new TalosError('MLS_INVALID_STRUCTURE', `padding length ${v.paddingLength}`)
      }
      w.bytes(new Uint8Array(v.paddingLength))
    },
    decode(r) {
      const body = decodeContentBody(r, contentType)
      const auth = decodeAuthData(r, contentType)
      const paddingLength = r.remaining
      const padding = r.bytes(paddingLength)
      let acc = 0
      for (let i = 0; i < padding.length; i++) acc |= padding[i]!
      if (acc !== 0) throw new TalosError('DECODE_INVALID_PADDING', 'PrivateMessageContent padding is not all zero')
      return { ...body, auth, paddingLength }
    },
  }
}

export function encodePrivateMessageContent(v: PrivateMessageContent): Uint8Array {
  return encode(privateMessageContentCodec(v.contentType), v)
}

export function decodePrivateMessageContent(plaintext: Uint8Array, contentType: ContentType): PrivateMessageContent {
  return decode(privateMessageContentCodec(contentType), plaintext, 'PrivateMessageContent')
}

export interface PrivateContentAAD {
  groupId: Uint8Array
  epoch: bigint
  contentType: ContentType
  authenticatedData: Uint8Array
}

export const privateContentAadCodec: Codec<PrivateContentAAD> = {
  encode(w, v) {
    w.opaque(v.groupId)
    w.u64(v.epoch)
    w.u8(v.contentType)
    w.opaque(v.authenticatedData)
  },
  decode(r) {
    const groupId = r.opaque()
    const epoch = r.u64()
    const contentType = decodeContentType(r)
    return { groupId, epoch, contentType, authenticatedData: r.opaque() }
  },
}

export interface SenderData {
  leafIndex: number
  generation: number
  /** Exactly 4 octets. */
  reuseGuard: Uint8Array
}

const reuseGuardCodec = fixed(4)

export const senderDataCodec: Codec<SenderData> = {
  encode(w, v) {
    w.u32(v.leafIndex)
    w.u32(v.generation)
    reuseGuardCodec.encode(w, v.reuseGuard)
  },
  decode(r) {
    const leafIndex = r.u32()
    const generation = r.u32()
    return { leafIndex, generation, reuseGuard: reuseGuardCodec.decode(r) }
  },
}

export interface SenderDataAAD {
  groupId: Uint8Array
  epoch: bigint
  contentType: ContentType
}

export const senderDataAadCodec: Codec<SenderDataAAD> = {
  encode(w, v) {
    w.opaque(v.groupId)
    w.u64(v.epoch)
    w.u8(v.contentType)
  },
  decode(r) {
    const groupId = r.opaque()
    const epoch = r.u64()
    return { groupId, epoch, contentType: decodeContentType(r) }
  },
}

/** SenderDataAAD is the first three fields of the PrivateMessage. */
export function senderDataAadBytes(m: Pick<PrivateMessage, 'groupId' | 'epoch' | 'contentType'>): Uint8Array {
  const w = new Writer(m.groupId.length + 16)
  senderDataAadCodec.encode(w, m)
  return w.finish()
}

/** PrivateContentAAD is the first three fields of the PrivateMessage plus authenticated_data. */
export function privateContentAadBytes(
  m: Pick<PrivateMessage, 'groupId' | 'epoch' | 'contentType' | 'authenticatedData'>,
): Uint8Array {
  const w = new Writer(m.groupId.length + m.authenticatedData.length + 20)
  privateContentAadCodec.encode(w, m)
  return w.finish()
}

