/**
 * Processing a received Commit (RFC 9420 §12.4.2; external Commits
 * §12.4.3.2), staged: the framing layer has already checked group, epoch,
 * membership tag or decryption, and the signature. Here, in order:
 *   1. resolve the proposals (by value: the committer's; by reference: our
 *      cache, MLS_UNKNOWN_PROPOSAL_REF otherwise);
 *   2. §12.2 list validation (proposal-list.ts);
 *   3. path present when required (MLS_MISSING_PATH);
 *   4. apply to a staged tree clone (apply-proposals.ts);
 *   5. PSKs resolved (MLS_PSK_NOT_FOUND) and psk_secret; ExternalInit
 *      init_secret from our external_secret;
 *   6. the UpdatePath on the staged tree and staged private keys
 *      (src/mls/treekem), or commit_secret = 0;
 *   7. new GroupContext, key schedule, confirmation tag (advance.ts).
 * Nothing live is touched: the result is a StagedCommit whose merge()
 * produces the next GroupState, and whose discard() zeroes what it derived.
 *
 * A Commit that removes us is accepted without the path (we cannot decrypt
 * it and need not); the result says so and the state becomes inactive.
 */
import { encode } from '../../codec/tls.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import { sameCredentialIdentity } from '../keys/credential.js'
import { externalInitReceiver } from '../schedule/external.js'
import { resolvePskSecret } from '../schedule/psk.js'
import { zeroSecret } from '../schedule/key-schedule.js'
import { processUpdatePath } from '../treekem/process.js'
import { ContentType, SenderType, type AuthenticatedContent } from '../wire/framing.js'
import { groupContextCodec } from '../wire/group-context.js'
import { ProposalOrRefType } from '../wire/proposal.js'
import { advanceEpoch, provisionalContext } from './advance.js'
import { applyProposals, checkCredentialTypes } from './apply-proposals.js'
import { oneShotStage, type StagedState } from './merge.js'
import { ProposalCache } from './proposal-cache.js'
import { validateProposalList, type CommittedProposal, type Committer } from './proposal-list.js'
import { pskResolver, type ExternalPskStore, type ForeignResumptionPsks } from './psk.js'
import { contextOf, type GroupState } from './state.js'
import { requiredCapabilitiesOf } from './extensions.js'

export interface PskSources {
  readonly externalPsks?: ExternalPskStore | undefined
  readonly resumptionPsks?: ForeignResumptionPsks | undefined
}

export interface StagedCommit {
  /** The state the Commit leads to (not yet adopted). */
  readonly next: StagedState
  /** Leaf of the committer in the new tree (for an external Commit, the joiner's new leaf). */
  readonly committer: number
  readonly removedUs: boolean
  /** Adopts the new state: returns it and zeroes what the old one held. */
  merge(): GroupState
  /** Zeroes what the staged state derived; the live state is unchanged. */
  discard(): void
}

/** The proposals a Commit covers, each with its sender (§12.4). */
export function resolveProposals(state: GroupState, ac: AuthenticatedContent): CommittedProposal[] {
  if (ac.content.contentType !== ContentType.commit) throw new TalosError('MLS_INVALID_STRUCTURE', 'not a Commit')
  return ac.content.commit.proposals.map((por) => {
    if (por.type === ProposalOrRefType.proposal) return { proposal: por.proposal, sender: ac.content.sender }
    const cached = state.proposals.get(por.reference)
    if (cached === undefined) throw new TalosError('MLS_UNKNOWN_PROPOSAL_REF', 'the Commit references a proposal we do not have')
    return { proposal: cached.proposal, sender: cached.sender }
  })
}

export async function stageCommit(state: GroupState, ac: AuthenticatedContent, psks: PskSources): Promise<StagedCommit> {
  const content = ac.content
  if (content.contentType !== ContentType.commit) throw new TalosError('MLS_INVALID_STRUCTURE', 'not a Commit')
  const commit = content.commit
  const old = contextOf(state)
  const suite = state.suite
  let committer: Committer
  if (content.sender.senderType === SenderType.member) {
    if (content.sender.leafIndex === state.ownLeaf) {
      throw new TalosError('MLS_OWN_COMMIT', 'our own Commit is merged from the pending commit, not processed')
    }
    committer = { kind: 'member', leaf: content.sender.leafIndex }
  } else if (content.sender.senderType === SenderType.new_member_commit) {
    committer = { kind: 'external' }
  } else {
    throw new TalosError('MLS_INVALID_SENDER', 'a Commit must come from a member or a new member')
  }

  const sorted = validateProposalList(
    {
      suite,
      groupVersion: old.version,
      leafAt: (i) => (Number.isInteger(i) && i >= 0 && i < state.tree.leafCount ? state.tree.leaf(i) : undefined),
      leafOfSignatureKey: (k) => state.tree.findSignatureKey(k),
    },
    committer,
    resolveProposals(state, ac),
  )
  if (sorted.pathRequired && commit.path === undefined) {
    throw new TalosError('MLS_MISSING_PATH', 'this Commit must carry an UpdatePath')
  }

  const tree = state.tree.clone()
  const privateKeys = state.privateKeys.clone()
  let pskSecret: Uint8Array | undefined
  let initSecret: Uint8Array | undefined
  let commitSecret: Uint8Array | undefined
  try {
    const applied = applyProposals(tree, old, sorted, {
      config: state.config,
      now: state.config.checkReceivedLifetimes ? state.config.clock() : undefined,
    })
    const removedUs = applied.removed.has(state.ownLeaf)
    const ownUpdate = sorted.updates.find((u) => u.leaf === state.ownLeaf)
    if (ownUpdate !== undefined) {
      // Our own Update proposal, committed by someone else: our leaf now has the key we kept for it.
      const priv = state.updateKeys.get(Buffer.from(ownUpdate.leafNode.encryptionKey).toString('hex'))
      if (priv === undefined) throw new TalosError('MLS_UNKNOWN_UPDATE_KEY', 'a committed Update of our leaf is not one we proposed')
      privateKeys.set(2 * state.ownLeaf, priv.slice(), ownUpdate.leafNode.encryptionKey)
    }

    if (committer.kind === 'external') {
      if (sorted.removes.length === 1) {
        // §12.2: a resync's new leaf must be acceptable as the removed member (same identity).
        const removedLeaf = state.tree.leaf(sorted.removes[0]!)!
        if (!sameCredentialIdentity(removedLeaf.credential, commit.path!.leafNode.credential)) {
          throw new TalosError('MLS_EXTERNAL_RESYNC_IDENTITY_MISMATCH', 'a resync must keep the removed member identity')
        }
      }
      initSecret = await externalInitReceiver(suite, state.epoch.keys.externalSecret, sorted.externalInit!.kemOutput)
    }
    const senderLeaf = committer.kind === 'member' ? committer.leaf : tree.leftmostBlankLeaf()

    pskSecret = resolvePskSecret(suite, sorted.psks, pskResolver(old.groupId, state.resumptionPsks, psks.externalPsks, psks.resumptionPsks))

    if (commit.path !== undefined && !removedUs) {
      const previous = committer.kind === 'member' ? tree.leaf(senderLeaf) : undefined
      const r = await processUpdatePath({
        tree,
        senderLeaf,
        updatePath: commit.path,
        groupId: old.groupId,
        excludedLeaves: applied.added.map((a) => a.leaf),
        groupContext: (th) => encode(groupContextCodec, provisionalContext(old, th, applied.extensions)),
        privateKeys,
        leafPolicy: {
          authService: state.config.authService,
          requiredCapabilities: requiredCapabilitiesOf(applied.extensions),
          cipherSuite: old.cipherSuite,
        },
      })
      memzero(r.pathSecret)
      commitSecret = r.commitSecret
      if (previous === undefined || credentialSupportChanged(previous, commit.path.leafNode)) checkCredentialTypes(tree, [senderLeaf])
    } else if (commit.path !== undefined) {
      commitSecret = undefined // removed: we cannot decrypt it, and the epoch is not ours any more
    } else {
      commitSecret = zeroSecret(suite)
    }
    if (removedUs) return removedStage(state, privateKeys, senderLeaf)

    const advanced = advanceEpoch({
      suite,
      config: state.config,
      old,
      oldInterimTranscriptHash: state.epoch.interimTranscriptHash,
      tree,
      extensions: applied.extensions,
      commit: ac,
      initSecret: initSecret ?? state.epoch.keys.initSecret,
      commitSecret: commitSecret!,
      pskSecret,
    })
    memzero(advanced.joinerSecret)
    memzero(advanced.welcomeSecret)
    const next: StagedState = {
      ...state,
      tree,
      privateKeys,
      epoch: advanced.epoch,
      proposals: ProposalCache.empty(),
      updateKeys: new Map(),
      reinit: sorted.reinit,
    }
    return staged(state, next, senderLeaf, false)
  } catch (e) {
    privateKeys.dispose(state.privateKeys)
    throw e
  } finally {
    memzero(pskSecret)
    memzero(commitSecret)
    if (initSecret !== undefined) memzero(initSecret)
  }
}

function credentialSupportChanged(a: { credential: { credentialType: number }; capabilities: { credentials: number[] } }, b: typeof a): boolean {
  return (
    a.credential.credentialType !== b.credential.credentialType ||
    a.capabilities.credentials.length !== b.capabilities.credentials.length ||
    a.capabilities.credentials.some((t, i) => b.capabilities.credentials[i] !== t)
  )
}

function staged(state: GroupState, next: StagedState, committer: number, removedUs: boolean): StagedCommit {
  return { next, committer, removedUs, ...oneShotStage(state, next, 'this staged commit') }
}

/**
 * We were removed: the group goes on without us. The state keeps the old
 * epoch (so late messages from it still decrypt) but is marked removed and
 * can neither send nor process further Commits.
 */
function removedStage(state: GroupState, privateKeys: GroupState['privateKeys'], senderLeaf: number): StagedCommit {
  // The staged keys are not needed: zero what only they held.
  privateKeys.dispose(state.privateKeys)
  let done = false
  return {
    next: { ...state, removed: true },
    committer: senderLeaf,
    removedUs: true,
    merge() {
      if (done) throw new TalosError('MLS_STALE_STAGE', 'this staged commit was already merged or discarded')
      done = true
      return { ...state, removed: true }
    },
    discard() {
      done = true
    },
  }
}
