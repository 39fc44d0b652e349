/**
 * Message framing (RFC 9420 §6, §6.1, §6.2).
 *
 *   enum { reserved(0), application(1), proposal(2), commit(3), (255) } ContentType;
 *   enum { reserved(0), member(1), external(2), new_member_proposal(3),
 *          new_member_commit(4), (255) } SenderType;
 *   struct {
 *     SenderType sender_type;
 *     select (Sender.sender_type) {
 *       case member:   uint32 leaf_index;
 *       case external: uint32 sender_index;
 *       case new_member_commit: case new_member_proposal: struct{};
 *     };
 *   } Sender;
 *   uint16 WireFormat;
 *   struct {
 *     opaque group_id<V>; uint64 epoch; Sender sender; opaque authenticated_data<V>;
 *     ContentType content_type;
 *     select (FramedContent.content_type) {
 *       case application: opaque application_data<V>;
 *       case proposal:    Proposal proposal;
 *       case commit:      Commit commit;
 *     };
 *   } FramedContent;
 *   struct {
 *     ProtocolVersion version = mls10; WireFormat wire_format; FramedContent content;
 *     select (FramedContentTBS.content.sender.sender_type) {
 *       case member: case new_member_commit: GroupContext context;
 *       case external: case new_member_proposal: struct{};
 *     };
 *   } FramedContentTBS;
 *   struct {
 *     opaque signature<V>;
 *     select (FramedContent.content_type) { case commit: MAC confirmation_tag; ... };
 *   } FramedContentAuthData;
 *   struct { WireFormat wire_format; FramedContent content; FramedContentAuthData auth; } AuthenticatedContent;
 *   struct { FramedContentTBS content_tbs; FramedContentAuthData auth; } AuthenticatedContentTBM;
 *
 * ContentType and SenderType are closed enums (DECODE_INVALID_VALUE). The
 * wire_format inside AuthenticatedContent and FramedContentTBS can only be
 * mls_public_message or mls_private_message (content is framed by one of
 * those two), so other values are refused there too; MLSMessage handles the
 * full registry. Selects keyed on a field of an enclosing struct
 * (FramedContentAuthData on content_type) are codec factories taking that key.
 */
import { TalosError } from '../../errors.js'
import { Writer, type Codec, type Reader } from '../../codec/tls.js'
import { commitCodec, type Commit } from './commit.js'
import { invalidStruct } from './encoded.js'
import { groupContextCodec, MLS10, type GroupContext } from './group-context.js'
import { proposalCodec, type Proposal } from './proposal.js'

/** MLS Wire Formats registry (RFC 9420 §17.2). */
export const WireFormat = {
  mls_public_message: 0x0001,
  mls_private_message: 0x0002,
  mls_welcome: 0x0003,
  mls_group_info: 0x0004,
  mls_key_package: 0x0005,
} as const
export type WireFormat = (typeof WireFormat)[keyof typeof WireFormat]
/** The two wire formats that carry FramedContent. */
export type FramingWireFormat = typeof WireFormat.mls_public_message | typeof WireFormat.mls_private_message
const FRAMING_FORMATS: ReadonlySet<number> = new Set([WireFormat.mls_public_message, WireFormat.mls_private_message])

export function decodeFramingWireFormat(r: Reader): FramingWireFormat {
  return r.enumValue(2, FRAMING_FORMATS, 'WireFormat') as FramingWireFormat
}

export const ContentType = { application: 1, proposal: 2, commit: 3 } as const
export type ContentType = (typeof ContentType)[keyof typeof ContentType]
const CONTENT_TYPES: ReadonlySet<number> = new Set(Object.values(ContentType))

export function decodeContentType(r: Reader): ContentType {
  return r.enumValue(1, CONTENT_TYPES, 'ContentType') as ContentType
}

export const SenderType = { member: 1, external: 2, new_member_proposal: 3, new_member_commit: 4 } as const
export type SenderType = (typeof SenderType)[keyof typeof SenderType]
const SENDER_TYPES: ReadonlySet<number> = new Set(Object.values(SenderType))

/** Discriminated on `senderType`. */
export type Sender =
  | { senderType: typeof SenderType.member; leafIndex: number }
  | { senderType: typeof SenderType.external; senderIndex: number }
  | { senderType: typeof SenderType.new_member_proposal }
  | { senderType: typeof SenderType.new_member_commit }

export const senderCodec: Codec<Sender> = {
  encode(w, v) {
    w.u8(v.senderType)
    if (v.senderType === SenderType.member) w.u32(v.leafIndex)
    else if (v.senderType === SenderType.external) w.u32(v.senderIndex)
    else if (v.senderType !== SenderType.new_member_proposal && v.senderType !== SenderType.new_member_commit) {
      throw invalidStruct(`Sender of type ${(v as { senderType: number }).senderType}`)
    }
  },
  decode(r) {
    const senderType = r.enumValue(1, SENDER_TYPES, 'SenderType') as SenderType
    if (senderType === SenderType.member) return { senderType, leafIndex: r.u32() }
    if (senderType === SenderType.external) return { senderType, senderIndex: r.u32() }
    return { senderType }
  },
}

/** The content_type select, shared by FramedContent and PrivateMessageContent. */
export type FramedContentBody =
  | { contentType: typeof ContentType.application; applicationData: Uint8Array }
  | { contentType: typeof ContentType.proposal; proposal: Proposal }
  | { contentType: typeof ContentType.commit; commit: Commit }

/** Writes the select body only (not the content_type octet). */
export function encodeContentBody(w: Writer, v: FramedContentBody): void {
  switch (v.contentType) {
    case ContentType.application:
      w.opaque(v.applicationData)
      return
    case ContentType.proposal:
      proposalCodec.encode(w, v.proposal)
      return
    case ContentType.commit:
      commitCodec.encode(w, v.commit)
      return
    default:
      throw invalidStruct(`content of type ${(v as { contentType: number }).contentType}`)
  }
}

export function decodeContentBody(r: Reader, contentType: ContentType): FramedContentBody {
  if (contentType === ContentType.application) return { contentType, applicationData: r.opaque() }
  if (contentType === ContentType.proposal) return { contentType, proposal: proposalCodec.decode(r) }
  return { contentType, commit: commitCodec.decode(r) }
}

export type FramedContent = {
  groupId: Uint8Array
  epoch: bigint
  sender: Sender
  authenticatedData: Uint8Array
} & FramedContentBody

export const framedContentCodec: Codec<FramedContent> = {
  encode(w, v) {
    w.opaque(v.groupId)
    w.u64(v.epoch)
    senderCodec.encode(w, v.sender)
    w.opaque(v.authenticatedData)
    w.u8(v.contentType)
    encodeContentBody(w, v)
  },
  decode(r) {
    const groupId = r.opaque()
    const epoch = r.u64()
    const sender = senderCodec.decode(r)
    const authenticatedData = r.opaque()
    const body = decodeContentBody(r, decodeContentType(r))
    return { groupId, epoch, sender, authenticatedData, ...body }
  },
}

export interface FramedContentAuthData {
  signature: Uint8Array
  /** Present exactly when content_type is commit. */
  confirmationTag?: Uint8Array | undefined
}

export function encodeAuthData(w: Writer, v: FramedContentAuthData, contentType: ContentType): void {
  w.opaque(v.signature)
  const isCommit = contentType === ContentType.commit
  if (isCommit !== (v.confirmationTag !== undefined)) {
    throw invalidStruct(`FramedContentAuthData: confirmation_tag must be present iff content is a commit`)
  }
  if (v.confirmationTag !== undefined) w.opaque(v.confirmationTag)
}

export function decodeAuthData(r: Reader, contentType: ContentType): FramedContentAuthData {
  const signature = r.opaque()
  if (contentType !== ContentType.commit) return { signature }
  return { signature, confirmationTag: r.opaque() }
}

/** FramedContentAuthData for a given content_type (the select key lives in FramedContent). */
export function framedContentAuthDataCodec(contentType: ContentType): Codec<FramedContentAuthData> {
  return { encode: (w, v) => encodeAuthData(w, v, contentType), decode: (r) => decodeAuthData(r, contentType) }
}

/** True for the sender types whose FramedContentTBS includes the GroupContext. */
export function tbsHasContext(sender: Sender): boolean {
  return sender.senderType === SenderType.member || sender.senderType === SenderType.new_member_commit
}

export interface FramedContentTBS {
  version: number
  wireFormat: FramingWireFormat
  content: FramedContent
  /** Present exactly for member and new_member_commit senders. */
  context?: GroupContext | undefined
}

export const framedContentTbsCodec: Codec<FramedContentTBS> = {
  encode(w, v) {
    if (tbsHasContext(v.content.sender) !== (v.context !== undefined)) {
      throw invalidStruct(`FramedContentTBS: context must be present iff sender is member or new_member_commit`)
    }
    w.u16(v.version)
    w.u16(v.wireFormat)
    framedContentCodec.encode(w, v.content)
    if (v.context !== undefined) groupContextCodec.encode(w, v.context)
  },
  decode(r) {
    const version = r.u16()
    if (version !== MLS10) throw new TalosError('DECODE_INVALID_VALUE', `FramedContentTBS: version ${version}`)
    const wireFormat = decodeFramingWireFormat(r)
    const content = framedContentCodec.decode(r)
    if (!tbsHasContext(content.sender)) return { version, wireFormat, content }
    return { version, wireFormat, content, context: groupContextCodec.decode(r) }
  },
}

/**
 * The bytes SignWithLabel(., "FramedContentTBS", .) covers. `context` is the
 * current GroupContext; it is included only for the senders that need it.
 */
export function framedContentTbsBytes(
  wireFormat: FramingWireFormat,
  content: FramedContent,
  context: GroupContext | undefined,
): Uint8Array {
  const w = new Writer()
  framedContentTbsCodec.encode(w, {
    version: MLS10,
    wireFormat,
    content,
    context: tbsHasContext(content.sender) ? context : undefined,
  })
  return w.finish()
}

export interface AuthenticatedContent {
  wireFormat: FramingWireFormat
  content: FramedContent
  auth: FramedContentAuthData
}

export const authenticatedContentCodec: Codec<AuthenticatedContent> = {
  encode(w, v) {
    w.u16(v.wireFormat)
    framedContentCodec.encode(w, v.content)
    encodeAuthData(w, v.auth, v.content.contentType)
  },
  decode(r) {
    const wireFormat = decodeFramingWireFormat(r)
    const content = framedContentCodec.decode(r)
    return { wireFormat, content, auth: decodeAuthData(r, content.contentType) }
  },
}

export interface AuthenticatedContentTBM {
  contentTbs: FramedContentTBS
  auth: FramedContentAuthData
}

/** The input of membership_tag = MAC(membership_key, AuthenticatedContentTBM) (§6.2). */
export const authenticatedContentTbmCodec: Codec<AuthenticatedContentTBM> = {
  encode(w, v) {
    framedContentTbsCodec.encode(w, v.contentTbs)
    encodeAuthData(w, v.auth, v.contentTbs.content.contentType)
  },
  decode(r) {
    const contentTbs = framedContentTbsCodec.decode(r)
    return { contentTbs, auth: decodeAuthData(r, contentTbs.content.contentType) }
  },
}
