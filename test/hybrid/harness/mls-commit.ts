/**
 * T10's self-commit: an empty Commit with path whose new LeafNode carries a
 * FRESH signature key (RFC 9420 §12.4.2: the committer's leaf_node may
 * replace signature_key; the LeafNode is signed with the new key, the
 * FramedContent with the old one, which is what receivers verify it with).
 *
 * MlsGroup.commit always keeps the current signature key (src/mls is not
 * this harness's to change), so this builds the same Commit from the group's
 * own building blocks -- createUpdatePath with new leaf fields,
 * signContent, advanceEpoch, protectHandshake -- and adopts the new state
 * with the new signature private key. Receivers process it with the
 * ordinary MlsGroup.processMessage. No proposals, no PSKs, no GroupInfo.
 */
import { encode } from '../../../src/codec/tls.js'
import { memzero } from '../../../src/crypto/sodium.js'
import { signContent, withConfirmationTag } from '../../../src/mls/framing/authentication.js'
import { advanceEpoch, provisionalContext } from '../../../src/mls/group/advance.js'
import { adopt } from '../../../src/mls/group/merge.js'
import { ProposalCache } from '../../../src/mls/group/proposal-cache.js'
import { handshakeWireFormat, protectHandshake } from '../../../src/mls/group/send.js'
import { contextOf } from '../../../src/mls/group/state.js'
import type { MlsGroup } from '../../../src/mls/index.js'
import { createUpdatePath } from '../../../src/mls/treekem/create.js'
import { ContentType, SenderType } from '../../../src/mls/wire/framing.js'
import { groupContextCodec } from '../../../src/mls/wire/group-context.js'
import { encodeMLSMessage } from '../../../src/mls/wire/message.js'

/**
 * Commits (and merges at once, as if the Delivery Service accepted it) an
 * empty Commit with a fresh signature key in our leaf; returns the Commit
 * MLSMessage for the other members. The old signature private key is zeroed.
 */
export async function selfCommitWithNewSignatureKey(group: MlsGroup): Promise<Uint8Array> {
  const state = group.currentState
  const suite = state.suite
  const old = contextOf(state)
  const current = state.tree.leaf(state.ownLeaf)!
  const sig = suite.generateSignatureKeyPair()
  const tree = state.tree.clone()
  const privateKeys = state.privateKeys.clone()
  const path = await createUpdatePath({
    tree,
    leafIndex: state.ownLeaf,
    groupId: old.groupId,
    signaturePrivateKey: sig.privateKey,
    leaf: { signatureKey: sig.publicKey, credential: current.credential, capabilities: current.capabilities, extensions: current.extensions },
    groupContext: (th) => encode(groupContextCodec, provisionalContext(old, th, old.extensions)),
    privateKeys,
  })
  try {
    const ac = signContent(
      state.epoch.framing,
      handshakeWireFormat(state),
      { sender: { senderType: SenderType.member, leafIndex: state.ownLeaf }, contentType: ContentType.commit, commit: { proposals: [], path: path.updatePath } },
      state.signaturePriv,
    )
    const advanced = advanceEpoch({
      suite,
      config: state.config,
      old,
      oldInterimTranscriptHash: state.epoch.interimTranscriptHash,
      tree,
      extensions: old.extensions,
      commit: ac,
      initSecret: state.epoch.keys.initSecret,
      commitSecret: path.commitSecret,
      pskSecret: undefined,
    })
    memzero(advanced.joinerSecret)
    memzero(advanced.welcomeSecret)
    const message = encodeMLSMessage(protectHandshake(state, withConfirmationTag(ac, advanced.confirmationTag)))
    group.adoptState(
      adopt(state, {
        ...state,
        tree,
        privateKeys,
        signaturePriv: sig.privateKey,
        epoch: advanced.epoch,
        proposals: ProposalCache.empty(),
        updateKeys: new Map(),
        reinit: undefined,
      }),
    )
    return message
  } finally {
    path.wipe()
  }
}
