/**
 * The secrets of one epoch as a group holds them (RFC 9420 §8, §9, §9.2;
 * draft-ietf-mls-extensions "Exported Secrets").
 *
 * From the key schedule's EpochSecrets, encryption_secret goes to the
 * SecretTree and application_export_secret to the ExporterTree, which own
 * and consume them; the rest is kept here for the epoch's lifetime:
 * sender_data_secret and membership_key (framing), confirmation_key (the
 * epoch's own confirmation tag), exporter_secret (MLS-Exporter),
 * external_secret (external_pub for GroupInfo and ExternalInit),
 * resumption_psk, epoch_authenticator, and init_secret (consumed by the
 * next epoch's schedule).
 *
 * When an epoch ends, `retire` keeps only what decrypting late messages
 * needs (sender_data_secret, membership_key, the secret tree) and zeroes the
 * rest; when a retired epoch falls out of the retention window, `zeroRetired`
 * zeroes that too.
 */
import { memzero } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { createFramingContext, type FramingContext } from '../framing/context.js'
import type { EpochSecrets } from '../schedule/key-schedule.js'
import { ExporterTree } from '../schedule/exporter-tree.js'
import { SecretTree, type SecretTreeOptions } from '../schedule/secret-tree.js'
import type { GroupContext } from '../wire/group-context.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'

export interface EpochKeys {
  readonly senderDataSecret: Uint8Array
  readonly exporterSecret: Uint8Array
  readonly externalSecret: Uint8Array
  readonly confirmationKey: Uint8Array
  readonly membershipKey: Uint8Array
  readonly resumptionPsk: Uint8Array
  readonly epochAuthenticator: Uint8Array
  readonly initSecret: Uint8Array
}

/** Everything a member holds about the current epoch besides the tree. */
export interface Epoch {
  readonly framing: FramingContext
  readonly keys: EpochKeys
  readonly secretTree: SecretTree
  readonly exporterTree: ExporterTree
  readonly interimTranscriptHash: Uint8Array
  /** The confirmation_tag that started this epoch (for GroupInfo, §12.4.3). */
  readonly confirmationTag: Uint8Array
}

/** What stays of an ended epoch so its late application messages still decrypt. */
export interface RetiredEpoch {
  readonly framing: FramingContext
  /** The epoch's tree, for the senders' signature keys (nodes are shared, not copied). */
  readonly tree: RatchetTree
  readonly senderDataSecret: Uint8Array
  readonly membershipKey: Uint8Array
  readonly secretTree: SecretTree
}

export function groupContextOf(epoch: Epoch): GroupContext {
  return epoch.framing.groupContext
}

/** Builds the epoch from a schedule run; takes ownership of every secret in `secrets`. */
export function openEpoch(
  suite: CipherSuite,
  groupContext: GroupContext,
  secrets: EpochSecrets,
  nLeaves: number,
  transcript: { interimTranscriptHash: Uint8Array; confirmationTag: Uint8Array },
  limits: SecretTreeOptions,
): Epoch {
  const { encryptionSecret, applicationExportSecret, ...rest } = secrets
  return {
    framing: createFramingContext(suite, groupContext),
    keys: {
      senderDataSecret: rest.senderDataSecret,
      exporterSecret: rest.exporterSecret,
      externalSecret: rest.externalSecret,
      confirmationKey: rest.confirmationKey,
      membershipKey: rest.membershipKey,
      resumptionPsk: rest.resumptionPsk,
      epochAuthenticator: rest.epochAuthenticator,
      initSecret: rest.initSecret,
    },
    secretTree: SecretTree.create(suite, nLeaves, encryptionSecret, limits),
    exporterTree: ExporterTree.create(suite, applicationExportSecret),
    interimTranscriptHash: transcript.interimTranscriptHash,
    confirmationTag: transcript.confirmationTag,
  }
}

/**
 * Ends an epoch: zeroes everything but what late-message decryption needs.
 * resumption_psk is copied out first by the caller when it keeps it.
 */
export function retireEpoch(epoch: Epoch, tree: RatchetTree): RetiredEpoch {
  const k = epoch.keys
  for (const s of [k.exporterSecret, k.externalSecret, k.confirmationKey, k.resumptionPsk, k.epochAuthenticator, k.initSecret]) {
    memzero(s)
  }
  epoch.exporterTree.zeroize()
  return { framing: epoch.framing, tree, senderDataSecret: k.senderDataSecret, membershipKey: k.membershipKey, secretTree: epoch.secretTree }
}

export function zeroRetired(r: RetiredEpoch): void {
  memzero(r.senderDataSecret)
  memzero(r.membershipKey)
  r.secretTree.zeroize()
}

/** Zeroes a whole epoch (a group being deleted). */
export function zeroEpoch(epoch: Epoch, tree: RatchetTree): void {
  zeroRetired(retireEpoch(epoch, tree))
}
