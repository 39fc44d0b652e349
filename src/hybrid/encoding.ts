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

/**
 * "HYB1 msg" || group_id<V> || uint64 epoch || uint32 sender_leaf: the part
 * of the AAD that is fixed per (epoch, sender). Callers on the hot path cache it.
 */
export function aadPrefix(groupId: Uint8Array, epoch: bigint, senderLeaf: number): Uint8Array {
  if (!(epoch >= 0n && epoch <= 0xffffffffffffffffn) || !Number.isInteger(senderLeaf) || senderLeaf < 0 || senderLeaf > 0xffffffff) {
    throw new TalosError('HYBRID_MALFORMED', 'AAD field out of range')
  }
  return new Writer(groupId.length + 24).bytes(MSG_LABEL).opaque(groupId).u64(epoch).u32(senderLeaf).finish()
}

/** The AEAD associated data (§4) from a cached prefix: one allocation per message. */
export function encodeAadFrom(prefix: Uint8Array, a: Omit<AadFields, 'groupId' | 'epoch' | 'senderLeaf'>): Uint8Array {
  return writeAad(new Uint8Array(prefix.length + 14 + a.reuseGuard.length + a.rekeyHash.length), prefix, false, a)
}

/**
 * The AEAD associated data written into `out` (prefix.length + 14 +
 * reuse_guard + rekey_hash bytes). With `prefixWritten`, `out` already starts
 * with the prefix: a per-sender scratch buffer, rewritten per message and only
 * ever handed to a synchronous seal/open.
 */
export function writeAad(out: Uint8Array, prefix: Uint8Array, prefixWritten: boolean, a: Omit<AadFields, 'groupId' | 'epoch' | 'senderLeaf'>): Uint8Array {
  if (!(isU32(a.step) && isU32(a.n) && isU32(a.pn) && isU8(a.version) && isU8(a.type))) {
    throw new TalosError('HYBRID_MALFORMED', 'AAD field out of range')
  }
  const p = prefix.length
  if (out.length !== p + 14 + a.reuseGuard.length + a.rekeyHash.length) throw new TalosError('HYBRID_MALFORMED', 'AAD buffer of the wrong size')
  if (!prefixWritten) out.set(prefix, 0)
  out[p] = a.version
  out[p + 1] = a.type
  writeU32(out, p + 2, a.step)
  writeU32(out, p + 6, a.n)
  writeU32(out, p + 10, a.pn)
  out.set(a.reuseGuard, p + 14)
  out.set(a.rekeyHash, p + 14 + a.reuseGuard.length)
  return out
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff
}

function isU8(v: number): boolean {
  return v >= 0 && v <= 0xff
}

function writeU32(out: Uint8Array, pos: number, v: number): void {
  out[pos] = v >>> 24
  out[pos + 1] = (v >>> 16) & 0xff
  out[pos + 2] = (v >>> 8) & 0xff
  out[pos + 3] = v & 0xff
}

/** The AEAD associated data (§4). */
export function encodeAad(a: AadFields): Uint8Array {
  return encodeAadFrom(aadPrefix(a.groupId, a.epoch, a.senderLeaf), a)
}
