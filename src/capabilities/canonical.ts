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
import { TalosError } from '../errors.js'
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

// Lone surrogates: TextEncoder would sign U+FFFD in their place, so the
// signed bytes would not be the scope the caller showed.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

export function scopeProblem(scope: unknown): string | undefined {
  if (typeof scope !== 'string') return 'scope is not a string'
  if (LONE_SURROGATE.test(scope)) return 'scope is not well-formed UTF-16'
  const n = utf8.encode(scope).length
  if (n === 0 || n > MAX_SCOPE_BYTES) return `scope of ${n} bytes (1..${MAX_SCOPE_BYTES})`
  if (CONTROL.test(scope)) return 'scope contains control characters'
  return undefined
}

/**
 * Why the signed fields of a grant are malformed, or undefined. Takes any
 * value: grants arrive decoded from the wire, rebuilt from JSON, or from
 * callers whose types were cast away, and every field is checked for its
 * type before it is measured or encoded.
 */
export function unsignedGrantProblem(g: unknown): string | undefined {
  if (typeof g !== 'object' || g === null) return 'the grant is not an object'
  const x = g as { readonly [K in keyof GroupCapabilityGrant]?: unknown }
  if (!isBytes(x.groupId) || x.groupId.length === 0 || x.groupId.length > MAX_GROUP_ID_BYTES) {
    return isBytes(x.groupId) ? `group_id of ${x.groupId.length} bytes` : 'group_id is not a Uint8Array'
  }
  const scope = scopeProblem(x.scope)
  if (scope !== undefined) return scope
  if (typeof x.epoch !== 'bigint' || x.epoch < 0n || x.epoch > U64_MAX) return 'epoch is not a uint64 bigint'
  if (!Array.isArray(x.members)) return 'members is not an array'
  const members: readonly unknown[] = x.members
  if (members.length === 0 || members.length > MAX_MEMBERS) return `${members.length} members (1..${MAX_MEMBERS})`
  for (let i = 0; i < members.length; i++) {
    if (!isDid(members[i])) return `member ${i} is not a DID`
    if (i > 0 && !((members[i - 1] as string) < (members[i] as string))) return 'members are not sorted and distinct'
  }
  if (typeof x.requireConsensus !== 'boolean') return 'require_consensus is not a boolean'
  if (!isDid(x.grantor)) return 'grantor is not a DID'
  if (!isBytes(x.nonce) || x.nonce.length < MIN_NONCE_BYTES || x.nonce.length > MAX_NONCE_BYTES) {
    return isBytes(x.nonce) ? `nonce of ${x.nonce.length} bytes` : 'nonce is not a Uint8Array'
  }
  return undefined
}

/** Why a grant is malformed (before any signature check), or undefined. */
export function grantProblem(g: unknown): string | undefined {
  const problem = unsignedGrantProblem(g)
  if (problem !== undefined) return problem
  const signature = (g as { signature?: unknown }).signature
  if (!isBytes(signature) || signature.length !== SIGNATURE_BYTES) return `signature is not ${SIGNATURE_BYTES} bytes`
  return undefined
}

/** Why an approval is malformed (before it is matched to a grant), or undefined. */
export function approvalShapeProblem(a: unknown): string | undefined {
  if (typeof a !== 'object' || a === null) return 'not an object'
  const x = a as { readonly [K in keyof GroupCapabilityApproval]?: unknown }
  if (!isDid(x.approver)) return 'approver is not a DID'
  if (!isBytes(x.grantHash)) return 'grant_hash is not a Uint8Array'
  if (!isBytes(x.signature) || x.signature.length !== SIGNATURE_BYTES) return 'malformed signature'
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

/** SHA-256(GrantTBS): what approvals refer to. CAPABILITY_INVALID_GRANT for a malformed grant. */
export function grantHash(g: Omit<GroupCapabilityGrant, 'signature'>): Uint8Array {
  const problem = unsignedGrantProblem(g)
  if (problem !== undefined) throw new TalosError('CAPABILITY_INVALID_GRANT', problem)
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
