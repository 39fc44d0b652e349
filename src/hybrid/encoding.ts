/**
 * Canonical TLS encodings of everything the hybrid layer feeds into a KDF,
 * an HPKE context or the AEAD's associated data (HYBRID.md §2 "never as
 * Protobuf bytes", §3, §4, §5). docs/hybrid-vectors.md repeats these
 * definitions for other implementations.
 *
 *   struct { opaque group_id<V>; uint64 epoch; uint32 sender_leaf; uint32 step; uint32 pn; } RekeyContext;   (§3)
 *   pairwise context = RekeyContext || uint32(j) || uint32(v)                                               (§5)
 *
 *   aad = "HYB1 msg" || group_id<V> || uint64 epoch || uint32 sender_leaf || uint8 version || uint8 type
 *         || uint32 step || uint32 n || uint32 pn || reuse_guard || rekey_hash                              (§4)
 *
 * "HYB1 msg" is the 8 ASCII bytes without a length prefix, reuse_guard the 4
 * raw bytes, type the HybridMessageType value (DATA = 1, DATA_REKEY = 2), and
 *
 *   rekey_hash = Hash(HybRekeyBlob)   if the message carries a rekey or an announcement
 *              = Hash("")             otherwise
 *
 *   struct { uint32 node_index; opaque kem_output<V>; opaque ciphertext<V>; } HybCopathEntry;
 *   struct { uint32 leaf; uint32 key_version; opaque kem_output<V>; opaque ciphertext<V>; } HybPairwiseEntry;
 *   struct {
 *     uint8 mode;                               // 1 = copath, 2 = pairwise
 *     select (mode) {
 *       case 1: HybCopathEntry entries<V>;
 *       case 2: HybPairwiseEntry entries<V>;
 *     };
 *   } HybRekeyTargets;
 *   struct { uint32 version; opaque public_key<V>; } HybKeyAnnouncement;
 *   struct { optional<HybRekeyTargets> rekey; optional<HybKeyAnnouncement> announcement; } HybRekeyBlob;
 *
 * The receive-key announcement (§5) is bound into the AAD with the rekey
 * targets: it decides where other members seal their next r to, so it must
 * not be swappable by anyone who cannot produce the hybrid ciphertext.
 */
import type { CipherSuite } from '../crypto/suite.js'
import { Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import type { HybridKeyAnnouncement, HybridRekey } from '../proto/hybrid.js'

const MSG_LABEL = new TextEncoder().encode('HYB1 msg')

export const REKEY_MODE_COPATH = 1
export const REKEY_MODE_PAIRWISE = 2

export interface RekeyContextFields {
  readonly groupId: Uint8Array
  readonly epoch: bigint
  readonly senderLeaf: number
  readonly step: number
  readonly pn: number
}

/** RekeyContext (§3). */
export function encodeRekeyContext(c: RekeyContextFields): Uint8Array {
  return new Writer(c.groupId.length + 32).opaque(c.groupId).u64(c.epoch).u32(c.senderLeaf).u32(c.step).u32(c.pn).finish()
}

/** RekeyContext || uint32(j) || uint32(v), the pairwise EncryptWithLabel context (§5). */
export function encodePairwiseContext(rekeyContext: Uint8Array, leaf: number, version: number): Uint8Array {
  return new Writer(rekeyContext.length + 8).bytes(rekeyContext).u32(leaf).u32(version).finish()
}

/** HybRekeyBlob; undefined when there is neither a rekey nor an announcement. */
export function encodeRekeyBlob(
  rekey: HybridRekey | undefined,
  announcement: HybridKeyAnnouncement | undefined,
): Uint8Array | undefined {
  if (rekey === undefined && announcement === undefined) return undefined
  const w = new Writer(256)
  w.optional(rekey, (v, r) => {
    const t = r.targets
    if (t === undefined) {
      // A present rekey without targets is refused by validation before this; encode it as an empty copath list.
      v.u8(REKEY_MODE_COPATH).list([], () => {})
    } else if (t.case === 'copath') {
      v.u8(REKEY_MODE_COPATH).list(t.value.entries, (x, e) => {
        x.u32(e.nodeIndex).opaque(e.kemOutput).opaque(e.ciphertext)
      })
    } else {
      v.u8(REKEY_MODE_PAIRWISE).list(t.value.entries, (x, e) => {
        x.u32(e.leaf).u32(e.keyVersion).opaque(e.kemOutput).opaque(e.ciphertext)
      })
    }
  })
  w.optional(announcement, (v, a) => {
    v.u32(a.version).opaque(a.publicKey)
  })
  return w.finish()
}

const emptyHashes = new Map<number, Uint8Array>()

/** rekey_hash of the AAD. */
export function rekeyHash(suite: CipherSuite, blob: Uint8Array | undefined): Uint8Array {
  if (blob !== undefined) return suite.hash(blob)
  let h = emptyHashes.get(suite.id)
  if (h === undefined) {
    h = suite.hash(new Uint8Array(0))
    emptyHashes.set(suite.id, h)
  }
  return h
}

export interface AadFields {
  readonly groupId: Uint8Array
  readonly epoch: bigint
  readonly senderLeaf: number
  readonly version: number
  readonly type: number
  readonly step: number
  readonly n: number
  readonly pn: number
  readonly reuseGuard: Uint8Array
  readonly rekeyHash: Uint8Array
}

/** The AEAD associated data (§4), written straight into one buffer (it is built for every message). */
export function encodeAad(a: AadFields): Uint8Array {
  const g = a.groupId.length
  if (g > 0x3fff) return encodeAadSlow(a)
  const vlen = g < 0x40 ? 1 : 2
  const out = new Uint8Array(MSG_LABEL.length + vlen + g + 8 + 4 + 2 + 12 + a.reuseGuard.length + a.rekeyHash.length)
  const dv = new DataView(out.buffer)
  out.set(MSG_LABEL, 0)
  let p = MSG_LABEL.length
  if (vlen === 1) out[p++] = g
  else {
    dv.setUint16(p, 0x4000 | g)
    p += 2
  }
  out.set(a.groupId, p)
  p += g
  checkInts(a)
  dv.setBigUint64(p, a.epoch)
  dv.setUint32(p + 8, a.senderLeaf)
  out[p + 12] = a.version
  out[p + 13] = a.type
  dv.setUint32(p + 14, a.step)
  dv.setUint32(p + 18, a.n)
  dv.setUint32(p + 22, a.pn)
  p += 26
  out.set(a.reuseGuard, p)
  out.set(a.rekeyHash, p + a.reuseGuard.length)
  return out
}

function checkInts(a: AadFields): void {
  const u32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff
  const u8 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xff
  if (!(u32(a.senderLeaf) && u32(a.step) && u32(a.n) && u32(a.pn) && u8(a.version) && u8(a.type) && a.epoch >= 0n && a.epoch <= 0xffffffffffffffffn)) {
    throw new TalosError('HYBRID_MALFORMED', 'AAD field out of range')
  }
}

/** The same bytes through the generic TLS writer (long group ids). */
export function encodeAadSlow(a: AadFields): Uint8Array {
  return new Writer(a.groupId.length + 96)
    .bytes(MSG_LABEL)
    .opaque(a.groupId)
    .u64(a.epoch)
    .u32(a.senderLeaf)
    .u8(a.version)
    .u8(a.type)
    .u32(a.step)
    .u32(a.n)
    .u32(a.pn)
    .bytes(a.reuseGuard)
    .bytes(a.rekeyHash)
    .finish()
}
