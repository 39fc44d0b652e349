/**
 * Keeping the exact wire bytes of a decoded struct.
 *
 * Several RFC 9420 structs are hashed or signature-checked again and again
 * (LeafNode in every tree hash, KeyPackage for KeyPackageRef, §5.2 and §7.8;
 * the to-be-signed prefixes of LeafNode, KeyPackage and GroupInfo, §7.2,
 * §10, §12.4.3). Re-encoding them each time would cost an allocation and a
 * walk per use, so decoders can hand back the slice they consumed next to the
 * value, and the signed structs whose signature is the last field can give
 * their TBS prefix straight from those bytes.
 */
import { TalosError } from '../../errors.js'
import { varintSize, type Codec, type Reader, type Writer } from '../../codec/tls.js'

export { varintSize }

/** A decoded value together with the exact bytes it was decoded from. */
export interface Encoded<T> {
  value: T
  bytes: Uint8Array
}

/**
 * Wraps `codec` so decoding also returns the consumed bytes (a copy) and
 * encoding writes those bytes verbatim. The caller must not mutate `value`
 * and expect the bytes to follow: Encoded is an immutable snapshot.
 */
export function withBytes<T>(codec: Codec<T>): Codec<Encoded<T>> {
  return {
    encode: (w: Writer, v: Encoded<T>) => {
      w.bytes(v.bytes)
    },
    decode: (r: Reader) => {
      const start = r.offset
      const value = codec.decode(r)
      return { value, bytes: r.sliceFrom(start) }
    },
  }
}

/**
 * The bytes of a signed struct without its final `opaque signature<V>` field,
 * i.e. its TBS encoding for KeyPackage and GroupInfo and the prefix of a
 * LeafNodeTBS. Returns a view into `encoded` (no copy).
 */
export function withoutTrailingSignature(encoded: Uint8Array, signature: Uint8Array): Uint8Array {
  const tail = varintSize(signature.length) + signature.length
  if (tail > encoded.length) {
    throw new TalosError('MLS_INVALID_STRUCTURE', 'signature is longer than the encoded struct')
  }
  return encoded.subarray(0, encoded.length - tail)
}

/** Raised when asked to encode a value whose fields contradict its selector. */
export function invalidStruct(what: string): TalosError {
  return new TalosError('MLS_INVALID_STRUCTURE', `cannot encode ${what}`)
}
