/**
 * Pre-shared key identifiers and the PSK label (RFC 9420 §8.4).
 *
 *   enum { reserved(0), external(1), resumption(2), (255) } PSKType;
 *   enum { reserved(0), application(1), reinit(2), branch(3), (255) } ResumptionPSKUsage;
 *   struct {
 *     PSKType psktype;
 *     select (PreSharedKeyID.psktype) {
 *       case external:   opaque psk_id<V>;
 *       case resumption: ResumptionPSKUsage usage; opaque psk_group_id<V>; uint64 psk_epoch;
 *     };
 *     opaque psk_nonce<V>;
 *   } PreSharedKeyID;
 *   struct { PreSharedKeyID id; uint16 index; uint16 count; } PSKLabel;
 *
 * PreSharedKeyID appears in PreSharedKey proposals (§12.1.4) and in
 * GroupSecrets.psks (§12.4.3.1); PSKLabel is the context of the
 * ExpandWithLabel(.., "derived psk", PSKLabel, Nh) step of the psk_secret
 * chain. Both PSK enums are closed sets with no IANA registry, so an unknown
 * value (including reserved 0) is DECODE_INVALID_VALUE: a receiver could not
 * know how to obtain the PSK anyway.
 */
import { TalosError } from '../../errors.js'
import { encode, Reader, type Codec, type Writer } from '../../codec/tls.js'

export const PSKType = { external: 1, resumption: 2 } as const
export type PSKType = (typeof PSKType)[keyof typeof PSKType]
const PSK_TYPES: ReadonlySet<number> = new Set(Object.values(PSKType))

export const ResumptionPSKUsage = { application: 1, reinit: 2, branch: 3 } as const
export type ResumptionPSKUsage = (typeof ResumptionPSKUsage)[keyof typeof ResumptionPSKUsage]
const USAGES: ReadonlySet<number> = new Set(Object.values(ResumptionPSKUsage))

export interface ExternalPSKID {
  psktype: typeof PSKType.external
  pskId: Uint8Array
  pskNonce: Uint8Array
}

export interface ResumptionPSKID {
  psktype: typeof PSKType.resumption
  usage: ResumptionPSKUsage
  pskGroupId: Uint8Array
  pskEpoch: bigint
  pskNonce: Uint8Array
}

/** Discriminated on `psktype`. */
export type PreSharedKeyID = ExternalPSKID | ResumptionPSKID

export const preSharedKeyIdCodec: Codec<PreSharedKeyID> = {
  encode(w: Writer, v: PreSharedKeyID): void {
    w.u8(v.psktype)
    if (v.psktype === PSKType.external) {
      w.opaque(v.pskId)
    } else {
      w.u8(v.usage)
      w.opaque(v.pskGroupId)
      w.u64(v.pskEpoch)
    }
    w.opaque(v.pskNonce)
  },
  decode(r: Reader): PreSharedKeyID {
    const psktype = r.enumValue(1, PSK_TYPES, 'PSKType')
    if (psktype === PSKType.external) {
      const pskId = r.opaque()
      return { psktype, pskId, pskNonce: r.opaque() }
    }
    const usage = r.enumValue(1, USAGES, 'ResumptionPSKUsage') as ResumptionPSKUsage
    const pskGroupId = r.opaque()
    const pskEpoch = r.u64()
    return { psktype: PSKType.resumption, usage, pskGroupId, pskEpoch, pskNonce: r.opaque() }
  },
}

export interface PSKLabel {
  id: PreSharedKeyID
  index: number
  count: number
}

export const pskLabelCodec: Codec<PSKLabel> = {
  encode(w, v) {
    preSharedKeyIdCodec.encode(w, v.id)
    w.u16(v.index)
    w.u16(v.count)
  },
  decode(r) {
    const id = preSharedKeyIdCodec.decode(r)
    const index = r.u16()
    return { id, index, count: r.u16() }
  },
}

/** The PSKLabel bytes for the `index`-th of `count` PSKs (the ExpandWithLabel context). */
export function encodePskLabel(id: PreSharedKeyID, index: number, count: number): Uint8Array {
  // uint16 fields: a silent wrap-around would derive the wrong psk_secret.
  if (!Number.isInteger(count) || count < 1 || count > 0xffff || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new TalosError('MLS_INVALID_PSK_INDEX', `PSK index ${index} of ${count} does not fit PSKLabel`)
  }
  return encode(pskLabelCodec, { id, index, count })
}
