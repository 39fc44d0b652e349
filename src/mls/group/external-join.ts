/**
 * Joining by external Commit (RFC 9420 §12.4.3.2, §8.3).
 *
 * From a GroupInfo carrying external_pub (and the tree, in its ratchet_tree
 * extension or out of band): verify the GroupInfo as a Welcome joiner would
 * (signature by the signer's leaf, full tree validation against tree_hash),
 * then build the Commit:
 *   proposals by value: ExternalInit { kem_output } (the new init_secret is
 *   the HPKE export against external_pub), optionally a Remove of our old
 *   leaf (resync), optionally PreSharedKeys;
 *   path: our new leaf at the leftmost blank leaf after the Remove, path
 *   secrets encrypted to everyone;
 *   sender new_member_commit, signed with our key, as a PublicMessage (no
 *   membership tag: we do not have the membership_key).
 * The interim transcript hash comes from the GroupInfo's confirmed hash and
 * confirmation tag. The joiner's state is ready at once; the Commit must
 * still be accepted by the group (Delivery Service ordering) to be real.
 */
import { encode } from '../../codec/tls.js'
import { getCipherSuite } from '../../crypto/index.js'
import { memzero } from '../../crypto/sodium.js'
import { startVerifyWorkers } from '../../crypto/verify-pool.js'
import type { KeyPair } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { signContent, withConfirmationTag } from '../framing/authentication.js'
import { createFramingContext } from '../framing/context.js'
import { protectPublicMessage } from '../framing/public-message.js'
import { interimTranscriptHash } from '../framing/transcript.js'
import { defaultCapabilities } from '../keys/capabilities.js'
import { sameCredentialIdentity } from '../keys/credential.js'
import { externalInitSender } from '../schedule/external.js'
import { resolvePskSecret } from '../schedule/psk.js'
import { validateRatchetTreeAsync } from '../tree/validate.js'
import { createUpdatePath, type CreatedUpdatePath } from '../treekem/create.js'
import { TreePrivateKeys } from '../treekem/private-keys.js'
import type { Capabilities } from '../wire/capabilities.js'
import type { Credential } from '../wire/credential.js'
import type { Encoded } from '../wire/encoded.js'
import type { Extension } from '../wire/extension.js'
import { ContentType, SenderType, WireFormat } from '../wire/framing.js'
import { groupContextCodec, MLS10 } from '../wire/group-context.js'
import { groupInfoCodec, type GroupInfo } from '../wire/group-info.js'
import { decodeMLSMessage, encodeMLSMessage } from '../wire/message.js'
import { ProposalOrRefType, ProposalType, type Proposal } from '../wire/proposal.js'
import type { PreSharedKeyID } from '../wire/psk.js'
import { withBytes } from '../wire/encoded.js'
import { decode } from '../../codec/tls.js'
import { advanceEpoch, provisionalContext } from './advance.js'
import { copyKeyPair } from './create.js'
import { applyProposals } from './apply-proposals.js'
import { PRESTART_POOL_BYTES, treeFrom } from './join.js'
import { resolveConfig, type GroupConfig } from './config.js'
import { checkUniqueExtensions, checkWeSupportGroupExtensions, externalPubOf, requiredCapabilitiesOf } from './extensions.js'
import { ProposalCache } from './proposal-cache.js'
import { validateProposalList } from './proposal-list.js'
import { pskResolver, type ExternalPskStore, type ForeignResumptionPsks } from './psk.js'
import type { GroupState } from './state.js'
import { verifyGroupInfoSignature } from './welcome.js'

export interface ExternalJoinOptions {
  /** The GroupInfo as an MLSMessage. */
  groupInfo: Uint8Array
  ratchetTree?: Uint8Array | undefined
  credential: Credential
  /** Our signature key pair; the group keeps a copy (see CreateGroupOptions.signatureKeyPair). */
  signatureKeyPair?: KeyPair | undefined
  capabilities?: Capabilities | undefined
  leafExtensions?: Extension[] | undefined
  /** Resync: our old leaf to remove in the same Commit. */
  removeLeaf?: number | undefined
  psks?: PreSharedKeyID[] | undefined
  externalPsks?: ExternalPskStore | undefined
  resumptionPsks?: ForeignResumptionPsks | undefined
  config?: Partial<GroupConfig> | undefined
  authenticatedData?: Uint8Array | undefined
}

const groupInfoWithBytes = withBytes(groupInfoCodec)

/** The GroupInfo inside an MLSMessage, with its exact bytes (for the signature). */
export function decodeGroupInfoMessage(bytes: Uint8Array): Encoded<GroupInfo> {
  const m = decodeMLSMessage(bytes)
  if (m.wireFormat !== WireFormat.mls_group_info) throw new TalosError('DECODE_UNEXPECTED_WIRE_FORMAT', 'expected a GroupInfo')
  // Re-decode the body to keep its bytes: MLSMessage header is 4 octets.
  return decode(groupInfoWithBytes, bytes.subarray(4), 'GroupInfo')
}

export async function joinByExternalCommit(opts: ExternalJoinOptions): Promise<{ state: GroupState; commit: Uint8Array }> {
  if (opts.groupInfo.length + (opts.ratchetTree?.length ?? 0) >= PRESTART_POOL_BYTES) startVerifyWorkers() // see join.ts
  const config = resolveConfig(opts.config)
  const giEnc = decodeGroupInfoMessage(opts.groupInfo)
  const gi = giEnc.value
  const old = gi.groupContext
  const suite = getCipherSuite(old.cipherSuite)
  if (old.version !== MLS10) throw new TalosError('MLS_GROUP_INFO_SUITE_MISMATCH', 'GroupInfo is not mls10')
  checkUniqueExtensions(gi.extensions, 'GroupInfo')
  checkUniqueExtensions(old.extensions, 'GroupContext')
  const capabilities = opts.capabilities ?? defaultCapabilities()
  checkWeSupportGroupExtensions(old.extensions, capabilities)
  const externalPub = externalPubOf(gi.extensions)
  if (externalPub === undefined) throw new TalosError('MLS_MISSING_EXTERNAL_PUB', 'the GroupInfo has no external_pub extension')
  // Checked here, not by the KEM: a body that is not ExternalPub can still parse as a shorter opaque<V>
  // (a bare key whose first byte reads as a length), and the error must not depend on the key's bytes.
  if (externalPub.length !== suite.Npk) {
    throw new TalosError('DECODE_INVALID_VALUE', `external_pub holds ${externalPub.length} bytes, not a public key of the group's suite (${suite.Npk})`)
  }
  // Leaf signatures verified by the pool meanwhile (see join.ts).
  const { tree: liveTree, leafSignatures } = treeFrom(suite.id, gi.extensions, opts.ratchetTree, config, old.groupId)
  try {
    const signer = gi.signer < liveTree.leafCount ? liveTree.leaf(gi.signer) : undefined
    if (signer === undefined) throw new TalosError('MLS_INVALID_GROUP_INFO_SIGNER', `GroupInfo signer ${gi.signer} is not a member`)
    verifyGroupInfoSignature(suite, giEnc, signer.signatureKey)
  } catch (e) {
    leafSignatures.cancel()
    throw e
  }
  await validateRatchetTreeAsync(
    liveTree,
    {
      groupId: old.groupId,
      treeHash: old.treeHash,
      authService: config.authService,
      now: config.checkReceivedLifetimes ? config.clock() : undefined,
      maxLifetimeSeconds: config.maxLifetimeSeconds,
      requiredCapabilities: requiredCapabilitiesOf(old.extensions),
      cipherSuite: suite.id,
    },
    leafSignatures,
  )

  const sig = copyKeyPair(opts.signatureKeyPair) ?? suite.generateSignatureKeyPair()
  const { kemOutput, initSecret } = await externalInitSender(suite, externalPub)
  const proposals: Proposal[] = [{ proposalType: ProposalType.external_init, externalInit: { kemOutput } }]
  if (opts.removeLeaf !== undefined) {
    const oldLeaf = opts.removeLeaf < liveTree.leafCount ? liveTree.leaf(opts.removeLeaf) : undefined
    if (oldLeaf === undefined) throw new TalosError('MLS_REMOVE_BLANK_LEAF', `leaf ${opts.removeLeaf} is not a member`)
    if (!sameCredentialIdentity(oldLeaf.credential, opts.credential)) {
      throw new TalosError('MLS_EXTERNAL_RESYNC_IDENTITY_MISMATCH', 'a resync must keep the removed member identity')
    }
    proposals.push({ proposalType: ProposalType.remove, remove: { removed: opts.removeLeaf } })
  }
  for (const psk of opts.psks ?? []) proposals.push({ proposalType: ProposalType.psk, psk: { psk } })
  const sender = { senderType: SenderType.new_member_commit } as const
  const sorted = validateProposalList(
    {
      suite,
      groupVersion: old.version,
      leafAt: (i) => (i < liveTree.leafCount ? liveTree.leaf(i) : undefined),
      leafOfSignatureKey: (k) => liveTree.findSignatureKey(k),
    },
    { kind: 'external' },
    proposals.map((proposal) => ({ proposal, sender })),
  )

  const tree = liveTree.clone()
  let pskSecret: Uint8Array | undefined
  let path: CreatedUpdatePath | undefined
  let privateKeys: TreePrivateKeys | undefined
  try {
    const applied = applyProposals(tree, old, sorted, { config })
    const ownLeaf = tree.leftmostBlankLeaf()
    privateKeys = new TreePrivateKeys(ownLeaf)
    pskSecret = resolvePskSecret(suite, sorted.psks, pskResolver(old.groupId, new Map(), opts.externalPsks, opts.resumptionPsks))
    path = await createUpdatePath({
      tree,
      leafIndex: ownLeaf,
      groupId: old.groupId,
      signaturePrivateKey: sig.privateKey,
      leaf: { signatureKey: sig.publicKey, credential: opts.credential, capabilities, extensions: opts.leafExtensions ?? [] },
      groupContext: (th) => encode(groupContextCodec, provisionalContext(old, th, applied.extensions)),
      privateKeys,
    })
    const framing = createFramingContext(suite, old)
    const ac = signContent(
      framing,
      WireFormat.mls_public_message,
      {
        sender,
        authenticatedData: opts.authenticatedData,
        contentType: ContentType.commit,
        commit: { proposals: proposals.map((proposal) => ({ type: ProposalOrRefType.proposal, proposal })), path: path.updatePath },
      },
      sig.privateKey,
    )
    const advanced = advanceEpoch({
      suite,
      config,
      old,
      oldInterimTranscriptHash: interimTranscriptHash(suite, old.confirmedTranscriptHash, gi.confirmationTag),
      tree,
      extensions: applied.extensions,
      commit: ac,
      initSecret,
      commitSecret: path.commitSecret,
      pskSecret,
    })
    memzero(advanced.joinerSecret)
    memzero(advanced.welcomeSecret)
    const publicMessage = protectPublicMessage(framing, withConfirmationTag(ac, advanced.confirmationTag))
    const state: GroupState = {
      suite,
      config,
      tree,
      privateKeys,
      ownLeaf: ownLeaf,
      signaturePriv: sig.privateKey,
      epoch: advanced.epoch,
      proposals: ProposalCache.empty(),
      updateKeys: new Map(),
      resumptionPsks: config.resumptionPskRetention > 0 ? new Map([[advanced.groupContext.epoch, advanced.epoch.keys.resumptionPsk.slice()]]) : new Map(),
      retired: [],
      removed: false,
    }
    return { state, commit: encodeMLSMessage({ version: MLS10, wireFormat: WireFormat.mls_public_message, publicMessage }) }
  } catch (e) {
    privateKeys?.dispose()
    memzero(sig.privateKey) // our copy (or our own fresh key): nothing keeps it
    throw e
  } finally {
    memzero(initSecret)
    memzero(pskSecret)
    path?.wipe()
  }
}
