/**
 * The state of one member in one group (RFC 9420 §8, §12): what every
 * operation reads, and what a successful operation replaces as a whole.
 *
 *   tree          the public ratchet tree (src/mls/tree), hashes cached
 *   privateKeys   our HPKE private keys (src/mls/treekem TreePrivateKeys):
 *                 our leaf and the parents on our direct path we know
 *   ownLeaf       our leaf index; signaturePriv our signing key
 *   epoch         GroupContext, epoch secrets, secret tree, exporter tree,
 *                 interim transcript hash, confirmation tag
 *   proposals     proposals cached this epoch, by ProposalRef
 *   updateKeys    private keys of the LeafNodes in our own pending Update
 *                 proposals (hex of the public key -> private key)
 *   resumptionPsks resumption_psk of recent epochs (§8.6), by epoch
 *   retired       recent past epochs kept for late messages, newest first
 *   reinit        set once a Commit with a ReInit was merged: the group is
 *                 closed for sending (§12.4.2)
 *   removed       set once a Commit removing us was merged
 *
 * A GroupState is never modified after it is built, with one exception
 * stated in ARCHITECTURE.md's staged-state rule: the secret trees consume
 * message keys in place, and only after the message was fully verified
 * (StagedKey.commit()).
 */
import type { CipherSuite } from '../../crypto/suite.js'
import type { SenderKeyLookup } from '../framing/authentication.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { TreePrivateKeys } from '../treekem/private-keys.js'
import type { GroupContext } from '../wire/group-context.js'
import type { ReInit } from '../wire/proposal.js'
import type { GroupConfig } from './config.js'
import type { Epoch, RetiredEpoch } from './epoch.js'
import { externalSendersOf, requiredCapabilitiesOf } from './extensions.js'
import type { ProposalCache } from './proposal-cache.js'

export interface GroupState {
  readonly suite: CipherSuite
  readonly config: GroupConfig
  readonly tree: RatchetTree
  readonly privateKeys: TreePrivateKeys
  readonly ownLeaf: number
  readonly signaturePriv: Uint8Array
  readonly epoch: Epoch
  readonly proposals: ProposalCache
  readonly updateKeys: ReadonlyMap<string, Uint8Array>
  readonly resumptionPsks: ReadonlyMap<bigint, Uint8Array>
  readonly retired: readonly RetiredEpoch[]
  readonly reinit?: ReInit | undefined
  readonly removed: boolean
}

export function contextOf(s: GroupState): GroupContext {
  return s.epoch.framing.groupContext
}

/** Signature keys for framing: members from `tree`, external senders from the GroupContext. */
export function senderLookup(tree: RatchetTree, groupContext: GroupContext): SenderKeyLookup {
  return new SenderKeys(tree, groupContext)
}

/** A class rather than closures: one is made per received message. */
class SenderKeys implements SenderKeyLookup {
  private external: ReturnType<typeof externalSendersOf> | undefined

  constructor(
    private readonly tree: RatchetTree,
    private readonly groupContext: GroupContext,
  ) {}

  memberSignatureKey(leaf: number): Uint8Array | undefined {
    return Number.isInteger(leaf) && leaf >= 0 && leaf < this.tree.leafCount ? this.tree.leaf(leaf)?.signatureKey : undefined
  }

  externalSenderSignatureKey(i: number): Uint8Array | undefined {
    this.external ??= externalSendersOf(this.groupContext.extensions)
    return this.external[i]?.signatureKey
  }
}

export function requiredCapabilities(groupContext: GroupContext) {
  return requiredCapabilitiesOf(groupContext.extensions)
}
