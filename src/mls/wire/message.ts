/**
 * MLSMessage (RFC 9420 §6): the outermost envelope.
 *
 *   struct {
 *     ProtocolVersion version = mls10;
 *     WireFormat wire_format;
 *     select (MLSMessage.wire_format) {
 *       case mls_public_message:  PublicMessage public_message;
 *       case mls_private_message: PrivateMessage private_message;
 *       case mls_welcome:         Welcome welcome;
 *       case mls_group_info:      GroupInfo group_info;
 *       case mls_key_package:     KeyPackage key_package;
 *     };
 *   } MLSMessage;
 *
 * Only mls10 is understood: a different version (the rest of the message has
 * an unknown layout) or a wire format outside the five above (no length to
 * skip it by) is DECODE_INVALID_VALUE. decodeMLSMessage rejects trailing
 * bytes. The KeyPackage case is decoded with its exact bytes available via
 * decodeMLSMessageKeyPackage, because KeyPackageRef hashes them.
 */
import { TalosError } from '../../errors.js'
import { decode, encode, Reader, type Codec, type Writer } from '../../codec/tls.js'
import { withBytes, invalidStruct, type Encoded } from './encoded.js'
import { WireFormat } from './framing.js'
import { groupInfoCodec, type GroupInfo } from './group-info.js'
import { MLS10 } from './group-context.js'
import { keyPackageCodec, type KeyPackage } from './key-package.js'
import { privateMessageCodec, type PrivateMessage } from './private-message.js'
import { publicMessageCodec, type PublicMessage } from './public-message.js'
import { welcomeCodec, type Welcome } from './welcome.js'

const WIRE_FORMATS: ReadonlySet<number> = new Set(Object.values(WireFormat))

/** Discriminated on `wireFormat`; the body sits under the RFC field name. */
export type MLSMessage = { version: typeof MLS10 } & (
  | { wireFormat: typeof WireFormat.mls_public_message; publicMessage: PublicMessage }
  | { wireFormat: typeof WireFormat.mls_private_message; privateMessage: PrivateMessage }
  | { wireFormat: typeof WireFormat.mls_welcome; welcome: Welcome }
  | { wireFormat: typeof WireFormat.mls_group_info; groupInfo: GroupInfo }
  | { wireFormat: typeof WireFormat.mls_key_package; keyPackage: KeyPackage }
)

function readHeader(r: Reader): WireFormat {
  const version = r.u16()
  if (version !== MLS10) throw new TalosError('DECODE_INVALID_VALUE', `MLSMessage: unsupported version ${version}`)
  return r.enumValue(2, WIRE_FORMATS, 'WireFormat') as WireFormat
}

export const mlsMessageCodec: Codec<MLSMessage> = {
  encode(w: Writer, m: MLSMessage): void {
    if (m.version !== MLS10) throw invalidStruct(`MLSMessage version ${m.version as number}`)
    w.u16(m.version)
    w.u16(m.wireFormat)
    switch (m.wireFormat) {
      case WireFormat.mls_public_message:
        return publicMessageCodec.encode(w, m.publicMessage)
      case WireFormat.mls_private_message:
        return privateMessageCodec.encode(w, m.privateMessage)
      case WireFormat.mls_welcome:
        return welcomeCodec.encode(w, m.welcome)
      case WireFormat.mls_group_info:
        return groupInfoCodec.encode(w, m.groupInfo)
      case WireFormat.mls_key_package:
        return keyPackageCodec.encode(w, m.keyPackage)
      default:
        throw invalidStruct(`MLSMessage with wire_format ${(m as { wireFormat: number }).wireFormat}`)
    }
  },
  decode(r: Reader): MLSMessage {
    const version = MLS10
    const wf = readHeader(r)
    switch (wf) {
      case WireFormat.mls_public_message:
        return { version, wireFormat: wf, publicMessage: publicMessageCodec.decode(r) }
      case WireFormat.mls_private_message:
        return { version, wireFormat: wf, privateMessage: privateMessageCodec.decode(r) }
      case WireFormat.mls_welcome:
        return { version, wireFormat: wf, welcome: welcomeCodec.decode(r) }
      case WireFormat.mls_group_info:
        return { version, wireFormat: wf, groupInfo: groupInfoCodec.decode(r) }
      case WireFormat.mls_key_package:
        return { version, wireFormat: wf, keyPackage: keyPackageCodec.decode(r) }
    }
  },
}

export function encodeMLSMessage(m: MLSMessage): Uint8Array {
  return encode(mlsMessageCodec, m)
}

/** Decodes a whole MLSMessage; only TalosError (DECODE_*) on malformed input. */
export function decodeMLSMessage(bytes: Uint8Array): MLSMessage {
  return decode(mlsMessageCodec, bytes, 'MLSMessage')
}

const keyPackageWithBytes = withBytes(keyPackageCodec)

/**
 * Decodes an MLSMessage that must carry a KeyPackage, returning the
 * KeyPackage with its exact encoding (the KeyPackageRef input, §5.2).
 */
export function decodeMLSMessageKeyPackage(bytes: Uint8Array): Encoded<KeyPackage> {
  return decode(
    {
      encode: () => {
        throw invalidStruct('decode-only codec')
      },
      decode: (r) => {
        const wf = readHeader(r)
        if (wf !== WireFormat.mls_key_package) {
          throw new TalosError('DECODE_UNEXPECTED_WIRE_FORMAT', `expected a KeyPackage, got wire_format ${wf}`)
        }
        return keyPackageWithBytes.decode(r)
      },
    },
    bytes,
    'MLSMessage(KeyPackage)',
  )
}
