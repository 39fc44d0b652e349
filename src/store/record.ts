/**
 * The on-disk record of one FileStore key (TLS presentation language,
 * src/codec/tls.ts):
 *
 *   struct {
 *     opaque magic[4] = "TSR1";
 *     uint8  flags;           // bit 0: deleted (a tombstone that keeps the version)
 *     uint64 version;
 *     opaque payload<V>;
 *     opaque checksum[32];    // SHA-256 of every byte before it
 *   } StoreRecord;
 *
 * The rename makes a record appear whole or not at all; the checksum catches
 * what rename cannot (a disk or a person corrupting the file), so a damaged
 * record is STORE_CORRUPT instead of state that parses into nonsense.
 */
import { Reader, Writer } from '../codec/tls.js'
import { constantTimeEqual, sha256 } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'

const MAGIC = new Uint8Array([0x54, 0x53, 0x52, 0x31]) // "TSR1"
const FLAG_DELETED = 1
/** magic + flags + version: enough to tell a tombstone and its version. */
export const RECORD_HEADER_BYTES = 4 + 1 + 8

export interface StoreRecord {
  readonly version: number
  readonly deleted: boolean
  readonly payload: Uint8Array
}

/**
 * The record in one buffer of its exact size, which the caller can wipe: the
 * payload is copied exactly once (a Writer would leave its own growing
 * buffers and a copy behind). Only the header and length prefix, which hold
 * nothing secret, go through a Writer.
 */
export function encodeRecord(r: StoreRecord): Uint8Array {
  const head = new Writer(4 + 1 + 8 + 4).bytes(MAGIC).u8(r.deleted ? FLAG_DELETED : 0).u64(r.version).varint(r.payload.length).finish()
  const bodyLength = head.length + r.payload.length
  const out = new Uint8Array(bodyLength + 32)
  out.set(head, 0)
  out.set(r.payload, head.length)
  out.set(sha256(out.subarray(0, bodyLength)), bodyLength)
  return out
}

function corrupt(what: string, why: string): TalosError {
  return new TalosError('STORE_CORRUPT', `${what}: ${why}`)
}

/** Parses the fixed-size header only (magic, flags, version). */
export function decodeHeader(bytes: Uint8Array, what: string): { deleted: boolean; version: number } {
  if (bytes.length < RECORD_HEADER_BYTES || !constantTimeEqual(bytes.subarray(0, 4), MAGIC)) {
    throw corrupt(what, 'not a store record')
  }
  const flags = bytes[4]!
  if ((flags & ~FLAG_DELETED) !== 0) throw corrupt(what, `unknown flags ${flags}`)
  const version = new DataView(bytes.buffer, bytes.byteOffset + 5, 8).getBigUint64(0)
  if (version > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(what, 'version out of range')
  return { deleted: (flags & FLAG_DELETED) !== 0, version: Number(version) }
}

/** The payload is a copy: `bytes` can be wiped once this returns. */
export function decodeRecord(bytes: Uint8Array, what: string): StoreRecord {
  if (bytes.length < RECORD_HEADER_BYTES + 1 + 32) throw corrupt(what, 'truncated')
  const body = bytes.subarray(0, bytes.length - 32)
  if (!constantTimeEqual(sha256(body), bytes.subarray(bytes.length - 32))) throw corrupt(what, 'checksum mismatch')
  const { deleted, version } = decodeHeader(bytes, what)
  try {
    const r = new Reader(body, RECORD_HEADER_BYTES)
    const payload = r.opaque()
    r.assertDone(what)
    return { version, deleted, payload }
  } catch (e) {
    throw corrupt(what, e instanceof Error ? e.message : String(e))
  }
}
