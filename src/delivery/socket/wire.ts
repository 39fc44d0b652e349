/**
 * Conversions between the DeliveryService types and the loopback protocol's
 * Protobuf messages (proto/delivery.proto). Everything read from the peer is
 * checked here: a value that does not fit (a seq beyond 2^53, an unknown
 * error code) is a malformed frame, never a silently wrong number.
 */
import { TalosError } from '../../errors.js'
import { DeliveryEntryKind, type DeliveryCommitRef, type DeliveryEntry, type DeliveryError } from '../../proto/delivery.js'
import { DeliveryConflictError, type CommitRef, type EntryKind, type LogEntry } from '../types.js'

export const PROTOCOL_VERSION = 1
/** Request/response overhead allowed on top of the envelope in one frame. */
export const FRAME_OVERHEAD_BYTES = 64 * 1024

export function malformed(what: string): TalosError {
  return new TalosError('DELIVERY_MALFORMED_FRAME', what)
}

export function seqToWire(n: number): bigint {
  return BigInt(n)
}

export function seqFromWire(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${what} ${v} exceeds 2^53-1`)
  return Number(v)
}

export function kindToWire(kind: EntryKind): DeliveryEntryKind {
  switch (kind) {
    case 'message':
      return DeliveryEntryKind.DELIVERY_ENTRY_KIND_MESSAGE
    case 'commit':
      return DeliveryEntryKind.DELIVERY_ENTRY_KIND_COMMIT
    case 'direct':
      return DeliveryEntryKind.DELIVERY_ENTRY_KIND_DIRECT
  }
}

export function kindFromWire(kind: DeliveryEntryKind): EntryKind {
  switch (kind) {
    case DeliveryEntryKind.DELIVERY_ENTRY_KIND_MESSAGE:
      return 'message'
    case DeliveryEntryKind.DELIVERY_ENTRY_KIND_COMMIT:
      return 'commit'
    case DeliveryEntryKind.DELIVERY_ENTRY_KIND_DIRECT:
      return 'direct'
    default:
      throw malformed(`entry kind ${kind}`)
  }
}

export function entryToWire(e: LogEntry): DeliveryEntry {
  return { seq: seqToWire(e.seq), kind: kindToWire(e.kind), bytes: e.bytes }
}

export function entryFromWire(e: DeliveryEntry | undefined, maxBytes: number): LogEntry {
  if (e === undefined) throw malformed('missing entry')
  const seq = seqFromWire(e.seq, 'entry seq')
  if (seq < 1) throw malformed('entry seq 0')
  if (e.bytes.length === 0 || e.bytes.length > maxBytes) throw malformed(`entry of ${e.bytes.length} bytes`)
  return { seq, kind: kindFromWire(e.kind), bytes: e.bytes }
}

export function commitToWire(c: CommitRef): DeliveryCommitRef {
  return { seq: seqToWire(c.seq), epoch: seqToWire(c.epoch) }
}

export function commitFromWire(c: DeliveryCommitRef): CommitRef {
  return { seq: seqFromWire(c.seq, 'commit seq'), epoch: seqFromWire(c.epoch, 'commit epoch') }
}

const MAX_ERROR_MESSAGE = 512

/**
 * What the server tells a client about a failure. Only DELIVERY_* codes cross
 * the wire as themselves; anything else (a bug in the server) is reported as
 * DELIVERY_INTERNAL without details.
 */
export function errorToWire(e: unknown): DeliveryError {
  if (e instanceof TalosError && e.code.startsWith('DELIVERY_')) {
    return {
      code: e.code,
      message: e.message.slice(0, MAX_ERROR_MESSAGE),
      latestCommit: e instanceof DeliveryConflictError ? commitToWire(e.latestCommit) : undefined,
    }
  }
  return { code: 'DELIVERY_INTERNAL', message: 'internal error in the delivery server', latestCommit: undefined }
}

const REMOTE_CODE_RE = /^DELIVERY_[A-Z0-9_]{1,64}$/

export function errorFromWire(e: DeliveryError): TalosError {
  const message = `server: ${e.message.slice(0, MAX_ERROR_MESSAGE)}`
  if (!REMOTE_CODE_RE.test(e.code)) return new TalosError('DELIVERY_REMOTE_ERROR', message)
  if (e.code === 'DELIVERY_CONFLICT') {
    if (e.latestCommit === undefined) throw malformed('DELIVERY_CONFLICT without latest_commit')
    return new DeliveryConflictError(commitFromWire(e.latestCommit), message)
  }
  return new TalosError(e.code as `DELIVERY_${string}`, message)
}
