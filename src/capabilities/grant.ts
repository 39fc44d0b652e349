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
import { TalosError } from '../errors.js'
import { CapabilityDecision, type GroupCapabilityApproval, type GroupCapabilityGrant } from '../proto/capability.js'
import { approvalTbs, grantHash, grantProblem, grantTbs, MIN_NONCE_BYTES } from './canonical.js'

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

export function createGroupCapabilityGrant(request: GrantRequest, grantor: CapabilitySigner): GroupCapabilityGrant {
  assertDid(grantor.did, 'CAPABILITY_INVALID_GRANT', 'grantor')
  if (typeof request.epoch === 'number' && !Number.isSafeInteger(request.epoch)) {
    throw new TalosError('CAPABILITY_INVALID_GRANT', 'epoch must be an integer')
  }
  const members = [...new Set(request.members)].sort()
  if (!members.includes(grantor.did)) {
    throw new TalosError('CAPABILITY_NOT_A_MEMBER', `${grantor.did} is not a member of the group it grants for`)
  }
  const unsigned = {
    groupId: request.groupId.slice(),
    scope: request.scope,
    epoch: BigInt(request.epoch),
    members,
    requireConsensus: request.requireConsensus,
    grantor: grantor.did,
    nonce: request.nonce?.slice() ?? randomBytes(32),
  }
  if (unsigned.nonce.length < MIN_NONCE_BYTES) throw new TalosError('CAPABILITY_INVALID_GRANT', 'nonce too short')
  const grant: GroupCapabilityGrant = { ...unsigned, signature: new Uint8Array(64) }
  const problem = grantProblem(grant)
  if (problem !== undefined) throw new TalosError('CAPABILITY_INVALID_GRANT', problem)
  return { ...unsigned, signature: grantor.sign(grantTbs(unsigned)) }
}

/** A member's signed approval or refusal of `grant`. */
export function answerGroupCapability(
  grant: GroupCapabilityGrant,
  approver: CapabilitySigner,
  decision: 'approve' | 'refuse',
): GroupCapabilityApproval {
  const problem = grantProblem(grant)
  if (problem !== undefined) throw new TalosError('CAPABILITY_INVALID_GRANT', problem)
  if (!grant.members.includes(approver.did)) {
    throw new TalosError('CAPABILITY_NOT_A_MEMBER', `${approver.did} is not among the grant's members`)
  }
  const unsigned = {
    grantHash: grantHash(grant),
    approver: approver.did,
    decision: decision === 'approve' ? CapabilityDecision.CAPABILITY_APPROVE : CapabilityDecision.CAPABILITY_REFUSE,
  }
  return { ...unsigned, signature: approver.sign(approvalTbs(grant, unsigned)) }
}
