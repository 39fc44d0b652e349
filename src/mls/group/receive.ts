/**
 * Receiving an MLSMessage in a group (RFC 9420 §6, §12.1, §12.4.2, §16.4).
 *
 * Decode -> pick the epoch (current, or a retained past one for application
 * messages) -> unprotect through src/mls/framing (group/epoch, membership tag
 * or decryption, signature) -> by content type:
 *   application  returned; its message key is consumed on accept
 *   proposal     §12.1 receipt rules, cached by ProposalRef on accept
 *   commit       staged (process-commit.ts), merged on accept
 * Every path returns an Incoming whose accept() is the only thing that
 * changes state; until then (and after reject()), the state is as it was.
 */
import { TalosError } from '../../errors.js'
import {
  decodePrivateMessageView,
  isPrivateMessageBytes,
  unprotectPrivateMessage,
  type StagedPrivateMessage,
} from '../framing/private-message.js'
import { unprotectPublicMessage } from '../framing/public-message.js'
import type { FramingContext } from '../framing/context.js'
import { ContentType, SenderType, WireFormat, type AuthenticatedContent, type Sender } from '../wire/framing.js'
import { decodeMLSMessage, type MLSMessage } from '../wire/message.js'
import { MLS10 } from '../wire/group-context.js'
import { ProposalType, type Proposal } from '../wire/proposal.js'
import { checkPskProposal } from './psk.js'
import { encode } from '../../codec/tls.js'
import { validateKeyPackage } from '../keys/key-package.js'
import { validateLeafNode } from '../keys/leaf-node.js'
import { keyPackageCodec } from '../wire/key-package.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import { checkUniqueExtensions, requiredCapabilitiesOf } from './extensions.js'
import { proposalRef } from './proposal-cache.js'
import { stageCommit, type PskSources, type StagedCommit } from './process-commit.js'
import { contextOf, senderLookup, type GroupState } from './state.js'
import { constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'

export type ReceivedContent =
  | { kind: 'application'; sender: number; epoch: bigint; data: Uint8Array; authenticatedData: Uint8Array }
  | { kind: 'proposal'; sender: Sender; ref: Uint8Array; proposal: Proposal }
  | { kind: 'commit'; sender: Sender; committer: number; removedUs: boolean; epoch: bigint }

export interface Incoming {
  readonly content: ReceivedContent
  /** Applies the message: returns the state to adopt. */
  accept(): GroupState
  /** Leaves everything as it was (zeroes what staging derived). */
  reject(): void
}

function epochMismatch(state: GroupState, epoch: bigint): TalosError {
  return new TalosError('MLS_WRONG_EPOCH', `message for epoch ${epoch}, the group is at ${contextOf(state).epoch}`)
}

export async function receive(state: GroupState, bytes: Uint8Array, psks: PskSources): Promise<Incoming> {
  if (bytes.length > state.config.maxMessageBytes) {
    throw new TalosError('MLS_MESSAGE_TOO_LARGE', `a message of ${bytes.length} bytes exceeds maxMessageBytes (${state.config.maxMessageBytes})`)
  }
  // The per-message case decodes without copying the ciphertext (see decodePrivateMessageView).
  const m: MLSMessage = isPrivateMessageBytes(bytes)
    ? { version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: decodePrivateMessageView(bytes) }
    : decodeMLSMessage(bytes)
  if (m.wireFormat === WireFormat.mls_public_message) {
    const current = contextOf(state)
    if (m.publicMessage.content.epoch !== current.epoch) throw epochMismatch(state, m.publicMessage.content.epoch)
    requireActive(state)
    const sender = m.publicMessage.content.sender
    if (sender.senderType === SenderType.member && sender.leafIndex === state.ownLeaf) throw ownMessage()
    const ac = unprotectPublicMessage(
      state.epoch.framing,
      m.publicMessage,
      state.epoch.keys.membershipKey,
      senderLookup(state.tree, current),
    )
    return handshake(state, ac, undefined, psks)
  }
  if (m.wireFormat === WireFormat.mls_private_message) {
    const pm = m.privateMessage
    const current = contextOf(state)
    if (pm.epoch === current.epoch) {
      const staged = unprotectPrivateMessage(
        state.epoch.framing,
        pm,
        { secretTree: state.epoch.secretTree, senderDataSecret: state.epoch.keys.senderDataSecret, ownLeaf: state.ownLeaf },
        senderLookup(state.tree, current),
      )
      if (staged.content.content.contentType === ContentType.application) return application(state, staged, state.epoch.framing)
      try {
        requireActive(state)
        return await handshake(state, staged.content, staged, psks)
      } catch (e) {
        staged.discard()
        throw e
      }
    }
    // §16.4: late application messages from a retained past epoch.
    const past = state.retired.find((r) => r.framing.groupContext.epoch === pm.epoch)
    if (past === undefined || pm.contentType !== ContentType.application) throw epochMismatch(state, pm.epoch)
    const staged = unprotectPrivateMessage(
      past.framing,
      pm,
      { secretTree: past.secretTree, senderDataSecret: past.senderDataSecret, ownLeaf: state.ownLeaf },
      senderLookup(past.tree, past.framing.groupContext),
    )
    return application(state, staged, past.framing)
  }
  throw new TalosError('MLS_UNEXPECTED_WIRE_FORMAT', `wire format ${m.wireFormat} is not a group message`)
}

/**
 * Our own message echoed back by the Delivery Service (other than the
 * pending Commit, which MlsGroup recognises byte for byte): the content is
 * already known to us, and its key was consumed when we sent it.
 */
function ownMessage(): TalosError {
  return new TalosError('MLS_OWN_MESSAGE', 'this message was sent by us (echoed back by the delivery service)')
}

function requireActive(state: GroupState): void {
  if (state.removed) throw new TalosError('MLS_GROUP_INACTIVE', 'we were removed from this group')
  if (state.reinit) throw new TalosError('MLS_GROUP_REINITIALIZED', 'this group was reinitialized; use the new group')
}

function application(state: GroupState, staged: StagedPrivateMessage, framing: FramingContext): Incoming {
  const c = staged.content.content
  if (c.contentType !== ContentType.application) throw new TalosError('MLS_INVALID_STRUCTURE', 'not application data')
  return new IncomingApplication(
    {
      kind: 'application',
      sender: staged.leafIndex,
      epoch: framing.groupContext.epoch,
      data: c.applicationData,
      authenticatedData: c.authenticatedData,
    },
    state,
    staged,
  )
}

/**
 * Application data: accepting consumes the message key in the secret tree
 * (in place, O(1): the state object itself is unchanged). A class rather
 * than closures: no per-message function objects.
 */
class IncomingApplication implements Incoming {
  constructor(
    readonly content: ReceivedContent,
    private readonly state: GroupState,
    private readonly staged: StagedPrivateMessage,
  ) {}

  accept(): GroupState {
    this.staged.commit()
    return this.state
  }

  reject(): void {
    this.staged.discard()
  }
}

/**
 * §12.1 rules on a received standalone proposal, checked at receipt so an
 * invalid one never enters the cache (and never blocks our next Commit).
 * Commit-time validation repeats the checks against the final extensions.
 */
export function checkReceivedProposal(state: GroupState, sender: Sender, p: Proposal): void {
  const gc = contextOf(state)
  const required = requiredCapabilitiesOf(gc.extensions)
  switch (p.proposalType) {
    case ProposalType.external_init:
      throw new TalosError('MLS_INVALID_PROPOSAL', 'ExternalInit is only valid inside an external Commit')
    case ProposalType.update: {
      if (sender.senderType !== SenderType.member) throw new TalosError('MLS_INVALID_SENDER', 'only a member can propose an Update')
      const current = state.tree.leaf(sender.leafIndex)
      if (current !== undefined && bytesEqual(current.encryptionKey, p.update.leafNode.encryptionKey)) {
        throw new TalosError('MLS_UPDATE_SAME_ENCRYPTION_KEY', 'an Update must change the encryption key')
      }
      validateLeafNode(p.update.leafNode, {
        suite: state.suite,
        authService: state.config.authService,
        expectedSource: LeafNodeSource.update,
        previous: current,
        context: { groupId: gc.groupId, leafIndex: sender.leafIndex },
        requiredCapabilities: required,
        groupCipherSuite: gc.cipherSuite,
      })
      // §7.3 uniqueness, checked now: a cached proposal that cannot be applied would make every Commit fail.
      if (state.tree.findEncryptionKey(p.update.leafNode.encryptionKey) !== undefined) {
        throw new TalosError('MLS_DUPLICATE_ENCRYPTION_KEY', 'the Update encryption key is already held by a node of the tree')
      }
      const holder = state.tree.findSignatureKey(p.update.leafNode.signatureKey)
      if (holder !== undefined && holder !== sender.leafIndex) {
        throw new TalosError('MLS_DUPLICATE_SIGNATURE_KEY', `the Update signature key is member ${holder}'s`)
      }
      return
    }
    case ProposalType.add:
      if (state.tree.findEncryptionKey(p.add.keyPackage.leafNode.encryptionKey) !== undefined) {
        throw new TalosError('MLS_DUPLICATE_ENCRYPTION_KEY', 'the added leaf encryption key is already held by a node of the tree')
      }
      validateKeyPackage(
        { value: p.add.keyPackage, bytes: encode(keyPackageCodec, p.add.keyPackage) },
        {
          authService: state.config.authService,
          cipherSuite: gc.cipherSuite,
          maxLifetimeSeconds: state.config.maxLifetimeSeconds,
          requiredCapabilities: required,
          now: state.config.checkReceivedLifetimes ? state.config.clock() : undefined,
        },
      )
      return
    case ProposalType.psk:
      return checkPskProposal(state.suite, p.psk.psk)
    case ProposalType.remove:
      if (p.remove.removed >= state.tree.leafCount || state.tree.leaf(p.remove.removed) === undefined) {
        throw new TalosError('MLS_REMOVE_BLANK_LEAF', `Remove of leaf ${p.remove.removed}, which is blank or outside the tree`)
      }
      return
    case ProposalType.reinit:
      if (p.reinit.version < gc.version) throw new TalosError('MLS_REINIT_VERSION_DOWNGRADE', 'ReInit to an older protocol version')
      return
    case ProposalType.group_context_extensions:
      checkUniqueExtensions(p.groupContextExtensions.extensions, 'GroupContextExtensions')
      return
  }
}

async function handshake(
  state: GroupState,
  ac: AuthenticatedContent,
  staged: StagedPrivateMessage | undefined,
  psks: PskSources,
): Promise<Incoming> {
  const c = ac.content
  if (c.contentType === ContentType.proposal) {
    checkReceivedProposal(state, c.sender, c.proposal)
    const ref = proposalRef(state.suite, ac)
    const next = state.proposals.with({ ref, proposal: c.proposal, sender: c.sender })
    return {
      content: { kind: 'proposal', sender: c.sender, ref, proposal: c.proposal },
      accept() {
        staged?.commit()
        return { ...state, proposals: next }
      },
      reject: () => staged?.discard(),
    }
  }
  if (c.contentType !== ContentType.commit) throw new TalosError('MLS_INVALID_STRUCTURE', 'unexpected content type')
  const commit: StagedCommit = await stageCommit(state, ac, psks)
  return {
    content: { kind: 'commit', sender: c.sender, committer: commit.committer, removedUs: commit.removedUs, epoch: commit.next.epoch.framing.groupContext.epoch },
    accept() {
      staged?.commit()
      return commit.merge()
    },
    reject() {
      staged?.discard()
      commit.discard()
    },
  }
}
