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
 *
 * On the wire (proto/hybrid.proto) the entries sit directly in
 * HybridMessage as two lists; whether a message carries a rekey follows its
 * type (DATA_REKEY), not which list is present, so a sole member's rekey
 * (no entries) is still `rekey` present with an empty copath list.
 */
import type { CipherSuite } from '../crypto/suite.js'
import { MAX_VARINT, Writer, varintSize } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import {
  HybridMessageType,
  type HybridCopathEntry,
  type HybridKeyAnnouncement,
  type HybridMessage,
  type HybridPairwiseEntry,
} from '../proto/hybrid.js'

const MSG_LABEL = new TextEncoder().encode('HYB1 msg')

export const REKEY_MODE_COPATH = 1
export const REKEY_MODE_PAIRWISE = 2

/** HybRekeyTargets: a rekey's entries and their mode. */
export type RekeyTargets =
  | { readonly mode: 'copath'; readonly entries: readonly HybridCopathEntry[] }
  | { readonly mode: 'pairwise'; readonly entries: readonly HybridPairwiseEntry[] }

/** The fields of a HybridMessage that say whether and how it rekeys. */
export interface RekeyFields {
  readonly type: HybridMessageType
  readonly copath: readonly HybridCopathEntry[]
  readonly pairwise: readonly HybridPairwiseEntry[]
}

/**
 * The rekey a message carries: none unless it is a DATA_REKEY; then its
 * pairwise entries if it has any, else its copath entries (maybe none).
 * Validation (message.ts) refuses a DATA with entries and a DATA_REKEY with
 * both lists before anything reads this.
 */
export function rekeyTargets(m: RekeyFields): RekeyTargets | undefined {
  if (m.type !== HybridMessageType.DATA_REKEY) return undefined
  return m.pairwise.length > 0 ? { mode: 'pairwise', entries: m.pairwise } : { mode: 'copath', entries: m.copath }
}

/** HybRekeyBlob of a message (its rekey and announcement); undefined with neither. */
export function messageRekeyBlob(m: RekeyFields & Pick<HybridMessage, 'announcement'>): Uint8Array | undefined {
  return encodeRekeyBlob(rekeyTargets(m), m.announcement)
}

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

/** Size of the RFC 9420 §2.1.2 varint length prefix; refuses lengths it cannot carry. */
function vSize(len: number): number {
  if (len > MAX_VARINT) throw new TalosError('DECODE_VARINT_TOO_LARGE', `length ${len} does not fit an MLS varint`)
  return varintSize(len)
}

function putV(out: Uint8Array, p: number, len: number): number {
  if (len < 0x40) {
    out[p] = len
    return p + 1
  }
  if (len < 0x4000) {
    out[p] = 0x40 | (len >>> 8)
    out[p + 1] = len & 0xff
    return p + 2
  }
  out[p] = 0x80 | (len >>> 24)
  out[p + 1] = (len >>> 16) & 0xff
  out[p + 2] = (len >>> 8) & 0xff
  out[p + 3] = len & 0xff
  return p + 4
}

function putU32(out: Uint8Array, p: number, v: number): number {
  if (!isU32(v)) throw new TalosError('DECODE_INVALID_VALUE', `${String(v)} does not fit a uint32`)
  writeU32(out, p, v)
  return p + 4
}

function putOpaque(out: Uint8Array, p: number, b: Uint8Array): number {
  p = putV(out, p, b.length)
  out.set(b, p)
  return p + b.length
}

const opaqueSize = (b: Uint8Array): number => vSize(b.length) + b.length

/**
 * HybRekeyBlob; undefined when there is neither a rekey nor an announcement.
 * Sized first and written into one buffer (the same bytes as the TLS Writer
 * form, which test/hybrid/frame-writer.test.ts checks): it is built on every
 * rekey, by the sender and by each receiver.
 */
export function encodeRekeyBlob(rekey: RekeyTargets | undefined, announcement: HybridKeyAnnouncement | undefined): Uint8Array | undefined {
  if (rekey === undefined && announcement === undefined) return undefined
  let list = 0
  if (rekey !== undefined) {
    if (rekey.mode === 'copath') for (const e of rekey.entries) list += 4 + opaqueSize(e.kemOutput) + opaqueSize(e.ciphertext)
    else for (const e of rekey.entries) list += 8 + opaqueSize(e.kemOutput) + opaqueSize(e.ciphertext)
  }
  const size = (rekey === undefined ? 1 : 2 + vSize(list) + list) + (announcement === undefined ? 1 : 5 + opaqueSize(announcement.publicKey))
  const out = new Uint8Array(size)
  let p = 0
  if (rekey === undefined) out[p++] = 0
  else {
    out[p++] = 1
    out[p++] = rekey.mode === 'copath' ? REKEY_MODE_COPATH : REKEY_MODE_PAIRWISE
    p = putV(out, p, list)
    if (rekey.mode === 'copath') {
      for (const e of rekey.entries) p = putOpaque(out, putOpaque(out, putU32(out, p, e.nodeIndex), e.kemOutput), e.ciphertext)
    } else {
      for (const e of rekey.entries) p = putOpaque(out, putOpaque(out, putU32(out, putU32(out, p, e.leaf), e.keyVersion), e.kemOutput), e.ciphertext)
    }
  }
  if (announcement === undefined) out[p++] = 0
  else {
    out[p++] = 1
    p = putOpaque(out, putU32(out, p, announcement.version), announcement.publicKey)
  }
  if (p !== size) throw new TalosError('HYBRID_INTERNAL', 'rekey blob size mismatch')
  return out
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
