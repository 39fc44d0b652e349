/**
 * Builders for the four audit events, so callers (src/group) cannot mix up
 * which fields belong to which type. Each returns a checked AuditEvent; the
 * timestamp is filled in by AuditLog.append. Input of the wrong shape (a
 * string epoch, recipients that are not an array, content that is not
 * bytes) is AUDIT_INVALID_EVENT: nothing is coerced.
 */
import { sha256 } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { AuditEventType, RemovalReason, type AuditEvent } from '../proto/audit.js'
import { eventProblem } from './canonical.js'

export interface EventBase {
  readonly groupId: Uint8Array
  /** DID of the agent that acted. */
  readonly sender: string
  readonly epoch: number | bigint
}

const invalid = (why: string): TalosError => new TalosError('AUDIT_INVALID_EVENT', why)

function checkBase(base: EventBase): void {
  if (typeof base !== 'object' || base === null) throw invalid('the event is not an object')
  const epoch: unknown = base.epoch
  // Negative numbers become negative bigints, which eventProblem refuses.
  if (typeof epoch === 'number' ? !Number.isSafeInteger(epoch) : typeof epoch !== 'bigint') {
    throw invalid('epoch must be an integer (number or bigint)')
  }
}

function make(type: AuditEventType, base: EventBase, extra: Partial<AuditEvent>): AuditEvent {
  checkBase(base)
  const event: AuditEvent = {
    type,
    groupId: base.groupId,
    sender: base.sender,
    recipients: [],
    contentHash: new Uint8Array(0),
    epoch: BigInt(base.epoch),
    member: '',
    timestampMs: 0n,
    reason: RemovalReason.REMOVAL_REASON_UNSPECIFIED,
    ...extra,
  }
  const problem = eventProblem(event)
  if (problem !== undefined) throw new TalosError('AUDIT_INVALID_EVENT', problem)
  return event
}

/** A message sent to the group. Pass the content (hashed here) or its SHA-256. */
export function groupMessageEvent(
  base: EventBase & { readonly recipients: readonly string[] } & (
      | { readonly content: Uint8Array }
      | { readonly contentHash: Uint8Array }
    ),
): AuditEvent {
  checkBase(base)
  if (!Array.isArray(base.recipients)) throw invalid('recipients is not an array')
  if ('content' in base && !(base.content instanceof Uint8Array)) throw invalid('content is not a Uint8Array')
  const contentHash = 'content' in base ? sha256(base.content) : base.contentHash
  return make(AuditEventType.GROUP_MESSAGE, base, { recipients: [...base.recipients], contentHash })
}

export function memberAddedEvent(base: EventBase & { readonly member: string }): AuditEvent {
  return make(AuditEventType.MEMBER_ADDED, base, { member: base.member })
}

/** `reason` says why, when the remover knows (an idle eviction); omitted, the entry keeps the v1 encoding. */
export function memberRemovedEvent(base: EventBase & { readonly member: string; readonly reason?: RemovalReason }): AuditEvent {
  return make(AuditEventType.MEMBER_REMOVED, base, { member: base.member, reason: base.reason ?? RemovalReason.REMOVAL_REASON_UNSPECIFIED })
}

export function epochChangedEvent(base: EventBase): AuditEvent {
  return make(AuditEventType.EPOCH_CHANGED, base, {})
}
