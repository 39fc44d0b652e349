/**
 * verifyGroupCapability: is this grant valid now, given these approvals and
 * the group as the verifier sees it? A pure function of its arguments: any
 * member, or an outside service holding the grant and the approvals, gets
 * the same answer.
 *
 * In order:
 *   invalid  the grant is malformed, its grantor is not among its members,
 *            or the grantor's signature does not verify;
 *   void     the grant is not for this group, or the membership it was made
 *            for is no longer the group's: a different member set, or a
 *            membership change (add/remove) since the grant's epoch. This is
 *            what makes a membership change void a pending grant, and it
 *            also keeps a removed member's late approval from counting;
 *   refused  some member in the grant signed a refusal;
 *   pending  with consensus, some members have not (validly) approved yet;
 *   valid    otherwise. Without consensus, a well-signed grant by a current
 *            member that is not void is valid at once.
 *
 * The grantor's signature on the grant counts as the grantor's approval.
 * Approvals that do not count (bad signature, another grant, a non-member,
 * not an approval at all) are listed in `ignored`, never fatal: anyone can
 * append junk to the list. A grant of any shape is at worst `invalid`. Only
 * the verifier's own arguments can throw: a view that is not a GroupView,
 * or a publicKeyOf answering with something other than bytes, is
 * CAPABILITY_INVALID_VIEW; approvals that are not an array are
 * CAPABILITY_INVALID_ARGUMENT.
 */
import { constantTimeEqual } from '../crypto/sodium.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { TalosError } from '../errors.js'
import { CapabilityDecision, type GroupCapabilityApproval, type GroupCapabilityGrant } from '../proto/capability.js'
import { approvalShapeProblem, approvalTbs, grantHash, grantProblem, grantTbs } from './canonical.js'

export interface GroupView {
  readonly groupId: Uint8Array
  /** The group's current epoch. */
  readonly epoch: number | bigint
  /** The group's current members. */
  readonly members: readonly string[]
  /**
   * The epoch of the last membership change (add or remove). Epochs after it
   * changed keys only, so a grant made since then is still for the current
   * membership. Default: `epoch` — without this knowledge only a grant of
   * the current epoch can be valid.
   */
  readonly membershipEpoch?: number | bigint
  /** Ed25519 public key of a member's identity, or undefined. */
  readonly publicKeyOf: (did: string) => Uint8Array | undefined
}

export interface IgnoredApproval {
  readonly index: number
  readonly reason: string
}

export type CapabilityStatus =
  | { readonly status: 'valid'; readonly ignored: readonly IgnoredApproval[] }
  | { readonly status: 'pending'; readonly missing: readonly string[]; readonly ignored: readonly IgnoredApproval[] }
  | { readonly status: 'refused'; readonly by: readonly string[]; readonly ignored: readonly IgnoredApproval[] }
  | { readonly status: 'void'; readonly reason: string }
  | { readonly status: 'invalid'; readonly reason: string }

function toEpoch(v: number | bigint): bigint {
  if (typeof v === 'bigint' ? v >= 0n : Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  throw new TalosError('CAPABILITY_INVALID_VIEW', `epoch ${String(v)} is not a non-negative integer`)
}

function checkView(view: GroupView): void {
  if (typeof view !== 'object' || view === null) throw new TalosError('CAPABILITY_INVALID_VIEW', 'the view is not an object')
  if (!(view.groupId instanceof Uint8Array)) throw new TalosError('CAPABILITY_INVALID_VIEW', 'groupId is not a Uint8Array')
  if (!Array.isArray(view.members) || !view.members.every((m) => typeof m === 'string')) {
    throw new TalosError('CAPABILITY_INVALID_VIEW', 'members is not an array of strings')
  }
  if (typeof view.publicKeyOf !== 'function') throw new TalosError('CAPABILITY_INVALID_VIEW', 'publicKeyOf is not a function')
  toEpoch(view.epoch)
  if (view.membershipEpoch !== undefined) toEpoch(view.membershipEpoch)
}

/** The view's key for `did`; a non-bytes answer is the view's bug, never a key to hand to libsodium. */
function keyOf(view: GroupView, did: string): Uint8Array | undefined {
  const key: unknown = view.publicKeyOf(did)
  if (key === undefined || key instanceof Uint8Array) return key
  throw new TalosError('CAPABILITY_INVALID_VIEW', `publicKeyOf returned ${typeof key}, not a Uint8Array or undefined`)
}

function sameMembers(grant: readonly string[], current: readonly string[]): boolean {
  const set = new Set(current)
  return set.size === grant.length && grant.every((m) => set.has(m))
}

export function verifyGroupCapability(
  grant: GroupCapabilityGrant,
  approvals: readonly GroupCapabilityApproval[],
  view: GroupView,
): CapabilityStatus {
  checkView(view)
  if (!Array.isArray(approvals)) throw new TalosError('CAPABILITY_INVALID_ARGUMENT', 'approvals is not an array')
  const problem = grantProblem(grant)
  if (problem !== undefined) return { status: 'invalid', reason: problem }
  if (!grant.members.includes(grant.grantor)) return { status: 'invalid', reason: 'the grantor is not among the members' }
  const grantorKey = keyOf(view, grant.grantor)
  if (grantorKey === undefined || !ed25519.verify(grantorKey, grantTbs(grant), grant.signature)) {
    return { status: 'invalid', reason: "the grantor's signature does not verify" }
  }

  const epoch = toEpoch(view.epoch)
  const membershipEpoch = toEpoch(view.membershipEpoch ?? view.epoch)
  if (!constantTimeEqual(grant.groupId, view.groupId)) return { status: 'void', reason: 'the grant is for another group' }
  if (grant.epoch > epoch) return { status: 'void', reason: `the grant is from epoch ${grant.epoch}, after the current ${epoch}` }
  if (grant.epoch < membershipEpoch) {
    return { status: 'void', reason: `the membership changed at epoch ${membershipEpoch}, after the grant (epoch ${grant.epoch})` }
  }
  if (!sameMembers(grant.members, view.members)) return { status: 'void', reason: 'the group no longer has the members of the grant' }
  if (!grant.requireConsensus) return { status: 'valid', ignored: [] }

  const hash = grantHash(grant)
  const members = new Set(grant.members)
  const approved = new Set<string>([grant.grantor])
  const refused = new Set<string>()
  const ignored: IgnoredApproval[] = []
  approvals.forEach((a: GroupCapabilityApproval, index) => {
    const why = approvalProblem(a, grant, hash, members, view)
    if (why !== undefined) ignored.push({ index, reason: why })
    else if (a.decision === CapabilityDecision.CAPABILITY_REFUSE) refused.add(a.approver)
    else approved.add(a.approver)
  })
  if (refused.size > 0) return { status: 'refused', by: [...refused].sort(), ignored }
  const missing = grant.members.filter((m) => !approved.has(m))
  return missing.length === 0 ? { status: 'valid', ignored } : { status: 'pending', missing, ignored }
}

function approvalProblem(
  a: GroupCapabilityApproval,
  grant: GroupCapabilityGrant,
  hash: Uint8Array,
  members: ReadonlySet<string>,
  view: GroupView,
): string | undefined {
  const shape = approvalShapeProblem(a)
  if (shape !== undefined) return shape
  if (!members.has(a.approver)) return 'approver is not a member of the grant'
  if (a.decision !== CapabilityDecision.CAPABILITY_APPROVE && a.decision !== CapabilityDecision.CAPABILITY_REFUSE) {
    return 'no decision'
  }
  if (a.grantHash.length !== hash.length || !constantTimeEqual(a.grantHash, hash)) return 'answers another grant'
  const key = keyOf(view, a.approver)
  if (key === undefined) return 'no public key for the approver'
  if (!ed25519.verify(key, approvalTbs(grant, a), a.signature)) return 'signature does not verify'
  return undefined
}
