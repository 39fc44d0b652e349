/**
 * What an audit entry signs and what the chain hashes: a canonical TLS
 * encoding (src/codec/tls.ts) of the entry's fields, never its Protobuf
 * bytes (Protobuf encoding is not canonical).
 *
 *   struct {
 *     uint8  type;
 *     opaque group_id<V>;
 *     opaque sender<V>;                 // UTF-8 DID
 *     opaque recipients<V>;             // vector of opaque<V> DIDs, in the order given
 *     opaque content_hash<V>;
 *     uint64 epoch;
 *     opaque member<V>;
 *     uint64 timestamp_ms;
 *   } AuditEventTBS;
 *
 *   struct {
 *     opaque label<V> = "talos audit entry v1";
 *     uint64 seq;
 *     opaque prev_hash<V>;
 *     AuditEventTBS event;
 *     opaque signer<V>;
 *   } AuditEntryTBS;
 *
 * An event that states a removal reason (MEMBER_REMOVED with reason != 0,
 * e.g. an idle eviction) is encoded as AuditEntryTBSv2: label "talos audit
 * entry v2" and `uint8 reason` after timestamp_ms. Entries without a reason
 * keep the v1 bytes exactly, so logs written before the field existed still
 * hash and verify; the distinct label keeps the two encodings from ever
 * coinciding.
 *
 *   signature  = Ed25519(signer key, AuditEntryTBS)
 *   entry hash = SHA-256(AuditEntryTBS)
 *
 * The entry hash leaves the signature out on purpose: the next entry's
 * prev_hash then pins the entry's content alone, which lets a verifier tell
 * an altered entry (content no longer matches what its successor chained
 * to) from a bad signature over unchanged content.
 */
import { Writer } from '../codec/tls.js'
import { sha256 } from '../crypto/sodium.js'
import { isDid } from '../delivery/did.js'
import { AuditEventType, RemovalReason, type AuditEntry, type AuditEvent } from '../proto/audit.js'

const LABEL = new TextEncoder().encode('talos audit entry v1')
const LABEL_V2 = new TextEncoder().encode('talos audit entry v2')
const utf8 = new TextEncoder()

export const HASH_BYTES = 32
export const SIGNATURE_BYTES = 64
/** prev_hash of the first entry. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(HASH_BYTES)
/** Recipients one GROUP_MESSAGE event may list. */
export const MAX_RECIPIENTS = 5000
const MAX_GROUP_ID_BYTES = 255
const U64_MAX = (1n << 64n) - 1n

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array
const isU64 = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v <= U64_MAX

/**
 * Why an event is malformed, or undefined if it is well-formed. Takes any
 * value (events come from callers, entries from storage or another party)
 * and checks every field's type before it is measured or encoded.
 */
export function eventProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return 'the event is not an object'
  const e = event as { readonly [K in keyof AuditEvent]?: unknown }
  if (!isBytes(e.groupId) || e.groupId.length === 0 || e.groupId.length > MAX_GROUP_ID_BYTES) {
    return isBytes(e.groupId) ? `group_id of ${e.groupId.length} bytes` : 'group_id is not a Uint8Array'
  }
  if (!isDid(e.sender)) return 'sender is not a DID'
  if (!isU64(e.epoch) || !isU64(e.timestampMs)) return 'epoch or timestamp is not a uint64 bigint'
  if (!Array.isArray(e.recipients) || !isBytes(e.contentHash) || typeof e.member !== 'string') {
    return 'recipients, content_hash or member has the wrong type'
  }
  const recipients: readonly unknown[] = e.recipients
  const message = e.type === AuditEventType.GROUP_MESSAGE
  const membership = e.type === AuditEventType.MEMBER_ADDED || e.type === AuditEventType.MEMBER_REMOVED
  switch (e.type) {
    case AuditEventType.GROUP_MESSAGE:
    case AuditEventType.MEMBER_ADDED:
    case AuditEventType.MEMBER_REMOVED:
    case AuditEventType.EPOCH_CHANGED:
      break
    default:
      return `unknown event type ${String(e.type)}`
  }
  if (message) {
    if (e.contentHash.length !== HASH_BYTES) return 'GROUP_MESSAGE needs a 32-byte content_hash'
    if (recipients.length > MAX_RECIPIENTS) return `more than ${MAX_RECIPIENTS} recipients`
    if (!recipients.every(isDid)) return 'a recipient is not a DID'
  } else if (e.contentHash.length !== 0 || recipients.length !== 0) {
    return 'content_hash and recipients belong to GROUP_MESSAGE only'
  }
  if (membership ? !isDid(e.member) : e.member !== '') {
    return membership ? 'MEMBER_ADDED/REMOVED needs the member DID' : 'member belongs to MEMBER_ADDED/REMOVED only'
  }
  // Absent (an event built before the field existed) reads as unspecified.
  const reason: unknown = e.reason ?? RemovalReason.REMOVAL_REASON_UNSPECIFIED
  if (reason !== RemovalReason.REMOVAL_REASON_UNSPECIFIED && reason !== RemovalReason.IDLE) return `unknown removal reason ${String(reason)}`
  if (reason !== RemovalReason.REMOVAL_REASON_UNSPECIFIED && e.type !== AuditEventType.MEMBER_REMOVED) return 'a removal reason belongs to MEMBER_REMOVED only'
  return undefined
}

/** Why an entry is malformed, or undefined; any value, as eventProblem. */
export function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'the entry is not an object'
  const e = entry as { readonly [K in keyof AuditEntry]?: unknown }
  if (e.event === undefined) return 'no event'
  if (!isU64(e.seq)) return 'seq is not a uint64 bigint'
  if (!isBytes(e.prevHash) || e.prevHash.length !== HASH_BYTES) return `prev_hash is not ${HASH_BYTES} bytes`
  if (!isBytes(e.signature) || e.signature.length !== SIGNATURE_BYTES) return `signature is not ${SIGNATURE_BYTES} bytes`
  if (!isDid(e.signer)) return 'signer is not a DID'
  return eventProblem(e.event)
}

const reasonOf = (e: AuditEvent): RemovalReason => e.reason ?? RemovalReason.REMOVAL_REASON_UNSPECIFIED

function writeEvent(w: Writer, e: AuditEvent): void {
  w.u8(e.type)
    .opaque(e.groupId)
    .opaque(utf8.encode(e.sender))
    .list(e.recipients, (x, r) => x.opaque(utf8.encode(r)))
    .opaque(e.contentHash)
    .u64(e.epoch)
    .opaque(utf8.encode(e.member))
    .u64(e.timestampMs)
  if (reasonOf(e) !== RemovalReason.REMOVAL_REASON_UNSPECIFIED) w.u8(reasonOf(e))
}

/** AuditEntryTBS for a well-formed entry (check entryProblem first). */
export function entryTbs(e: Pick<AuditEntry, 'seq' | 'prevHash' | 'signer'> & { event: AuditEvent }): Uint8Array {
  const w = new Writer(256)
  w.opaque(reasonOf(e.event) === RemovalReason.REMOVAL_REASON_UNSPECIFIED ? LABEL : LABEL_V2).u64(e.seq).opaque(e.prevHash)
  writeEvent(w, e.event)
  w.opaque(utf8.encode(e.signer))
  return w.finish()
}

export function entryHash(e: Pick<AuditEntry, 'seq' | 'prevHash' | 'signer'> & { event: AuditEvent }): Uint8Array {
  return sha256(entryTbs(e))
}
