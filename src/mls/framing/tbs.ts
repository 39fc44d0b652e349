/**
 * The byte strings that framing signs and MACs (RFC 9420 §6.1, §6.2):
 *
 *   FramedContentTBS        = version || wire_format || FramedContent || [GroupContext]
 *   AuthenticatedContentTBM = FramedContentTBS || FramedContentAuthData
 *
 * Built with the content body (the content_type select) already encoded,
 * because the same body bytes also go into the PrivateMessageContent
 * plaintext (§6.3.1): the sender encodes the body once for both, and the
 * receiver signs over the exact slice of the plaintext it decrypted instead of
 * re-encoding what it decoded. The GroupContext comes pre-encoded from the
 * FramingContext. One buffer, sized up front, per call.
 */
import { MAX_VARINT, Writer } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import {
  encodeAuthData,
  encodeContentBody,
  MLS10,
  ContentType,
  senderCodec,
  tbsHasContext,
  varintSize,
  type FramedContent,
  type FramedContentAuthData,
  type FramedContentBody,
  type FramingWireFormat,
  type Sender,
} from '../wire/index.js'
import type { FramingContext } from './context.js'

/** The FramedContent fields before content_type. */
export interface ContentHeader {
  readonly groupId: Uint8Array
  readonly epoch: bigint
  readonly sender: Sender
  readonly authenticatedData: Uint8Array
}

/** TLS encoding of the content_type select alone (application_data / Proposal / Commit). */
export function encodeBody(body: FramedContentBody): Uint8Array {
  if (body.contentType === ContentType.application) {
    // The per-message case: opaque<V> written straight into an exact buffer.
    const data = body.applicationData
    if (data.length > MAX_VARINT) throw new TalosError('DECODE_VARINT_TOO_LARGE', `application_data of ${data.length} bytes`)
    const prefix = varintSize(data.length)
    const out = new Uint8Array(prefix + data.length)
    if (prefix === 1) out[0] = data.length
    else if (prefix === 2) new DataView(out.buffer).setUint16(0, 0x4000 | data.length)
    else new DataView(out.buffer).setUint32(0, (0x80000000 | data.length) >>> 0)
    out.set(data, prefix)
    return out
  }
  const w = new Writer(256)
  encodeContentBody(w, body)
  return w.finish()
}

/** Upper bound of the TBS size (varint prefixes counted at 4 bytes), so the Writer never regrows. */
function tbsCapacity(ctx: FramingContext, header: ContentHeader, bodyLength: number, extra: number): number {
  return 4 + 4 + header.groupId.length + 8 + 5 + 4 + header.authenticatedData.length + 1 + bodyLength +
    ctx.groupContextBytes.length + extra
}

function writeTbs(
  w: Writer,
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array,
): void {
  w.u16(MLS10)
  w.u16(wireFormat)
  w.opaque(header.groupId)
  w.u64(header.epoch)
  senderCodec.encode(w, header.sender)
  w.opaque(header.authenticatedData)
  w.u8(contentType)
  w.bytes(body)
  // §6.1: only member and new_member_commit senders bind to the GroupContext.
  if (tbsHasContext(header.sender)) w.bytes(ctx.groupContextBytes)
}

/** FramedContentTBS from a header and the encoded body. */
export function framedContentTbs(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array,
): Uint8Array {
  const w = new Writer(tbsCapacity(ctx, header, body.length, 0))
  writeTbs(w, ctx, wireFormat, header, contentType, body)
  return w.finish()
}

/**
 * AuthenticatedContentTBM for a whole FramedContent and its auth data.
 * `tbs` is a view of the FramedContentTBS prefix of `tbm`, so one encoding
 * serves both the signature check and the membership tag.
 */
export function authenticatedContentTbm(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  content: FramedContent,
  auth: FramedContentAuthData,
): { tbm: Uint8Array; tbs: Uint8Array } {
  const body = encodeBody(content)
  const authSize = auth.signature.length + (auth.confirmationTag?.length ?? 0) + 8
  const w = new Writer(tbsCapacity(ctx, content, body.length, authSize))
  writeTbs(w, ctx, wireFormat, content, content.contentType, body)
  const tbsLength = w.length
  encodeAuthData(w, auth, content.contentType)
  const tbm = w.finish()
  return { tbm, tbs: tbm.subarray(0, tbsLength) }
}
