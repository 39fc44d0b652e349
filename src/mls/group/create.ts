/**
 * Group creation (RFC 9420 §11): a one-member group at epoch 0.
 *
 *   tree: one leaf (ours); group_id chosen by the creator (default: Nh random
 *   bytes); epoch 0; tree_hash of that tree; confirmed_transcript_hash empty;
 *   epoch_secret fresh random; extensions as given.
 *   confirmation_tag = MAC(confirmation_key, "") and the interim transcript
 *   hash from it.
 */
import { getCipherSuite } from '../../crypto/index.js'
import { memzero, randomBytes } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import { confirmationTag, interimTranscriptHash } from '../framing/transcript.js'
import { defaultCapabilities } from '../keys/capabilities.js'
import { buildLeafNode, lifetimeFromNow } from '../keys/leaf-node.js'
import { DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS } from '../keys/key-package.js'
import { deriveEpochSecrets } from '../schedule/key-schedule.js'
import { RatchetTree } from '../tree/ratchet-tree.js'
import { TreePrivateKeys } from '../treekem/private-keys.js'
import type { Capabilities } from '../wire/capabilities.js'
import type { Credential } from '../wire/credential.js'
import type { Extension } from '../wire/extension.js'
import { MLS10, type GroupContext } from '../wire/group-context.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import { resolveConfig, type GroupConfig } from './config.js'
import { openEpoch } from './epoch.js'
import { checkUniqueExtensions, checkWeSupportGroupExtensions, requiredCapabilitiesOf } from './extensions.js'
import { meetsRequiredCapabilities } from '../keys/capabilities.js'
import { ProposalCache } from './proposal-cache.js'
import type { GroupState } from './state.js'
import type { KeyPair } from '../../crypto/suite.js'

export interface CreateGroupOptions {
  cipherSuite: number
  credential: Credential
  /**
   * Our signature key pair. The group keeps a copy of the private key (made with
   * `new Uint8Array`, since `slice()` on a Node Buffer is a view) and zeroes that
   * copy on destroy(): the caller's array is never kept nor changed.
   */
  signatureKeyPair?: KeyPair | undefined
  groupId?: Uint8Array | undefined
  extensions?: Extension[] | undefined
  capabilities?: Capabilities | undefined
  leafExtensions?: Extension[] | undefined
  config?: Partial<GroupConfig> | undefined
}

export const MAX_GROUP_ID_BYTES = 256

export async function createGroup(opts: CreateGroupOptions): Promise<GroupState> {
  const config = resolveConfig(opts.config)
  const suite = getCipherSuite(opts.cipherSuite)
  const groupId = opts.groupId ?? randomBytes(suite.Nh)
  if (groupId.length === 0 || groupId.length > MAX_GROUP_ID_BYTES) {
    throw new TalosError('MLS_INVALID_GROUP_ID', `group_id must be 1..${MAX_GROUP_ID_BYTES} bytes`)
  }
  const extensions = opts.extensions ?? []
  checkUniqueExtensions(extensions, 'GroupContext')
  const capabilities = opts.capabilities ?? defaultCapabilities()
  checkWeSupportGroupExtensions(extensions, capabilities)
  const required = requiredCapabilitiesOf(extensions)
  if (required && !meetsRequiredCapabilities(capabilities, required)) {
    throw new TalosError('MLS_REQUIRED_CAPABILITIES_UNSUPPORTED', 'the creator does not meet its own required_capabilities')
  }
  const sig = copyKeyPair(opts.signatureKeyPair) ?? suite.generateSignatureKeyPair()
  const enc = await suite.generateHpkeKeyPair()
  const leaf = buildLeafNode(
    suite,
    sig.privateKey,
    { encryptionKey: enc.publicKey, signatureKey: sig.publicKey, credential: opts.credential, capabilities, extensions: opts.leafExtensions ?? [] },
    { leafNodeSource: LeafNodeSource.key_package, lifetime: lifetimeFromNow(DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS) },
  )
  const tree = RatchetTree.create(suite, leaf)
  const privateKeys = new TreePrivateKeys(0)
  privateKeys.set(0, enc.privateKey, enc.publicKey)
  const groupContext: GroupContext = {
    version: MLS10,
    cipherSuite: suite.id,
    groupId,
    epoch: 0n,
    treeHash: tree.treeHash(),
    confirmedTranscriptHash: new Uint8Array(0),
    extensions,
  }
  const epochSecret = randomBytes(suite.Nh)
  const secrets = deriveEpochSecrets(suite, epochSecret)
  memzero(epochSecret)
  const tag = confirmationTag(suite, secrets.confirmationKey, groupContext.confirmedTranscriptHash)
  const epoch = openEpoch(
    suite,
    groupContext,
    secrets,
    tree.leafCount,
    { interimTranscriptHash: interimTranscriptHash(suite, groupContext.confirmedTranscriptHash, tag), confirmationTag: tag },
    config,
  )
  return {
    suite,
    config,
    tree,
    privateKeys,
    ownLeaf: 0,
    signaturePriv: sig.privateKey,
    epoch,
    proposals: ProposalCache.empty(),
    updateKeys: new Map(),
    resumptionPsks: config.resumptionPskRetention > 0 ? new Map([[0n, epoch.keys.resumptionPsk.slice()]]) : new Map(),
    retired: [],
    removed: false,
  }
}

/** A real copy of a caller's key pair (never a view of its memory): we copy what we keep. */
export function copyKeyPair(kp: KeyPair | undefined): KeyPair | undefined {
  return kp && { privateKey: new Uint8Array(kp.privateKey), publicKey: new Uint8Array(kp.publicKey) }
}
