/**
 * The byte strings that framing signs and MACs (RFC 9420 §5.1.2, §6.1, §6.2):
 *
 *   FramedContentTBS        = version || wire_format || FramedContent || [GroupContext]
 *   SignContent             = opaque label<V> ("MLS 1.0 FramedContentTBS") || opaque content<V> (the TBS)
 *   AuthenticatedContentTBM = FramedContentTBS || FramedContentAuthData
 *
 * Built with the content body (the content_type select) already encoded,
 * because the same body bytes also go into the PrivateMessageContent
 * plaintext (§6.3.1): the sender encodes the body once for both, and the
 * receiver signs over the exact slice of the plaintext it decrypted instead of
 * re-encoding what it decoded. The GroupContext comes pre-encoded from the
 * FramingContext.
 *
 * On the per-message path the TBS is written straight into its SignContent
 * (one buffer, exact size), so the signature costs no extra copy; SignContent
 * is the struct SignWithLabel / VerifyWithLabel sign (§5.1.2), and the
 * vectors' signatures verify through it.
 */
import { Writer } from '../../codec/tls.js'
import {
  ContentType,
  encodeAuthData,
  encodeContentBody,
  MLS10,
  SenderType,
  tbsHasContext,
  type FramedContent,
  type FramedContentAuthData,
  type FramedContentBody,
  type FramingWireFormat,
  type Sender,
} from '../wire/index.js'
import type { FramingContext } from './context.js'
import { ExactWriter, opaqueSize, prefixSize, type Scratch } from './exact-writer.js'

/** The FramedContent fields before content_type. */
export interface ContentHeader {
  readonly groupId: Uint8Array
  readonly epoch: bigint
  readonly sender: Sender
  readonly authenticatedData: Uint8Array
}

const SIGN_LABEL = new TextEncoder().encode('MLS 1.0 FramedContentTBS')

/** TLS encoding of the content_type select alone (application_data / Proposal / Commit). */
export function encodeBody(body: FramedContentBody): Uint8Array {
  if (body.contentType === ContentType.application) {
    // The per-message case: opaque<V> straight into an exact buffer.
    const data = body.applicationData
    return new ExactWriter(opaqueSize(data)).opaque(data).done()
  }
  const w = new Writer(256)
  encodeContentBody(w, body)
  return w.finish()
}

function senderSize(sender: Sender): number {
  return sender.senderType === SenderType.member || sender.senderType === SenderType.external ? 5 : 1
}

function writeSender(w: ExactWriter, sender: Sender): void {
  w.u8(sender.senderType)
  if (sender.senderType === SenderType.member) w.u32(sender.leafIndex)
  else if (sender.senderType === SenderType.external) w.u32(sender.senderIndex)
}

/**
 * The content body as the framing functions take it: the encoded select
 * (`encoded`), or, for application content on the send path, the
 * application_data itself, written as opaque<V> where the body goes (so the
 * 1 KiB body is never materialised on its own just to be copied twice).
 */
export type BodyInput = { readonly encoded: Uint8Array } | { readonly applicationData: Uint8Array }

/** Size of the encoded body. */
export function bodySize(body: Uint8Array | BodyInput): number {
  if (body instanceof Uint8Array) return body.length
  return 'encoded' in body ? body.encoded.length : opaqueSize(body.applicationData)
}

/** Writes the body (encoded bytes, or application_data as opaque<V>). */
export function writeBody(w: ExactWriter, body: Uint8Array | BodyInput): ExactWriter {
  if (body instanceof Uint8Array) return w.bytes(body)
  return 'encoded' in body ? w.bytes(body.encoded) : w.opaque(body.applicationData)
}

function tbsSize(ctx: FramingContext, header: ContentHeader, bodyLength: number): number {
  return (
    4 +
    opaqueSize(header.groupId) +
    8 +
    senderSize(header.sender) +
    opaqueSize(header.authenticatedData) +
    1 +
    bodyLength +
    (tbsHasContext(header.sender) ? ctx.groupContextBytes.length : 0)
  )
}

function writeTbs(
  w: ExactWriter,
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array | BodyInput,
): void {
  w.u16(MLS10).u16(wireFormat).opaque(header.groupId).u64(header.epoch)
  writeSender(w, header.sender)
  writeBody(w.opaque(header.authenticatedData).u8(contentType), body)
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
  const w = new ExactWriter(tbsSize(ctx, header, body.length))
  writeTbs(w, ctx, wireFormat, header, contentType, body)
  return w.done()
}

/**
 * SignContent{"MLS 1.0 FramedContentTBS", FramedContentTBS}: what Signature.Sign / Verify take (§5.1.2).
 * With `into`, written into that Scratch (for a caller that hands it straight to sign/verify).
 */
export function framedContentSignContent(
  ctx: FramingContext,
  wireFormat: FramingWireFormat,
  header: ContentHeader,
  contentType: ContentType,
  body: Uint8Array | BodyInput,
  into?: Scratch,
): Uint8Array {
  const size = tbsSize(ctx, header, bodySize(body))
  const total = opaqueSize(SIGN_LABEL) + prefixSize(size) + size
  const w = new ExactWriter(total, into?.view(total))
  w.opaque(SIGN_LABEL).varint(size)
  writeTbs(w, ctx, wireFormat, header, contentType, body)
  return w.done()
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
  const tbsLength = tbsSize(ctx, content, body.length)
  const w = new Writer(tbsLength + auth.signature.length + (auth.confirmationTag?.length ?? 0) + 8)
  w.bytes(framedContentTbs(ctx, wireFormat, content, content.contentType, body))
  encodeAuthData(w, auth, content.contentType)
  const tbm = w.finish()
  return { tbm, tbs: tbm.subarray(0, tbsLength) }
}
