/**
 * Making grants and answering them. The group layer's
 * `grantGroupCapability({ groupId, scope, requireConsensus })` calls
 * createGroupCapabilityGrant with the group's current epoch and members,
 * sends the grant to every member, and collects their approvals; each
 * member calls answerGroupCapability after deciding (a refusal is a signed
 * message too, so "no" is as verifiable as "yes").
 */
import { randomBytes } from '../crypto/sodium.js'
import { assertDid } from '../delivery/did.js'
import { TalosError, type TalosErrorCode } from '../errors.js'
import { CapabilityDecision, type GroupCapabilityApproval, type GroupCapabilityGrant } from '../proto/capability.js'
import { approvalTbs, grantHash, grantProblem, grantTbs, SIGNATURE_BYTES, unsignedGrantProblem } from './canonical.js'

export interface CapabilitySigner {
  readonly did: string
  /** Ed25519 signature over `message`. */
  sign(message: Uint8Array): Uint8Array
}

export interface GrantRequest {
  readonly groupId: Uint8Array
  readonly scope: string
  readonly requireConsensus: boolean
  /** The group's current epoch. */
  readonly epoch: number | bigint
  /** The group's current members (any order; the grantor must be one). */
  readonly members: readonly string[]
  /** Default: 32 random bytes. */
  readonly nonce?: Uint8Array
}

const invalidGrant = (why: string): TalosError => new TalosError('CAPABILITY_INVALID_GRANT', why)

/**
 * A signer must be an object with a DID and a sign function. What it signs
 * with is the caller's own code: an exception from it passes through
 * unchanged, but an answer that is not a 64-byte signature is refused here
 * rather than put on the wire.
 */
function checkSigner(signer: CapabilitySigner, code: TalosErrorCode, what: string): void {
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    throw new TalosError(code, `${what} is not a CapabilitySigner`)
  }
  assertDid(signer.did, code, what)
}

function signWith(signer: CapabilitySigner, tbs: Uint8Array, code: TalosErrorCode): Uint8Array {
  const signature: unknown = signer.sign(tbs)
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new TalosError(code, `the signer of ${signer.did} returned no ${SIGNATURE_BYTES}-byte signature`)
  }
  return signature
}

/**
 * The grant, signed by `grantor`. Every request field is checked for its
 * type first (requests are often built from JSON): anything malformed is
 * CAPABILITY_INVALID_GRANT, a grantor outside `members` is
 * CAPABILITY_NOT_A_MEMBER.
 */
export function createGroupCapabilityGrant(request: GrantRequest, grantor: CapabilitySigner): GroupCapabilityGrant {
  checkSigner(grantor, 'CAPABILITY_INVALID_GRANT', 'grantor')
  if (typeof request !== 'object' || request === null) throw invalidGrant('the request is not an object')
  const { groupId, epoch, members, nonce } = request as { readonly [K in keyof GrantRequest]?: unknown }
  if (!(groupId instanceof Uint8Array)) throw invalidGrant('groupId is not a Uint8Array')
  if (typeof epoch === 'number' ? !Number.isSafeInteger(epoch) || epoch < 0 : typeof epoch !== 'bigint') {
    throw invalidGrant('epoch must be a non-negative integer (number or bigint)')
  }
  if (!Array.isArray(members)) throw invalidGrant('members is not an array')
  if (nonce !== undefined && !(nonce instanceof Uint8Array)) throw invalidGrant('nonce is not a Uint8Array')
  const sorted = [...new Set<unknown>(members)].sort() as string[]
  if (!sorted.includes(grantor.did)) {
    throw new TalosError('CAPABILITY_NOT_A_MEMBER', `${grantor.did} is not a member of the group it grants for`)
  }
  const unsigned = {
    groupId: new Uint8Array(groupId), // real copies (Buffer#slice is a view): the caller may change its arrays after our checks
    scope: request.scope,
    epoch: BigInt(epoch as number | bigint),
    members: sorted,
    requireConsensus: request.requireConsensus,
    grantor: grantor.did,
    nonce: nonce !== undefined ? new Uint8Array(nonce) : randomBytes(32),
  }
  const problem = unsignedGrantProblem(unsigned)
  if (problem !== undefined) throw invalidGrant(problem)
  return { ...unsigned, signature: signWith(grantor, grantTbs(unsigned), 'CAPABILITY_INVALID_GRANT') }
}

/**
 * A member's signed approval or refusal of `grant`. A malformed grant is
 * CAPABILITY_INVALID_GRANT; an approver that is not a signer, or a decision
 * other than 'approve' or 'refuse', is CAPABILITY_INVALID_ARGUMENT (a typo
 * must not sign a refusal); an approver outside the grant's members is
 * CAPABILITY_NOT_A_MEMBER.
 */
export function answerGroupCapability(
  grant: GroupCapabilityGrant,
  approver: CapabilitySigner,
  decision: 'approve' | 'refuse',
): GroupCapabilityApproval {
  const problem = grantProblem(grant)
  if (problem !== undefined) throw invalidGrant(problem)
  checkSigner(approver, 'CAPABILITY_INVALID_ARGUMENT', 'approver')
  if (decision !== 'approve' && decision !== 'refuse') {
    throw new TalosError('CAPABILITY_INVALID_ARGUMENT', `decision ${JSON.stringify(String(decision)).slice(0, 40)} is not 'approve' or 'refuse'`)
  }
  if (!grant.members.includes(approver.did)) {
    throw new TalosError('CAPABILITY_NOT_A_MEMBER', `${approver.did} is not among the grant's members`)
  }
  const unsigned = {
    grantHash: grantHash(grant),
    approver: approver.did,
    decision: decision === 'approve' ? CapabilityDecision.CAPABILITY_APPROVE : CapabilityDecision.CAPABILITY_REFUSE,
  }
  return { ...unsigned, signature: signWith(approver, approvalTbs(grant, unsigned), 'CAPABILITY_INVALID_ARGUMENT') }
}
