/**
 * Proposal-list validation (RFC 9420 §12.2) and the individual proposal
 * rules of §12.1, for a Commit being created or processed.
 *
 * Input: the committed proposals in Commit order, each with its sender (by
 * value: the committer; by reference: whoever sent it). Output: the list
 * sorted into the application order of §12.3, or a TalosError whose code
 * names the broken rule. Validation is pure: it reads the current tree and
 * GroupContext and changes nothing.
 *
 * Checks that need the tree *after* the proposals are applied (unique keys,
 * capabilities of the final membership) happen in apply-proposals.ts.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import type { Encoded } from '../wire/encoded.js'
import { SenderType, type Sender } from '../wire/framing.js'
import type { KeyPackage } from '../wire/key-package.js'
import { LeafNodeSource, type LeafNode } from '../wire/leaf-node.js'
import {
  ProposalType,
  type ExternalInit,
  type GroupContextExtensions,
  type Proposal,
  type ReInit,
} from '../wire/proposal.js'
import type { PreSharedKeyID, ResumptionPSKUsage } from '../wire/psk.js'
import { checkPskProposal } from './psk.js'
import { encode } from '../../codec/tls.js'
import { preSharedKeyIdCodec } from '../wire/psk.js'
import { constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'

/** A proposal as committed: the proposal and who proposed it. */
export interface CommittedProposal {
  readonly proposal: Proposal
  readonly sender: Sender
  /** Exact KeyPackage bytes of an Add (for its KeyPackageRef and signature); re-encoded when absent. */
  readonly keyPackage?: Encoded<KeyPackage> | undefined
}

/** §12.3 application order. */
export interface SortedProposals {
  readonly groupContextExtensions?: GroupContextExtensions | undefined
  readonly updates: { leaf: number; leafNode: LeafNode }[]
  readonly removes: number[]
  readonly adds: { keyPackage: KeyPackage; sender: Sender }[]
  readonly psks: PreSharedKeyID[]
  readonly externalInit?: ExternalInit | undefined
  readonly reinit?: ReInit | undefined
  /** True when some proposal requires an UpdatePath (§12.4). */
  readonly pathRequired: boolean
}

/** What proposal validation reads of the current group. */
export interface ProposalListContext {
  readonly suite: CipherSuite
  readonly groupVersion: number
  /** Set when committing the first epoch of a reinitialized or branched group (§11.2, §11.3). */
  readonly resumptionUsage?: ResumptionPSKUsage | undefined
  /** Leaf index of the member whose LeafNode has this signature key, if any. */
  leafOfSignatureKey(signatureKey: Uint8Array): number | undefined
  /** LeafNode at a leaf index, undefined for blank or out of range. */
  leafAt(leaf: number): LeafNode | undefined
}

export type Committer = { kind: 'member'; leaf: number } | { kind: 'external' }

/** Upper bound on proposals in one Commit: the §12.2 checks stay linear, and a peer cannot make us loop. */
export const MAX_COMMIT_PROPOSALS = 4096

const PATH_FREE: ReadonlySet<number> = new Set([ProposalType.add, ProposalType.psk, ProposalType.reinit])

function fail(code: `MLS_${string}`, message: string): never {
  throw new TalosError(code, message)
}

/** Validates and sorts a committed proposal list (§12.2, §12.3). */
export function validateProposalList(
  ctx: ProposalListContext,
  committer: Committer,
  proposals: readonly CommittedProposal[],
): SortedProposals {
  if (proposals.length > MAX_COMMIT_PROPOSALS) {
    fail('MLS_TOO_MANY_PROPOSALS', `a Commit may cover at most ${MAX_COMMIT_PROPOSALS} proposals`)
  }
  if (committer.kind === 'external') checkExternalCommitShape(proposals)
  let gce: GroupContextExtensions | undefined
  let externalInit: ExternalInit | undefined
  let reinit: ReInit | undefined
  const updates: { leaf: number; leafNode: LeafNode }[] = []
  const removes: number[] = []
  const adds: { keyPackage: KeyPackage; sender: Sender }[] = []
  const psks: PreSharedKeyID[] = []
  const touched = new Set<number>()
  const pskIds = new Set<string>()
  let pathRequired = proposals.length === 0

  for (const { proposal: p, sender } of proposals) {
    if (!PATH_FREE.has(p.proposalType)) pathRequired = true
    switch (p.proposalType) {
      case ProposalType.add:
        adds.push({ keyPackage: p.add.keyPackage, sender })
        break
      case ProposalType.update: {
        if (sender.senderType !== SenderType.member) fail('MLS_INVALID_SENDER', 'only a member can propose an Update')
        const leaf = sender.leafIndex
        if (committer.kind === 'member' && leaf === committer.leaf) {
          fail('MLS_COMMITTER_UPDATE', 'a Commit cannot contain an Update proposed by the committer')
        }
        const current = ctx.leafAt(leaf)
        if (current === undefined) fail('MLS_UNKNOWN_SENDER', `Update from blank leaf ${leaf}`)
        if (p.update.leafNode.leafNodeSource !== LeafNodeSource.update) {
          fail('MLS_INVALID_LEAF_SOURCE', 'the LeafNode of an Update must have source update')
        }
        if (bytesEqual(p.update.leafNode.encryptionKey, current.encryptionKey)) {
          fail('MLS_UPDATE_SAME_ENCRYPTION_KEY', 'an Update must change the encryption key')
        }
        if (touched.has(leaf)) fail('MLS_DUPLICATE_LEAF_CHANGE', `leaf ${leaf} is updated or removed twice`)
        touched.add(leaf)
        updates.push({ leaf, leafNode: p.update.leafNode })
        break
      }
      case ProposalType.remove: {
        const leaf = p.remove.removed
        if (ctx.leafAt(leaf) === undefined) fail('MLS_REMOVE_BLANK_LEAF', `Remove of leaf ${leaf}, which is blank or outside the tree`)
        if (committer.kind === 'member' && leaf === committer.leaf) {
          fail('MLS_COMMITTER_REMOVED', 'a Commit cannot remove the committer')
        }
        if (touched.has(leaf)) fail('MLS_DUPLICATE_LEAF_CHANGE', `leaf ${leaf} is updated or removed twice`)
        touched.add(leaf)
        removes.push(leaf)
        break
      }
      case ProposalType.psk:
        checkPskProposal(ctx.suite, p.psk.psk, ctx.resumptionUsage)
        {
          // The canonical encoding identifies a PreSharedKeyID: one Set lookup instead of pairwise compares.
          const id = Buffer.from(encode(preSharedKeyIdCodec, p.psk.psk)).toString('hex')
          if (pskIds.has(id)) fail('MLS_DUPLICATE_PSK', 'the same PreSharedKeyID is proposed twice')
          pskIds.add(id)
        }
        psks.push(p.psk.psk)
        break
      case ProposalType.reinit:
        if (p.reinit.version < ctx.groupVersion) fail('MLS_REINIT_VERSION_DOWNGRADE', 'ReInit to an older protocol version')
        reinit = p.reinit
        break
      case ProposalType.external_init:
        if (committer.kind === 'member') fail('MLS_EXTERNAL_INIT_IN_MEMBER_COMMIT', 'ExternalInit is only valid in an external Commit')
        externalInit = p.externalInit
        break
      case ProposalType.group_context_extensions:
        if (gce !== undefined) fail('MLS_MULTIPLE_GROUP_CONTEXT_EXTENSIONS', 'more than one GroupContextExtensions proposal')
        gce = p.groupContextExtensions
        break
    }
  }
  if (reinit !== undefined && proposals.length !== 1) fail('MLS_REINIT_NOT_ALONE', 'a ReInit must be the only proposal in its Commit')
  checkAdds(ctx, adds, new Set(removes))
  return { groupContextExtensions: gce, updates, removes, adds, psks, externalInit, reinit, pathRequired }
}

/** §12.2: no two Adds of the same client, and no Add of a client already in the group (unless removed). */
function checkAdds(ctx: ProposalListContext, adds: { keyPackage: KeyPackage }[], removed: ReadonlySet<number>): void {
  const keys = new Set<string>()
  for (const { keyPackage } of adds) {
    const k = Buffer.from(keyPackage.leafNode.signatureKey).toString('hex')
    if (keys.has(k)) fail('MLS_DUPLICATE_ADD', 'two Add proposals for the same client (signature key)')
    keys.add(k)
  }
  for (const { keyPackage } of adds) {
    const leaf = ctx.leafOfSignatureKey(keyPackage.leafNode.signatureKey)
    if (leaf !== undefined && !removed.has(leaf)) {
      fail('MLS_MEMBER_ALREADY_IN_GROUP', `an Add proposal is for the client already at leaf ${leaf}`)
    }
  }
}

/** §12.2 external Commit: one ExternalInit, at most one Remove, PSKs, nothing else, nothing by reference. */
function checkExternalCommitShape(proposals: readonly CommittedProposal[]): void {
  let inits = 0
  let removes = 0
  for (const { proposal: p, sender } of proposals) {
    if (sender.senderType !== SenderType.new_member_commit) {
      fail('MLS_EXTERNAL_COMMIT_BY_REFERENCE', 'an external Commit cannot include proposals by reference')
    }
    if (p.proposalType === ProposalType.external_init) inits++
    else if (p.proposalType === ProposalType.remove) removes++
    else if (p.proposalType !== ProposalType.psk) {
      fail('MLS_EXTERNAL_COMMIT_INVALID_PROPOSALS', `an external Commit cannot contain proposal type ${p.proposalType}`)
    }
  }
  if (inits !== 1) fail('MLS_EXTERNAL_COMMIT_INVALID_PROPOSALS', `an external Commit needs exactly one ExternalInit, got ${inits}`)
  if (removes > 1) fail('MLS_EXTERNAL_COMMIT_INVALID_PROPOSALS', 'an external Commit can remove at most one leaf')
}
