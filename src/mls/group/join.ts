/**
 * Joining a group from a Welcome (RFC 9420 §12.4.3.1).
 *
 * Order of checks: our GroupSecrets (KeyPackageRef, init key) -> PSKs ->
 * welcome_secret -> GroupInfo decrypts, suite matches -> the tree (from the
 * ratchet_tree extension or given out of band) -> GroupInfo signature by the
 * signer's leaf -> full tree validation (tree hash = GroupContext.tree_hash,
 * unmerged leaves, parent hashes, every leaf §7.3) -> our leaf found by our
 * KeyPackage's LeafNode -> path secret to private keys -> epoch secrets ->
 * confirmation tag -> interim transcript hash. Joining is O(n): every leaf
 * signature is verified once and the tree hash computed once. The leaf
 * signatures (~90% of a join) are verified on the verification pool
 * (src/crypto/verify-pool.ts), started as soon as the tree is decoded; their
 * verdicts are judged in the order above, so errors are those of the
 * sequential checks.
 *
 * Nothing exists until every check passed; the secrets of the Welcome
 * (joiner_secret, welcome_secret, path_secret, psk_secret) are zeroed on
 * every path out.
 */
import { encode } from '../../codec/tls.js'
import { memzero, constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'
import { getCipherSuite } from '../../crypto/index.js'
import { startVerifyWorkers } from '../../crypto/verify-pool.js'
import { TalosError } from '../../errors.js'
import { interimTranscriptHash, verifyConfirmationTag } from '../framing/transcript.js'
import type { KeyPackageSecrets } from '../keys/key-package.js'
import { keyPackageRef } from '../keys/key-package.js'
import { defaultCapabilities } from '../keys/capabilities.js'
import { deriveWelcomeSecret, runJoinerKeySchedule } from '../schedule/key-schedule.js'
import { resolvePskSecret } from '../schedule/psk.js'
import { decodeTreeNodes } from '../tree/codec.js'
import { RatchetTree } from '../tree/ratchet-tree.js'
import { startLeafSignatures, validateRatchetTreeAsync, type PendingLeafSignatures } from '../tree/validate.js'
import { deriveKeysFromPathSecret, setLeafKey, TreePrivateKeys } from '../treekem/index.js'
import type { Encoded } from '../wire/encoded.js'
import { ExtensionType } from '../wire/extension.js'
import { groupContextCodec, MLS10 } from '../wire/group-context.js'
import type { KeyPackage } from '../wire/key-package.js'
import { leafNodeCodec } from '../wire/leaf-node.js'
import { PSKType, ResumptionPSKUsage, type PreSharedKeyID } from '../wire/psk.js'
import type { Welcome } from '../wire/welcome.js'
import { checkTreeSize } from './apply-proposals.js'
import { resolveConfig, type GroupConfig } from './config.js'
import { openEpoch } from './epoch.js'
import { checkUniqueExtensions, checkWeSupportGroupExtensions, findExtension, requiredCapabilitiesOf } from './extensions.js'
import { ProposalCache } from './proposal-cache.js'
import { pskResolver, type ExternalPskStore, type ForeignResumptionPsks } from './psk.js'
import type { GroupState } from './state.js'
import { openGroupInfo, openGroupSecrets, verifyGroupInfoSignature } from './welcome.js'

export interface JoinOptions {
  welcome: Welcome
  /** Our KeyPackage with its exact bytes, and its private keys. */
  keyPackage: Encoded<KeyPackage>
  secrets: KeyPackageSecrets
  /** ratchet_tree extension body, when the Welcome does not carry the tree. */
  ratchetTree?: Uint8Array | undefined
  externalPsks?: ExternalPskStore | undefined
  /** resumption_psk of other groups (ReInit, branch). */
  resumptionPsks?: ForeignResumptionPsks | undefined
  config?: Partial<GroupConfig> | undefined
  /** Current time (seconds) for lifetime checks; omitted: config.clock() when config.checkReceivedLifetimes. */
  now?: bigint | undefined
}

/** What the Welcome told us beyond the state (for ReInit / branch follow-up checks by the caller). */
export interface JoinResult {
  state: GroupState
  /** A resumption PSK with usage reinit or branch that the Welcome used, if any. */
  resumption?: PreSharedKeyID | undefined
}

/** §12.4.3.1: at most one resumption PSK of usage reinit or branch. */
function specialResumption(psks: readonly PreSharedKeyID[]): PreSharedKeyID | undefined {
  const special = psks.filter((p) => p.psktype === PSKType.resumption && p.usage !== ResumptionPSKUsage.application)
  if (special.length > 1) throw new TalosError('MLS_INVALID_PSK_USAGE', 'more than one reinit/branch resumption PSK in a Welcome')
  return special[0]
}

/**
 * Welcome (or out-of-band tree) size from which the tree may have PARALLEL_MIN = 64 leaves (the
 * smallest LeafNode, two keys, a short credential, a signature, is ~150 bytes: 64 make ~9.6 KB):
 * the verification workers are then started at once, to load while the Welcome is opened.
 */
export const PRESTART_POOL_BYTES = 8 * 1024

export async function joinFromWelcome(opts: JoinOptions): Promise<JoinResult> {
  if (opts.welcome.encryptedGroupInfo.length + (opts.ratchetTree?.length ?? 0) >= PRESTART_POOL_BYTES) startVerifyWorkers()
  const config = resolveConfig(opts.config)
  const kp = opts.keyPackage.value
  const suite = getCipherSuite(kp.cipherSuite)
  const gs = await openGroupSecrets(suite, opts.welcome, keyPackageRef(suite, opts.keyPackage.bytes), opts.secrets.initPriv)
  let pskSecret: Uint8Array | undefined
  let welcomeSecret: Uint8Array | undefined
  try {
    const resumption = specialResumption(gs.psks)
    pskSecret = resolvePskSecret(suite, gs.psks, pskResolver(new Uint8Array(0), new Map(), opts.externalPsks, opts.resumptionPsks))
    welcomeSecret = deriveWelcomeSecret(suite, gs.joinerSecret, pskSecret)
    const giEncoded = openGroupInfo(suite, opts.welcome, welcomeSecret)
    const gi = giEncoded.value
    const gc = gi.groupContext
    if (gc.cipherSuite !== suite.id || gc.version !== MLS10) {
      throw new TalosError('MLS_GROUP_INFO_SUITE_MISMATCH', 'GroupInfo suite or version differs from our KeyPackage')
    }
    checkUniqueExtensions(gi.extensions, 'GroupInfo')
    checkUniqueExtensions(gc.extensions, 'GroupContext')
    checkWeSupportGroupExtensions(gc.extensions, defaultCapabilities())
    // The leaf signatures are already on the verification pool: its workers verify them while this thread
    // checks the GroupInfo signature and the tree-wide rules. Verdicts are judged in the same order as before.
    const { tree, leafSignatures } = treeFrom(suite.id, gi.extensions, opts.ratchetTree, config, gc.groupId)
    try {
      const signer = gi.signer < tree.leafCount ? tree.leaf(gi.signer) : undefined
      if (signer === undefined) throw new TalosError('MLS_INVALID_GROUP_INFO_SIGNER', `GroupInfo signer ${gi.signer} is not a member`)
      verifyGroupInfoSignature(suite, giEncoded, signer.signatureKey)
    } catch (e) {
      leafSignatures.cancel()
      throw e
    }

    await validateRatchetTreeAsync(
      tree,
      {
        groupId: gc.groupId,
        treeHash: gc.treeHash,
        authService: config.authService,
        now: opts.now ?? (config.checkReceivedLifetimes ? config.clock() : undefined),
        maxLifetimeSeconds: config.maxLifetimeSeconds,
        requiredCapabilities: requiredCapabilitiesOf(gc.extensions),
        cipherSuite: suite.id,
      },
      leafSignatures,
    )

    const ownLeaf = findOwnLeaf(tree, kp)
    // The epoch secrets and the confirmation tag first: a forged Welcome fails before any key is derived.
    const secrets = runJoinerKeySchedule(suite, {
      joinerSecret: gs.joinerSecret,
      pskSecret,
      groupContext: encode(groupContextCodec, gc),
    })
    memzero(secrets.welcomeSecret)
    const tag = gi.confirmationTag
    const privateKeys = new TreePrivateKeys(ownLeaf)
    try {
      verifyConfirmationTag(suite, secrets.confirmationKey, gc.confirmedTranscriptHash, tag)
      if (resumption !== undefined && gc.epoch !== 1n) {
        throw new TalosError('MLS_INVALID_PSK_USAGE', 'a reinit/branch Welcome must start the new group at epoch 1')
      }
      // Copies (new Uint8Array, not slice(): on a caller's Node Buffer that is a view the group would zero).
      await setLeafKey(tree, privateKeys, new Uint8Array(opts.secrets.encryptionPriv))
      if (gs.pathSecret !== undefined) await deriveKeysFromPathSecret(tree, privateKeys, gi.signer, gs.pathSecret.pathSecret)
    } catch (e) {
      for (const s of Object.values(secrets)) memzero(s)
      privateKeys.dispose()
      throw e
    }
    const epoch = openEpoch(
      suite,
      gc,
      secrets,
      tree.leafCount,
      { interimTranscriptHash: interimTranscriptHash(suite, gc.confirmedTranscriptHash, tag), confirmationTag: tag },
      config,
    )
    const state: GroupState = {
      suite,
      config,
      tree,
      privateKeys,
      ownLeaf,
      signaturePriv: new Uint8Array(opts.secrets.signaturePriv),
      epoch,
      proposals: ProposalCache.empty(),
      updateKeys: new Map(),
      resumptionPsks: config.resumptionPskRetention > 0 ? new Map([[gc.epoch, epoch.keys.resumptionPsk.slice()]]) : new Map(),
      retired: [],
      removed: false,
    }
    return { state, resumption }
  } finally {
    memzero(gs.joinerSecret)
    memzero(gs.pathSecret?.pathSecret)
    memzero(pskSecret)
    memzero(welcomeSecret)
  }
}

/**
 * The tree of a Welcome or GroupInfo (ratchet_tree extension, else given out
 * of band), not yet validated, and the verification of its leaf signatures
 * for `groupId`, already under way on the verification pool: started on the
 * decoded nodes, so the workers verify while the tree is built and checked.
 * The caller passes `leafSignatures` to validateRatchetTreeAsync, or cancels
 * it if it fails first.
 */
export function treeFrom(
  suiteId: number,
  giExtensions: Parameters<typeof findExtension>[0],
  outOfBand: Uint8Array | undefined,
  config: GroupConfig,
  groupId: Uint8Array,
): { tree: RatchetTree; leafSignatures: PendingLeafSignatures } {
  const ext = findExtension(giExtensions, ExtensionType.ratchet_tree)
  const bytes = ext?.extensionData ?? outOfBand
  if (bytes === undefined) throw new TalosError('MLS_MISSING_RATCHET_TREE', 'no ratchet_tree in the Welcome and none given')
  if (bytes.length > config.maxMessageBytes) {
    throw new TalosError('MLS_MESSAGE_TOO_LARGE', `a ratchet tree of ${bytes.length} bytes exceeds maxMessageBytes (${config.maxMessageBytes})`)
  }
  const suite = getCipherSuite(suiteId)
  const nodes = decodeTreeNodes(bytes)
  // The leaf count alone bounds the work of hashes and signatures: a tree over maxTreeLeaves is refused
  // (by checkTreeSize below) before any signature is verified.
  if (nodes.length > 2 * config.maxTreeLeaves - 1) {
    checkTreeSize(RatchetTree.fromNodes(suite, nodes).leafCount, config)
  }
  const leafSignatures = startLeafSignatures(suite, nodes, groupId)
  try {
    const tree = RatchetTree.fromNodes(suite, nodes)
    checkTreeSize(tree.leafCount, config)
    return { tree, leafSignatures }
  } catch (e) {
    leafSignatures.cancel()
    throw e
  }
}

/** §12.4.3.1: the leaf whose LeafNode is identical to our KeyPackage's. */
function findOwnLeaf(tree: RatchetTree, kp: KeyPackage): number {
  const x = tree.findEncryptionKey(kp.leafNode.encryptionKey)
  if (x !== undefined && (x & 1) === 0) {
    const node = tree.leafAt(x >> 1)
    if (node !== undefined && bytesEqual(node.bytes, encode(leafNodeCodec, kp.leafNode))) return x >> 1
  }
  throw new TalosError('MLS_WELCOME_NO_MATCHING_LEAF', 'no leaf of the tree is our KeyPackage leaf')
}
