/**
 * Creating a Commit and its Welcome (RFC 9420 §12.4.1, §12.4.3.1).
 *
 * Proposals: those cached this epoch, by reference, as selected by
 * proposal-select.ts (§12.4: include every valid one, resolve conflicts as
 * §12.2 recommends), plus those given by value. The list passes the same §12.2 validation and
 * §12.3 application as a received Commit, on a staged tree, with lifetimes
 * of added KeyPackages checked against our clock (§7.3: MUST for what we send).
 *
 * Path: always, unless `path: 'when-required'` and no proposal needs it.
 * Then: sign with the old GroupContext, transcript hash, key schedule,
 * confirmation tag, protect with the old epoch's keys; GroupInfo for the new
 * epoch; a Welcome for the added members (GroupSecrets with joiner_secret,
 * the path secret of our common ancestor, the PSK ids).
 *
 * Nothing live changes except our handshake ratchet when the Commit is a
 * PrivateMessage. The returned PendingCommit is merged once the Delivery
 * Service accepted the Commit, or discarded if another Commit won the epoch.
 */
import { encode } from '../../codec/tls.js'
import { memzero } from '../../crypto/sodium.js'
import type { KeyPair } from '../../crypto/suite.js'
import { signContent, withConfirmationTag } from '../framing/authentication.js'
import { keyPackageRef } from '../keys/key-package.js'
import { resolvePskSecret } from '../schedule/psk.js'
import { zeroSecret } from '../schedule/key-schedule.js'
import { createUpdatePath, type CreatedUpdatePath } from '../treekem/create.js'
import { ContentType, SenderType } from '../wire/framing.js'
import { groupContextCodec } from '../wire/group-context.js'
import { encodeMLSMessage } from '../wire/message.js'
import { ProposalOrRefType, ProposalType, type Proposal, type ProposalOrRef } from '../wire/proposal.js'
import type { Commit } from '../wire/commit.js'
import type { ResumptionPSKUsage } from '../wire/psk.js'
import { advanceEpoch, provisionalContext } from './advance.js'
import { applyProposals } from './apply-proposals.js'
import { buildGroupInfo, type GroupInfoOptions } from './group-info.js'
import { discard, oneShotStage, type StagedState } from './merge.js'
import { ProposalCache } from './proposal-cache.js'
import { selectPending } from './proposal-select.js'
import { validateProposalList, type CommittedProposal } from './proposal-list.js'
import { pskResolver } from './psk.js'
import type { PskSources } from './process-commit.js'
import { handshakeWireFormat, protectHandshake, requireCanSend } from './send.js'
import { contextOf, type GroupState } from './state.js'
import { signatureRotation, wipeRotation } from './signature-rotation.js'
import { sealWelcomeMessage } from './welcome.js'

export interface CommitOptions {
  /** Proposals sent by value in this Commit. */
  readonly proposals?: readonly Proposal[] | undefined
  /** Include the proposals cached this epoch by reference (default true). */
  readonly includePending?: boolean | undefined
  /** 'always' (default): a full Commit; 'when-required': omit the path when §12.4 allows. */
  readonly path?: 'always' | 'when-required' | undefined
  readonly authenticatedData?: Uint8Array | undefined
  /** Allows one resumption PSK of this usage (the first Commit of a ReInit or branch group). @internal */
  readonly resumptionUsage?: ResumptionPSKUsage | undefined
  /**
   * GroupInfo extensions. A GroupInfo is built when the Commit adds members
   * (for the Welcome) or when this is given (to publish for external joins);
   * otherwise not, because with the ratchet_tree it costs O(n) per Commit.
   */
  readonly groupInfo?: GroupInfoOptions | undefined
  /**
   * A new signature key pair for our leaf (signature-rotation.ts, RFC 9420
   * §12.4.2): the Commit has a path whose LeafNode carries the new key. The
   * group's AuthenticationService must accept our credential with it. Once
   * merged, the group signs with the new key (serialize() persists it) and
   * the old private key is zeroed. The caller keeps its own buffers.
   */
  readonly signatureKeyPair?: KeyPair | undefined
}

export interface CreatedCommit {
  /** The Commit as an MLSMessage. */
  readonly commit: Uint8Array
  /** The Welcome for added members (MLSMessage), when the Commit adds any. */
  readonly welcome?: Uint8Array | undefined
  /** The new epoch's GroupInfo (MLSMessage), when built (see CommitOptions.groupInfo). */
  readonly groupInfo?: Uint8Array | undefined
  /** The next state, adopted by merge(). */
  readonly pending: PendingCommit
  /** Our new signature public key, when the Commit rotates it (CommitOptions.signatureKeyPair). */
  readonly signatureKey?: Uint8Array | undefined
}

export interface PendingCommit {
  readonly epoch: bigint
  /** The staged next state (persisted with the group so a restart can still merge it). */
  readonly next: StagedState
  merge(): GroupState
  discard(): void
}

/** A PendingCommit that adopts `next` over `state` (also used when restoring a persisted pending commit). */
export function pendingCommit(state: GroupState, next: StagedState): PendingCommit {
  return { epoch: next.epoch.framing.groupContext.epoch, next, ...oneShotStage(state, next, 'this commit') }
}

export async function createCommit(state: GroupState, opts: CommitOptions, psks: PskSources): Promise<CreatedCommit> {
  requireCanSend(state)
  const suite = state.suite
  const old = contextOf(state)
  const self = { senderType: SenderType.member, leafIndex: state.ownLeaf } as const

  const refs: ProposalOrRef[] = []
  const committed: CommittedProposal[] = []
  if (opts.includePending ?? true) {
    for (const c of selectPending(state, state.proposals.list())) {
      refs.push({ type: ProposalOrRefType.reference, reference: c.ref })
      committed.push({ proposal: c.proposal, sender: c.sender })
    }
  }
  for (const p of opts.proposals ?? []) {
    refs.push({ type: ProposalOrRefType.proposal, proposal: p })
    committed.push({ proposal: p, sender: self })
  }

  const sorted = validateProposalList(
    {
      suite,
      groupVersion: old.version,
      resumptionUsage: opts.resumptionUsage,
      leafAt: (i) => (Number.isInteger(i) && i >= 0 && i < state.tree.leafCount ? state.tree.leaf(i) : undefined),
      leafOfSignatureKey: (k) => state.tree.findSignatureKey(k),
    },
    { kind: 'member', leaf: state.ownLeaf },
    committed,
  )
  const rotation = opts.signatureKeyPair && signatureRotation(state, opts.signatureKeyPair)
  const withPath = sorted.pathRequired || (opts.path ?? 'always') === 'always' || rotation !== undefined
  // The new leaf and the new epoch's GroupInfo are signed with the new key, the Commit's content with the current one.
  const signaturePriv = rotation?.privateKey ?? state.signaturePriv

  const tree = state.tree.clone()
  const privateKeys = state.privateKeys.clone()
  let pskSecret: Uint8Array | undefined
  let path: CreatedUpdatePath | undefined
  let secrets: { joinerSecret: Uint8Array; welcomeSecret: Uint8Array } | undefined
  let next: StagedState | undefined
  try {
    const applied = applyProposals(tree, old, sorted, { config: state.config, now: state.config.clock() })
    pskSecret = resolvePskSecret(suite, sorted.psks, pskResolver(old.groupId, state.resumptionPsks, psks.externalPsks, psks.resumptionPsks))
    if (withPath) {
      path = await createUpdatePath({
        tree,
        leafIndex: state.ownLeaf,
        groupId: old.groupId,
        signaturePrivateKey: signaturePriv,
        leaf: rotation?.leaf,
        excludedLeaves: applied.added.map((a) => a.leaf),
        groupContext: (th) => encode(groupContextCodec, provisionalContext(old, th, applied.extensions)),
        privateKeys,
      })
    }
    const commit: Commit = { proposals: refs, path: path?.updatePath }
    const ac = signContent(
      state.epoch.framing,
      handshakeWireFormat(state),
      { sender: self, authenticatedData: opts.authenticatedData, contentType: ContentType.commit, commit },
      state.signaturePriv,
    )
    const advanced = advanceEpoch({
      suite,
      config: state.config,
      old,
      oldInterimTranscriptHash: state.epoch.interimTranscriptHash,
      tree,
      extensions: applied.extensions,
      commit: ac,
      initSecret: state.epoch.keys.initSecret,
      commitSecret: path?.commitSecret ?? zeroSecret(suite),
      pskSecret,
    })
    secrets = advanced
    next = {
      ...state,
      tree,
      privateKeys,
      signaturePriv,
      epoch: advanced.epoch,
      proposals: ProposalCache.empty(),
      updateKeys: new Map(),
      reinit: sorted.reinit,
    }
    const gi =
      applied.added.length > 0 || opts.groupInfo !== undefined
        ? await buildGroupInfo(
            {
              suite,
              groupContext: advanced.groupContext,
              tree,
              confirmationTag: advanced.confirmationTag,
              externalSecret: advanced.epoch.keys.externalSecret,
              signer: state.ownLeaf,
              signaturePriv,
            },
            { ratchetTree: opts.groupInfo?.ratchetTree ?? state.config.ratchetTreeInWelcome, externalPub: opts.groupInfo?.externalPub },
          )
        : undefined
    let welcome: Uint8Array | undefined
    if (gi !== undefined && applied.added.length > 0) {
      welcome = await sealWelcomeMessage(
        suite,
        gi.bytes,
        advanced.welcomeSecret,
        applied.added.map((a) => {
          const ps = path?.pathSecretFor(a.leaf)
          return {
            keyPackageRef: keyPackageRef(suite, a.keyPackageBytes),
            initKey: a.keyPackage.initKey,
            groupSecrets: { joinerSecret: advanced.joinerSecret, pathSecret: ps && { pathSecret: ps }, psks: sorted.psks },
          }
        }),
      )
    }
    const message = encodeMLSMessage(protectHandshake(state, withConfirmationTag(ac, advanced.confirmationTag)))
    return {
      commit: message,
      welcome,
      groupInfo: gi?.message,
      pending: pendingCommit(state, next),
      signatureKey: rotation?.leaf.signatureKey.slice(),
    }
  } catch (e) {
    if (next !== undefined) discard(state, next)
    else {
      privateKeys.dispose(state.privateKeys)
      wipeRotation(rotation)
    }
    throw e
  } finally {
    memzero(pskSecret)
    path?.wipe()
    memzero(secrets?.joinerSecret)
    memzero(secrets?.welcomeSecret)
  }
}
