/**
 * StateStore: where client and group state live between runs (libsignal's
 * idea: protocol code sees a small store interface, never files).
 *
 * Every key holds opaque bytes with a version number. Writes are
 * compare-and-swap on that version, so a writer that read version v can only
 * replace version v: two writers racing on a group state cannot silently
 * overwrite each other (the loser gets STORE_CONFLICT and re-reads).
 *
 * Versions of a key only grow, across deletes too: a key deleted at version
 * v and created again starts at v+1, so a stale writer holding v can never
 * succeed against the new value (no ABA).
 */
import { TalosError } from '../errors.js'

export interface Versioned {
  readonly version: number
  readonly bytes: Uint8Array
}

export interface StateStore {
  /**
   * The current value, or undefined if the key does not exist (or was
   * deleted). The bytes are a fresh copy owned by the caller: values hold
   * private keys, so wipe them once decoded. The store keeps (and wipes) its
   * own copies; `put` copies `bytes` and never touches the caller's buffer.
   */
  get(key: string): Promise<Versioned | undefined>
  /**
   * Writes `bytes` if the key is at `expectedVersion` (0 = must not exist)
   * and returns the new version. Otherwise STORE_CONFLICT and nothing changes.
   * Durable when the promise resolves.
   */
  put(key: string, bytes: Uint8Array, expectedVersion: number): Promise<number>
  /** Deletes the key if it is at `expectedVersion`; otherwise STORE_CONFLICT. */
  delete(key: string, expectedVersion: number): Promise<void>
  /** Keys that exist and start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>
}

/** Keys are short printable ASCII, e.g. "group/5f3a...", "client/did:talos:alice". */
export const MAX_KEY_LENGTH = 110
/** One state value: room for the ratchet tree of a very large group. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024

const KEY_RE = /^[\x21-\x7e]+$/

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_RE.test(key)) {
    throw new TalosError('STORE_INVALID_KEY', `a key is 1..${MAX_KEY_LENGTH} printable ASCII characters`)
  }
}

export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH || (prefix.length > 0 && !KEY_RE.test(prefix))) {
    throw new TalosError('STORE_INVALID_KEY', 'a prefix is up to a key length of printable ASCII')
  }
}

export function checkValue(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_VALUE_BYTES) {
    throw new TalosError('STORE_INVALID_VALUE', `a value is a Uint8Array of at most ${MAX_VALUE_BYTES} bytes`)
  }
}

export function checkVersion(v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new TalosError('STORE_INVALID_VERSION', 'a version is a non-negative safe integer')
  }
}

export function conflict(key: string, expected: number, actual: number): TalosError {
  return new TalosError('STORE_CONFLICT', `${key}: expected version ${expected}, found ${actual}`)
}
