/**
 * Building proposals (RFC 9420 §12.1.1-§12.1.7).
 *
 * Each builder returns the Proposal value, to send standalone
 * (MlsGroup.propose) or by value in a Commit (MlsGroup.commit). An Update
 * also returns the new leaf's private key, which the group keeps until the
 * Update is committed (it is our leaf key from then on).
 */
import { memzero } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { buildLeafNode } from '../keys/leaf-node.js'
import { freshPskNonce } from '../schedule/psk.js'
import type { Encoded } from '../wire/encoded.js'
import type { Extension } from '../wire/extension.js'
import type { KeyPackage } from '../wire/key-package.js'
import { LeafNodeSource, type LeafNode } from '../wire/leaf-node.js'
import { ProposalType, type Proposal } from '../wire/proposal.js'
import { PSKType, ResumptionPSKUsage, type PreSharedKeyID } from '../wire/psk.js'
import { decodeMLSMessageKeyPackage } from '../wire/message.js'
import { contextOf, type GroupState } from './state.js'

/** Add (§12.1.1) from a KeyPackage MLSMessage's bytes or a decoded KeyPackage. */
export function addProposal(keyPackage: Uint8Array | Encoded<KeyPackage> | KeyPackage): Proposal {
  const kp = keyPackage instanceof Uint8Array ? decodeMLSMessageKeyPackage(keyPackage).value : 'value' in keyPackage ? keyPackage.value : keyPackage
  return { proposalType: ProposalType.add, add: { keyPackage: kp } }
}

export function removeProposal(state: GroupState, leaf: number): Proposal {
  if (!Number.isInteger(leaf) || leaf < 0 || leaf >= state.tree.leafCount || state.tree.leaf(leaf) === undefined) {
    throw new TalosError('MLS_REMOVE_BLANK_LEAF', `leaf ${leaf} is not a member`)
  }
  return { proposalType: ProposalType.remove, remove: { removed: leaf } }
}

/** Update (§12.1.2): a fresh encryption key for our leaf, optionally new extensions. */
export async function updateProposal(
  state: GroupState,
  extensions?: Extension[],
): Promise<{ proposal: Proposal; encryptionPriv: Uint8Array; encryptionPub: Uint8Array }> {
  const suite = state.suite
  const current = state.tree.leaf(state.ownLeaf)
  if (current === undefined) throw new TalosError('MLS_GROUP_INACTIVE', 'our leaf is blank')
  const kp = await suite.generateHpkeKeyPair()
  let leafNode: LeafNode
  try {
    leafNode = buildLeafNode(
      suite,
      state.signaturePriv,
      {
        encryptionKey: kp.publicKey,
        signatureKey: current.signatureKey,
        credential: current.credential,
        capabilities: current.capabilities,
        extensions: extensions ?? current.extensions,
      },
      { leafNodeSource: LeafNodeSource.update },
      { groupId: contextOf(state).groupId, leafIndex: state.ownLeaf },
    )
  } catch (e) {
    memzero(kp.privateKey)
    throw e
  }
  return { proposal: { proposalType: ProposalType.update, update: { leafNode } }, encryptionPriv: kp.privateKey, encryptionPub: kp.publicKey }
}

/** PreSharedKey (§12.1.4) for an external PSK with a fresh nonce. */
export function externalPskProposal(suite: CipherSuite, pskId: Uint8Array): Proposal {
  const psk: PreSharedKeyID = { psktype: PSKType.external, pskId, pskNonce: freshPskNonce(suite) }
  return { proposalType: ProposalType.psk, psk: { psk } }
}

/** PreSharedKey (§12.1.4) for a resumption PSK of this group (usage application). */
export function resumptionPskProposal(state: GroupState, epoch: bigint): Proposal {
  const psk: PreSharedKeyID = {
    psktype: PSKType.resumption,
    usage: ResumptionPSKUsage.application,
    pskGroupId: contextOf(state).groupId,
    pskEpoch: epoch,
    pskNonce: freshPskNonce(state.suite),
  }
  return { proposalType: ProposalType.psk, psk: { psk } }
}

export function reinitProposal(groupId: Uint8Array, cipherSuite: number, extensions: Extension[] = [], version = 1): Proposal {
  return { proposalType: ProposalType.reinit, reinit: { groupId, version, cipherSuite, extensions } }
}

export function groupContextExtensionsProposal(extensions: Extension[]): Proposal {
  return { proposalType: ProposalType.group_context_extensions, groupContextExtensions: { extensions } }
}
