/**
 * JetStream names for Talos logs. Every name is derived from a hash of the
 * group id or DID (limits.ts groupToken/didToken), so names have a fixed
 * length and only [A-Za-z0-9_.] characters, whatever the ids contain.
 *
 *   group log   stream TALOS_G_<g>  subjects talos.g.<g>.c (commits), talos.g.<g>.m (messages)
 *   mailbox     stream TALOS_D_<d>  subject  talos.d.<d>
 *   directory   stream TALOS_KEYS_OT subjects talos.k1.<d>.<kind> (one-time items)
 *               stream TALOS_KEYS_LR subjects talos.k2.<d>.<kind> (last-resort, one per subject)
 *   cursors     durable consumer m_<d> on a group stream, `inbox` on a mailbox stream
 */
import { didToken, groupToken } from '../limits.js'

export interface LogNames {
  readonly stream: string
  /** Every subject of the stream. */
  readonly subjects: string[]
  /** Where commits go (group logs only). */
  readonly commitSubject: string | undefined
  /** Where everything else goes. */
  readonly messageSubject: string
}

export function groupNames(groupId: Uint8Array): LogNames {
  const g = groupToken(groupId)
  const commitSubject = `talos.g.${g}.c`
  const messageSubject = `talos.g.${g}.m`
  return { stream: `TALOS_G_${g}`, subjects: [commitSubject, messageSubject], commitSubject, messageSubject }
}

export function mailboxNames(did: string): LogNames {
  const d = didToken(did)
  const messageSubject = `talos.d.${d}`
  return { stream: `TALOS_D_${d}`, subjects: [messageSubject], commitSubject: undefined, messageSubject }
}

export function memberConsumer(did: string): string {
  return `m_${didToken(did)}`
}

export const MAILBOX_CONSUMER = 'inbox'

export const ONE_TIME_STREAM = 'TALOS_KEYS_OT'
export const LAST_RESORT_STREAM = 'TALOS_KEYS_LR'

export function oneTimeSubject(did: string, kind: string): string {
  return `talos.k1.${didToken(did)}.${kind}`
}

export function lastResortSubject(did: string, kind: string): string {
  return `talos.k2.${didToken(did)}.${kind}`
}

/** The header carrying a commit's epoch (delivery metadata, not trusted by receivers). */
export const EPOCH_HEADER = 'Talos-Epoch'
