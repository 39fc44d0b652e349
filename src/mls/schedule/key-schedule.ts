/**
 * The MLS key schedule (RFC 9420 §8, Table 4 "Epoch-Derived Secrets"), plus
 * `application_export_secret` (draft-ietf-mls-extensions "Exported Secrets").
 *
 *   init_secret_[n-1] --(salt) KDF.Extract (ikm)-- commit_secret
 *        -> ExpandWithLabel(., "joiner", GroupContext_[n], Nh) = joiner_secret
 *   joiner_secret --(salt) KDF.Extract (ikm)-- psk_secret (or 0)   = member (intermediate)
 *        -> DeriveSecret(., "welcome")                              = welcome_secret
 *        -> ExpandWithLabel(., "epoch", GroupContext_[n], Nh)       = epoch_secret
 *   epoch_secret -> DeriveSecret(., <label>) for every Table 4 label, then "init".
 *
 * Ownership and deletion (§9.2):
 *  - Inputs (init_secret of the previous epoch, commit_secret, psk_secret,
 *    joiner_secret) are BORROWED and never modified here. Processing a Commit
 *    is staged (ARCHITECTURE.md): if the Commit is rejected after the schedule
 *    ran, the live epoch's init_secret must still be intact. The caller zeroes
 *    them when the new epoch is merged (`zeroSecrets` helps).
 *  - Values created and consumed inside a derivation (the two KDF.Extract
 *    outputs and epoch_secret) are zeroed before returning.
 *  - `joiner_secret` and `welcome_secret` are returned because the committer
 *    needs them to build a Welcome; zero them once the Welcome is built
 *    (or, for a joiner, once the GroupInfo is decrypted).
 *
 * What an epoch keeps (EpochSecrets): sender_data_secret, exporter_secret,
 * external_secret, confirmation_key, membership_key, resumption_psk,
 * epoch_authenticator and init_secret (for the next epoch). encryption_secret
 * and application_export_secret are handed over to the SecretTree and the
 * ExporterTree, which own them and zero them as soon as their children are
 * derived; they are never stored elsewhere.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'

/** Everything an epoch derives from its epoch_secret (RFC 9420 Table 4). */
export interface EpochSecrets {
  /** "sender data": keys for SenderData encryption (§6.3.2). */
  readonly senderDataSecret: Uint8Array
  /** "encryption": root of the secret tree (§9); owned by SecretTree once created. */
  readonly encryptionSecret: Uint8Array
  /** "exporter": MLS-Exporter (§8.5). */
  readonly exporterSecret: Uint8Array
  /** "external": seed of the external HPKE key pair (§8). */
  readonly externalSecret: Uint8Array
  /** "confirm": confirmation_tag MAC key (§8.1). */
  readonly confirmationKey: Uint8Array
  /** "membership": membership_tag MAC key for PublicMessage (§6.2). */
  readonly membershipKey: Uint8Array
  /** "resumption": resumption PSK of this epoch (§8.6). */
  readonly resumptionPsk: Uint8Array
  /** "authentication": epoch_authenticator (§8.7). */
  readonly epochAuthenticator: Uint8Array
  /** "application_export": root of the exporter tree (SafeExportSecret). */
  readonly applicationExportSecret: Uint8Array
  /** DeriveSecret(epoch_secret, "init"): init_secret_[n] for the next epoch. */
  readonly initSecret: Uint8Array
}

/** The result of a full schedule run (a member processing or creating a Commit). */
export interface EpochKeySchedule extends EpochSecrets {
  /** For GroupSecrets in a Welcome; the caller zeroes it after use. */
  readonly joinerSecret: Uint8Array
  /** Key material for the Welcome's encrypted GroupInfo; the caller zeroes it after use. */
  readonly welcomeSecret: Uint8Array
}

/** The joiner's view: no joiner_secret of its own making. */
export interface JoinedEpochSecrets extends EpochSecrets {
  readonly welcomeSecret: Uint8Array
}

export interface KeyScheduleInput {
  /** init_secret_[n-1], or a fresh random value for epoch 0, or the external-init secret. */
  readonly initSecret: Uint8Array
  /** From TreeKEM; the all-zero Nh vector when the Commit has no path. */
  readonly commitSecret: Uint8Array
  /** From computePskSecret(); undefined means "no PSKs" (the all-zero Nh vector). */
  readonly pskSecret?: Uint8Array | undefined
  /** TLS-serialized GroupContext_[n] of the new epoch. */
  readonly groupContext: Uint8Array
}

export interface JoinerInput {
  readonly joinerSecret: Uint8Array
  readonly pskSecret?: Uint8Array | undefined
  readonly groupContext: Uint8Array
}

function requireLength(suite: CipherSuite, value: Uint8Array, what: string): void {
  if (value.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_SECRET_LENGTH', `${what} must be ${suite.Nh} bytes, got ${value.length}`)
  }
}

/** A fresh all-zero Nh vector: the "0" of the RFC 9420 §8 diagram. */
export function zeroSecret(suite: CipherSuite): Uint8Array {
  return new Uint8Array(suite.Nh)
}

/**
 * joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret), "joiner", GroupContext, Nh).
 * init_secret is the salt, commit_secret the IKM.
 */
export function deriveJoinerSecret(
  suite: CipherSuite,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  groupContext: Uint8Array,
): Uint8Array {
  requireLength(suite, initSecret, 'init_secret')
  requireLength(suite, commitSecret, 'commit_secret')
  const prk = suite.extract(initSecret, commitSecret)
  try {
    return suite.expandWithLabel(prk, 'joiner', groupContext, suite.Nh)
  } finally {
    memzero(prk)
  }
}

/** The intermediate secret Extract(joiner_secret, psk_secret or 0): caller zeroes it. */
function deriveMemberSecret(suite: CipherSuite, joinerSecret: Uint8Array, pskSecret: Uint8Array | undefined): Uint8Array {
  requireLength(suite, joinerSecret, 'joiner_secret')
  if (pskSecret !== undefined) requireLength(suite, pskSecret, 'psk_secret')
  return suite.extract(joinerSecret, pskSecret ?? zeroSecret(suite))
}

/**
 * welcome_secret = DeriveSecret(Extract(joiner_secret, psk_secret), "welcome").
 * A joiner needs it before it knows the GroupContext (which is inside the
 * GroupInfo that this secret decrypts).
 */
export function deriveWelcomeSecret(suite: CipherSuite, joinerSecret: Uint8Array, pskSecret?: Uint8Array): Uint8Array {
  const member = deriveMemberSecret(suite, joinerSecret, pskSecret)
  try {
    return suite.deriveSecret(member, 'welcome')
  } finally {
    memzero(member)
  }
}

/** welcome_key / welcome_nonce (RFC 9420 §12.4.3.1) for the encrypted GroupInfo. */
export function deriveWelcomeKeyNonce(suite: CipherSuite, welcomeSecret: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  requireLength(suite, welcomeSecret, 'welcome_secret')
  return {
    key: suite.expandWithLabel(welcomeSecret, 'key', new Uint8Array(0), suite.Nk),
    nonce: suite.expandWithLabel(welcomeSecret, 'nonce', new Uint8Array(0), suite.Nn),
  }
}

/**
 * Every secret derived from epoch_secret. `epochSecret` is borrowed (the two
 * callers below zero it).
 */
export function deriveEpochSecrets(suite: CipherSuite, epochSecret: Uint8Array): EpochSecrets {
  requireLength(suite, epochSecret, 'epoch_secret')
  const d = (label: string) => suite.deriveSecret(epochSecret, label)
  return {
    senderDataSecret: d('sender data'),
    encryptionSecret: d('encryption'),
    exporterSecret: d('exporter'),
    externalSecret: d('external'),
    confirmationKey: d('confirm'),
    membershipKey: d('membership'),
    resumptionPsk: d('resumption'),
    epochAuthenticator: d('authentication'),
    applicationExportSecret: d('application_export'),
    initSecret: d('init'),
  }
}

/** From the member secret: welcome_secret and all epoch secrets; zeroes epoch_secret. */
function fromMemberSecret(suite: CipherSuite, member: Uint8Array, groupContext: Uint8Array): JoinedEpochSecrets {
  const welcomeSecret = suite.deriveSecret(member, 'welcome')
  let epochSecret: Uint8Array | undefined
  try {
    epochSecret = suite.expandWithLabel(member, 'epoch', groupContext, suite.Nh)
    return { ...deriveEpochSecrets(suite, epochSecret), welcomeSecret }
  } catch (e) {
    memzero(welcomeSecret)
    throw e
  } finally {
    memzero(epochSecret)
  }
}

/**
 * The full schedule for a member creating or processing a Commit
 * (RFC 9420 §8). Inputs are borrowed; see the header for who zeroes what.
 */
export function runKeySchedule(suite: CipherSuite, input: KeyScheduleInput): EpochKeySchedule {
  const joinerSecret = deriveJoinerSecret(suite, input.initSecret, input.commitSecret, input.groupContext)
  let member: Uint8Array | undefined
  try {
    member = deriveMemberSecret(suite, joinerSecret, input.pskSecret)
    return { ...fromMemberSecret(suite, member, input.groupContext), joinerSecret }
  } catch (e) {
    memzero(joinerSecret)
    throw e
  } finally {
    memzero(member)
  }
}

/**
 * The joiner path (RFC 9420 §12.4.3.1): from the joiner_secret of the
 * GroupSecrets, the PSKs it lists and the GroupContext of the GroupInfo.
 */
export function runJoinerKeySchedule(suite: CipherSuite, input: JoinerInput): JoinedEpochSecrets {
  const member = deriveMemberSecret(suite, input.joinerSecret, input.pskSecret)
  try {
    return fromMemberSecret(suite, member, input.groupContext)
  } finally {
    memzero(member)
  }
}

/** Zeroes every buffer given (undefined entries are skipped): for merge-time cleanup. */
export function zeroSecrets(...secrets: (Uint8Array | undefined)[]): void {
  for (const s of secrets) memzero(s)
}

/** Zeroes every secret an epoch holds (when the epoch is dropped). */
export function zeroEpochSecrets(s: EpochSecrets): void {
  zeroSecrets(
    s.senderDataSecret,
    s.encryptionSecret,
    s.exporterSecret,
    s.externalSecret,
    s.confirmationKey,
    s.membershipKey,
    s.resumptionPsk,
    s.epochAuthenticator,
    s.applicationExportSecret,
    s.initSecret,
  )
}
