/**
 * Bounds and argument checks shared by every DeliveryService implementation,
 * so the three of them refuse exactly the same inputs with the same codes
 * (the contract suite checks that).
 */
import { TalosError } from '../errors.js'
import { sha256 } from '../crypto/sodium.js'
import { assertDid } from './did.js'
import type { PublishOptions } from './types.js'

/** Stays under NATS' default max_payload (1 MiB) with room for headers. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 1_000_000
/** MLS group ids are short (16-32 bytes in practice); 255 keeps every derived name bounded. */
export const MAX_GROUP_ID_BYTES = 255
/** Entries a single fetch returns at most. */
export const MAX_FETCH_ENTRIES = 1000
/** Bytes a single fetch returns at most (it stops early, never truncates an entry). */
export const MAX_FETCH_BYTES = 4 * 1024 * 1024
/** Default cap on one log's stored bytes; beyond it publishes fail with DELIVERY_LOG_FULL. */
export const DEFAULT_MAX_LOG_BYTES = 256 * 1024 * 1024
/** One-time directory items held per (did, kind). */
export const MAX_ONE_TIME_ITEMS = 1000
/** Items per addOneTime call. */
export const MAX_ONE_TIME_BATCH = 100
/** Size of one directory item (a KeyPackage with a big credential fits). */
export const MAX_DIRECTORY_ITEM_BYTES = 64 * 1024

const KIND_RE = /^[a-z0-9][a-z0-9-]{0,31}$/

export function checkGroupId(groupId: unknown): asserts groupId is Uint8Array {
  if (!(groupId instanceof Uint8Array) || groupId.length === 0 || groupId.length > MAX_GROUP_ID_BYTES) {
    throw new TalosError('DELIVERY_INVALID_GROUP_ID', `group id must be 1..${MAX_GROUP_ID_BYTES} bytes`)
  }
}

export function checkMemberDid(did: unknown): asserts did is string {
  assertDid(did, 'DELIVERY_INVALID_DID')
}

export function checkEnvelope(envelope: unknown, max: number): asserts envelope is Uint8Array {
  if (!(envelope instanceof Uint8Array) || envelope.length === 0) {
    throw new TalosError('DELIVERY_INVALID_ENVELOPE', 'an envelope is a non-empty Uint8Array')
  }
  if (envelope.length > max) {
    throw new TalosError('DELIVERY_TOO_LARGE', `envelope of ${envelope.length} bytes exceeds the limit of ${max}`)
  }
}

export function checkSeq(seq: unknown, what: string): asserts seq is number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new TalosError('DELIVERY_INVALID_SEQ', `${what} must be a non-negative safe integer`)
  }
}

export function checkPublishOptions(options: unknown): asserts options is PublishOptions {
  const o = options as Partial<{ kind: unknown; epoch: unknown }> | undefined
  if (o?.kind === 'message') return
  if (o?.kind === 'commit') {
    if (typeof o.epoch !== 'number' || !Number.isSafeInteger(o.epoch) || o.epoch < 0) {
      throw new TalosError('DELIVERY_INVALID_EPOCH', 'a commit epoch must be a non-negative safe integer')
    }
    return
  }
  throw new TalosError('DELIVERY_INVALID_KIND', "publish options must be { kind: 'message' } or { kind: 'commit', epoch }")
}

export function checkFetchLimit(limit: unknown): number {
  if (limit === undefined) return MAX_FETCH_ENTRIES
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new TalosError('DELIVERY_INVALID_LIMIT', 'fetch limit must be a positive integer')
  }
  return Math.min(limit, MAX_FETCH_ENTRIES)
}

export function checkItemKind(kind: unknown): asserts kind is string {
  if (typeof kind !== 'string' || !KIND_RE.test(kind)) {
    throw new TalosError('DELIVERY_INVALID_KIND', 'a directory kind is 1..32 chars of [a-z0-9-], e.g. "mls-keypackage"')
  }
}

export function checkDirectoryItem(item: unknown): asserts item is Uint8Array {
  if (!(item instanceof Uint8Array) || item.length === 0 || item.length > MAX_DIRECTORY_ITEM_BYTES) {
    throw new TalosError('DELIVERY_INVALID_ITEM', `a directory item is 1..${MAX_DIRECTORY_ITEM_BYTES} bytes`)
  }
}

export function checkOneTimeBatch(items: unknown): asserts items is readonly Uint8Array[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ONE_TIME_BATCH) {
    throw new TalosError('DELIVERY_INVALID_ITEM', `addOneTime takes 1..${MAX_ONE_TIME_BATCH} items`)
  }
  for (const item of items) checkDirectoryItem(item)
}

const hexTable = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += hexTable[x]
  return s
}

/**
 * A fixed-length token for names derived from a group id (stream names,
 * subjects, map keys): hex(SHA-256(group id)). Fixed length keeps NATS
 * names within limits whatever the id; collisions would need a SHA-256
 * collision.
 */
export function groupToken(groupId: Uint8Array): string {
  return toHex(sha256(groupId))
}

export function didToken(did: string): string {
  return toHex(sha256(new TextEncoder().encode(did)))
}
