/**
 * Transcript hash inputs (RFC 9420 §8.2).
 *
 *   struct {
 *     WireFormat wire_format;
 *     FramedContent content;   // with content_type == commit
 *     opaque signature<V>;
 *   } ConfirmedTranscriptHashInput;
 *   struct { MAC confirmation_tag; } InterimTranscriptHashInput;
 *
 * confirmed_transcript_hash = Hash(interim_transcript_hash_prev || ConfirmedTranscriptHashInput)
 * interim_transcript_hash   = Hash(confirmed_transcript_hash || InterimTranscriptHashInput)
 *
 * Only commits enter the transcript; any other content type is refused on
 * both encode (MLS_INVALID_STRUCTURE) and decode (DECODE_INVALID_VALUE).
 */
import { TalosError } from '../../errors.js'
import { Writer, type Codec } from '../../codec/tls.js'
import {
  ContentType,
  decodeFramingWireFormat,
  framedContentCodec,
  type AuthenticatedContent,
  type FramedContent,
  type FramingWireFormat,
} from './framing.js'
import { invalidStruct } from './encoded.js'

export interface ConfirmedTranscriptHashInput {
  wireFormat: FramingWireFormat
  content: FramedContent
  signature: Uint8Array
}

export const confirmedTranscriptHashInputCodec: Codec<ConfirmedTranscriptHashInput> = {
  encode(w, v) {
    if (v.content.contentType !== ContentType.commit) throw invalidStruct('transcript input for a non-commit')
    w.u16(v.wireFormat)
    framedContentCodec.encode(w, v.content)
    w.opaque(v.signature)
  },
  decode(r) {
    const wireFormat = decodeFramingWireFormat(r)
    const content = framedContentCodec.decode(r)
    if (content.contentType !== ContentType.commit) {
      throw new TalosError('DECODE_INVALID_VALUE', `ConfirmedTranscriptHashInput with content_type ${content.contentType}`)
    }
    return { wireFormat, content, signature: r.opaque() }
  },
}

export interface InterimTranscriptHashInput {
  confirmationTag: Uint8Array
}

export const interimTranscriptHashInputCodec: Codec<InterimTranscriptHashInput> = {
  encode: (w, v) => w.opaque(v.confirmationTag),
  decode: (r) => ({ confirmationTag: r.opaque() }),
}

/** ConfirmedTranscriptHashInput bytes of a commit's AuthenticatedContent. */
export function confirmedTranscriptHashInputBytes(ac: AuthenticatedContent): Uint8Array {
  const w = new Writer()
  confirmedTranscriptHashInputCodec.encode(w, {
    wireFormat: ac.wireFormat,
    content: ac.content,
    signature: ac.auth.signature,
  })
  return w.finish()
}

/** InterimTranscriptHashInput bytes for a confirmation tag. */
export function interimTranscriptHashInputBytes(confirmationTag: Uint8Array): Uint8Array {
  return new Writer(confirmationTag.length + 4).opaque(confirmationTag).finish()
}
