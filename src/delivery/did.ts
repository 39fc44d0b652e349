/**
 * DID syntax check (W3C DID Core §3.1, restricted): `did:<method>:<id>` with a
 * lowercase alphanumeric method and an id of unreserved characters, ':' and
 * %-escapes, at most MAX_DID_LENGTH characters. Members are `did:talos:...`,
 * but other methods are accepted so foreign agents can be addressed.
 *
 * DIDs name mailboxes, cursors, audit signers and capability approvers, so a
 * malformed or oversized one is refused at the edge, with the caller's code.
 */
import { TalosError, type TalosErrorCode } from '../errors.js'

export const MAX_DID_LENGTH = 256

const DID_RE = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/

export function isDid(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_DID_LENGTH && DID_RE.test(v)
}

export function assertDid(v: unknown, code: TalosErrorCode, what = 'DID'): asserts v is string {
  if (!isDid(v)) {
    const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 64)) : typeof v
    throw new TalosError(code, `${what} ${shown} is not a valid DID (did:<method>:<id>, at most ${MAX_DID_LENGTH} chars)`)
  }
}
