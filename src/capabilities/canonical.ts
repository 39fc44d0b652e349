/**
 * What grants and approvals sign (TLS presentation language, src/codec/tls.ts):
 *
 *   struct {
 *     opaque label<V> = "talos capability grant v1";
 *     opaque group_id<V>;
 *     opaque scope<V>;              // UTF-8
 *     uint64 epoch;
 *     opaque members<V>;            // vector of opaque<V> DIDs, sorted, distinct
 *     uint8  require_consensus;     // 0 or 1
 *     opaque grantor<V>;
 *     opaque nonce<V>;
 *   } GrantTBS;                     // grantor signs it; grant hash = SHA-256(GrantTBS)
 *
 *   struct {
 *     opaque label<V> = "talos capability approval v1";
 *     opaque group_id<V>;
 *     uint64 epoch;
 *     opaque scope<V>;
 *     opaque grant_hash<V>;
 *     uint8  decision;              // 1 approve, 2 refuse
 *     opaque approver<V>;
 *   } ApprovalTBS;                  // the approver signs it
 *
 * An approval repeats group id, epoch and scope although the grant hash
 * already pins them, so what a member signed is readable on its own: "I
 * approve scope S for group G at epoch E".
 */
import { Writer } from '../codec/tls.js'
import { sha256 } from '../crypto/sodium.js'
import { isDid } from '../delivery/did.js'
import type { CapabilityDecision, GroupCapabilityApproval, GroupCapabilityGrant } from '../proto/capability.js'

const GRANT_LABEL = new TextEncoder().encode('talos capability grant v1')
const APPROVAL_LABEL = new TextEncoder().encode('talos capability approval v1')
const utf8 = new TextEncoder()

export const MAX_SCOPE_BYTES = 256
/** Members a grant may list (and so approvals it may need). */
export const MAX_MEMBERS = 10_000
export const MIN_NONCE_BYTES = 16
export const MAX_NONCE_BYTES = 64
export const SIGNATURE_BYTES = 64
const MAX_GROUP_ID_BYTES = 255
const U64_MAX = (1n << 64n) - 1n
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

export function scopeProblem(scope: string): string | undefined {
  const n = utf8.encode(scope).length
  if (n === 0 || n > MAX_SCOPE_BYTES) return `scope of ${n} bytes (1..${MAX_SCOPE_BYTES})`
  if (CONTROL.test(scope)) return 'scope contains control characters'
  return undefined
}

/** Why a grant is malformed (before any signature check), or undefined. */
export function grantProblem(g: GroupCapabilityGrant): string | undefined {
  if (g.groupId.length === 0 || g.groupId.length > MAX_GROUP_ID_BYTES) return `group_id of ${g.groupId.length} bytes`
  const scope = scopeProblem(g.scope)
  if (scope !== undefined) return scope
  if (g.epoch < 0n || g.epoch > U64_MAX) return 'epoch out of range'
  if (g.members.length === 0 || g.members.length > MAX_MEMBERS) return `${g.members.length} members (1..${MAX_MEMBERS})`
  for (let i = 0; i < g.members.length; i++) {
    if (!isDid(g.members[i])) return `member ${i} is not a DID`
    if (i > 0 && !(g.members[i - 1]! < g.members[i]!)) return 'members are not sorted and distinct'
  }
  if (!isDid(g.grantor)) return 'grantor is not a DID'
  if (g.nonce.length < MIN_NONCE_BYTES || g.nonce.length > MAX_NONCE_BYTES) return `nonce of ${g.nonce.length} bytes`
  if (g.signature.length !== SIGNATURE_BYTES) return `signature of ${g.signature.length} bytes`
  return undefined
}

export function grantTbs(g: Omit<GroupCapabilityGrant, 'signature'>): Uint8Array {
  return new Writer(256 + g.members.length * 40)
    .opaque(GRANT_LABEL)
    .opaque(g.groupId)
    .opaque(utf8.encode(g.scope))
    .u64(g.epoch)
    .list(g.members, (w, m) => w.opaque(utf8.encode(m)))
    .u8(g.requireConsensus ? 1 : 0)
    .opaque(utf8.encode(g.grantor))
    .opaque(g.nonce)
    .finish()
}

/** SHA-256(GrantTBS): what approvals refer to. */
export function grantHash(g: Omit<GroupCapabilityGrant, 'signature'>): Uint8Array {
  return sha256(grantTbs(g))
}

export function approvalTbs(
  grant: Pick<GroupCapabilityGrant, 'groupId' | 'epoch' | 'scope'>,
  a: Pick<GroupCapabilityApproval, 'grantHash' | 'approver'> & { decision: CapabilityDecision },
): Uint8Array {
  return new Writer(256)
    .opaque(APPROVAL_LABEL)
    .opaque(grant.groupId)
    .u64(grant.epoch)
    .opaque(utf8.encode(grant.scope))
    .opaque(a.grantHash)
    .u8(a.decision)
    .opaque(utf8.encode(a.approver))
    .finish()
}
