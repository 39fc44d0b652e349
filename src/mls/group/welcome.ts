/**
 * Welcome messages (RFC 9420 §12.4.3.1): sealing and opening.
 *
 *   encrypted_group_secrets = EncryptWithLabel(init_key, "Welcome",
 *                                              encrypted_group_info, GroupSecrets)
 *   welcome_key   = ExpandWithLabel(welcome_secret, "key",   "", AEAD.Nk)
 *   welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", AEAD.Nn)
 *   encrypted_group_info = AEAD.Seal(welcome_key, welcome_nonce, "", GroupInfo)
 *
 * The recipient finds its entry by KeyPackageRef, decrypts the GroupSecrets
 * with its init key, derives welcome_secret (which needs psk_secret, hence
 * the GroupSecrets.psks are resolved before the GroupInfo can be read) and
 * then decrypts and checks the GroupInfo. The GroupInfo is kept with its
 * exact bytes so its signature is verified over what was sent.
 */
import { decode, encode, Writer } from '../../codec/tls.js'
import { constantTimeEqual, memzero } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { deriveWelcomeKeyNonce } from '../schedule/key-schedule.js'
import { withBytes, type Encoded } from '../wire/encoded.js'
import { groupInfoCodec, groupInfoTbsBytes, type GroupInfo } from '../wire/group-info.js'
import { groupSecretsCodec, type EncryptedGroupSecrets, type GroupSecrets, type Welcome } from '../wire/welcome.js'

const WELCOME_LABEL = 'Welcome'
const GROUP_INFO_LABEL = 'GroupInfoTBS'
const EMPTY = new Uint8Array(0)
const groupInfoWithBytes = withBytes(groupInfoCodec)

/** Our EncryptedGroupSecrets entry, by KeyPackageRef; MLS_WELCOME_NOT_FOR_US when absent. */
export function findGroupSecrets(welcome: Welcome, keyPackageRef: Uint8Array): EncryptedGroupSecrets {
  for (const s of welcome.secrets) if (constantTimeEqual(s.newMember, keyPackageRef)) return s
  throw new TalosError('MLS_WELCOME_NOT_FOR_US', 'the Welcome has no secrets for this KeyPackage')
}

/** Decrypts and decodes our GroupSecrets. The caller owns (and zeroes) its secrets. */
export async function openGroupSecrets(
  suite: CipherSuite,
  welcome: Welcome,
  keyPackageRef: Uint8Array,
  initPriv: Uint8Array,
): Promise<GroupSecrets> {
  if (welcome.cipherSuite !== suite.id) {
    throw new TalosError('MLS_WELCOME_SUITE_MISMATCH', `Welcome suite ${welcome.cipherSuite} is not the KeyPackage's ${suite.id}`)
  }
  const entry = findGroupSecrets(welcome, keyPackageRef)
  let plain: Uint8Array
  try {
    plain = await suite.decryptWithLabel(
      initPriv,
      WELCOME_LABEL,
      welcome.encryptedGroupInfo,
      entry.encryptedGroupSecrets.kemOutput,
      entry.encryptedGroupSecrets.ciphertext,
    )
  } catch (e) {
    throw new TalosError('MLS_WELCOME_DECRYPT_FAILED', 'GroupSecrets do not decrypt with our init key', { cause: e })
  }
  try {
    return decode(groupSecretsCodec, plain, 'GroupSecrets')
  } finally {
    memzero(plain)
  }
}

/** Decrypts the GroupInfo with welcome_secret (borrowed); keeps its exact bytes. */
export function openGroupInfo(suite: CipherSuite, welcome: Welcome, welcomeSecret: Uint8Array): Encoded<GroupInfo> {
  const { key, nonce } = deriveWelcomeKeyNonce(suite, welcomeSecret)
  let plain: Uint8Array
  try {
    plain = suite.open(key, nonce, EMPTY, welcome.encryptedGroupInfo)
  } catch (e) {
    throw new TalosError('MLS_WELCOME_DECRYPT_FAILED', 'GroupInfo does not decrypt with the welcome key', { cause: e })
  } finally {
    memzero(key)
    memzero(nonce)
  }
  return decode(groupInfoWithBytes, plain, 'GroupInfo')
}

/** §12.4.3.1: the GroupInfo signature under the signer's leaf signature key. */
export function verifyGroupInfoSignature(suite: CipherSuite, gi: Encoded<GroupInfo>, signerPub: Uint8Array): void {
  if (!suite.verifyWithLabel(signerPub, GROUP_INFO_LABEL, groupInfoTbsBytes(gi.value, gi.bytes), gi.value.signature)) {
    throw new TalosError('MLS_INVALID_GROUP_INFO_SIGNATURE', 'GroupInfo signature does not verify')
  }
}

/** Signs a GroupInfo (the committer, §12.4.3). */
export function signGroupInfo(suite: CipherSuite, signaturePriv: Uint8Array, tbs: Omit<GroupInfo, 'signature'>): Encoded<GroupInfo> {
  const unsigned: GroupInfo = { ...tbs, signature: EMPTY }
  const tbsBytes = groupInfoTbsBytes(unsigned)
  const value: GroupInfo = { ...tbs, signature: suite.signWithLabel(signaturePriv, GROUP_INFO_LABEL, tbsBytes) }
  // GroupInfo = GroupInfoTBS || opaque signature<V>: appended, not re-encoded (the TBS holds the whole tree).
  return { value, bytes: new Writer(tbsBytes.length + value.signature.length + 4).bytes(tbsBytes).opaque(value.signature).finish() }
}

export interface WelcomeRecipient {
  keyPackageRef: Uint8Array
  initKey: Uint8Array
  groupSecrets: GroupSecrets
}

/** Builds a Welcome: the GroupInfo sealed once, GroupSecrets sealed to each new member's init key. */
export async function sealWelcome(
  suite: CipherSuite,
  groupInfoBytes: Uint8Array,
  welcomeSecret: Uint8Array,
  recipients: readonly WelcomeRecipient[],
): Promise<Welcome> {
  const { key, nonce } = deriveWelcomeKeyNonce(suite, welcomeSecret)
  let encryptedGroupInfo: Uint8Array
  try {
    encryptedGroupInfo = suite.seal(key, nonce, EMPTY, groupInfoBytes)
  } finally {
    memzero(key)
    memzero(nonce)
  }
  const secrets: EncryptedGroupSecrets[] = []
  for (const r of recipients) {
    const plain = encode(groupSecretsCodec, r.groupSecrets)
    try {
      const ct = await suite.encryptWithLabel(r.initKey, WELCOME_LABEL, encryptedGroupInfo, plain)
      secrets.push({ newMember: r.keyPackageRef, encryptedGroupSecrets: { kemOutput: ct.kemOutput, ciphertext: ct.ciphertext } })
    } finally {
      memzero(plain)
    }
  }
  return { cipherSuite: suite.id, secrets, encryptedGroupInfo }
}
