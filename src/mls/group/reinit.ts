/**
 * Reinitialization and subgroup branching (RFC 9420 §11.2, §11.3).
 *
 * ReInit: after a Commit covering a ReInit proposal, a member of the old
 * group creates the new group with the ReInit's group_id, version, suite and
 * extensions, adds the other members by fresh KeyPackages, and injects a
 * resumption PSK with usage `reinit` naming (old group_id, epoch after the
 * ReInit Commit); the new group's first epoch is 1.
 * Branch: the same with a fresh group_id, the old group's version and suite,
 * and usage `branch`.
 *
 * The joiner side (checkResumptionWelcome) verifies what §12.4.3.1 asks:
 * epoch 1 (checked in join.ts), and for reinit the parameters match the
 * ReInit of the old group's last Commit, for branch the suite and version
 * match the old group. Membership ("every member of the old group is in the
 * new one" / "a subset") is an application judgement on identities: the
 * caller gets both member lists to compare.
 */
import { constantTimeEqual } from '../../crypto/sodium.js'
import { randomBytes } from '../../crypto/sodium.js'
import type { KeyPair } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { freshPskNonce } from '../schedule/psk.js'
import type { Credential } from '../wire/credential.js'
import type { Extension } from '../wire/extension.js'
import { ProposalType, type Proposal } from '../wire/proposal.js'
import { PSKType, ResumptionPSKUsage, type ResumptionPSKID } from '../wire/psk.js'
import type { GroupContext } from '../wire/group-context.js'
import { addProposal } from './proposals.js'
import { contextOf, type GroupState } from './state.js'

export interface ResumptionPlan {
  readonly cipherSuite: number
  readonly groupId: Uint8Array
  readonly extensions: Extension[]
  readonly psk: ResumptionPSKID
  /** The first Commit's proposals: the Adds, then the resumption PSK. */
  readonly proposals: Proposal[]
  readonly resumptionPsk: Uint8Array
}

export interface ResumptionOptions {
  readonly keyPackages: Uint8Array[]
  readonly credential?: Credential | undefined
  readonly signatureKeyPair?: KeyPair | undefined
}

/** What the first Commit of the new group needs, from the old group's state. */
export function planResumption(old: GroupState, usage: 'reinit' | 'branch', keyPackages: readonly Uint8Array[]): ResumptionPlan {
  const gc = contextOf(old)
  let cipherSuite = gc.cipherSuite
  let groupId: Uint8Array
  let extensions: Extension[] = gc.extensions
  if (usage === 'reinit') {
    if (old.reinit === undefined) throw new TalosError('MLS_NO_REINIT', 'this group has no committed ReInit')
    cipherSuite = old.reinit.cipherSuite
    groupId = old.reinit.groupId
    extensions = old.reinit.extensions
  } else {
    groupId = randomBytes(old.suite.Nh)
  }
  const resumptionPsk = old.resumptionPsks.get(gc.epoch)
  if (resumptionPsk === undefined) throw new TalosError('MLS_PSK_NOT_FOUND', 'the resumption PSK of the current epoch is not retained')
  const psk: ResumptionPSKID = {
    psktype: PSKType.resumption,
    usage: usage === 'reinit' ? ResumptionPSKUsage.reinit : ResumptionPSKUsage.branch,
    pskGroupId: gc.groupId,
    pskEpoch: gc.epoch,
    pskNonce: freshPskNonce(old.suite),
  }
  const proposals: Proposal[] = [...keyPackages.map((kp) => addProposal(kp)), { proposalType: ProposalType.psk, psk: { psk } }]
  return { cipherSuite, groupId, extensions, psk, proposals, resumptionPsk }
}

/** §12.4.3.1 checks on a Welcome that used a reinit or branch PSK, against the old group's state. */
export function checkResumptionWelcome(joined: GroupContext, psk: ResumptionPSKID, previous: GroupState): void {
  const old = contextOf(previous)
  if (!constantTimeEqual(psk.pskGroupId, old.groupId) || psk.pskEpoch !== old.epoch) {
    throw new TalosError('MLS_INVALID_PSK_USAGE', 'the resumption PSK does not name the current epoch of the previous group')
  }
  if (psk.usage === ResumptionPSKUsage.reinit) {
    const r = previous.reinit
    if (r === undefined) throw new TalosError('MLS_NO_REINIT', 'the previous group has no committed ReInit')
    const same =
      constantTimeEqual(r.groupId, joined.groupId) &&
      r.version === joined.version &&
      r.cipherSuite === joined.cipherSuite &&
      r.extensions.length === joined.extensions.length &&
      r.extensions.every((e, i) => e.extensionType === joined.extensions[i]!.extensionType && constantTimeEqual(e.extensionData, joined.extensions[i]!.extensionData))
    if (!same) throw new TalosError('MLS_REINIT_MISMATCH', 'the new group does not match the ReInit proposal')
  } else if (joined.version !== old.version || joined.cipherSuite !== old.cipherSuite) {
    throw new TalosError('MLS_BRANCH_MISMATCH', 'a branched group must keep the version and cipher suite')
  }
}
