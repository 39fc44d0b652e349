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
import { decode, encode, varintSize, Writer } from '../../codec/tls.js'
import { encryptContext, encryptContextPrefix } from '../../crypto/labeled.js'
import { constantTimeEqual, memzero } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { deriveWelcomeKeyNonce } from '../schedule/key-schedule.js'
import { withBytes, type Encoded } from '../wire/encoded.js'
import { groupInfoCodec, groupInfoTbsBytes, type GroupInfo } from '../wire/group-info.js'
import { WireFormat } from '../wire/framing.js'
import { MLS10 } from '../wire/group-context.js'
import { mlsMessageCodec } from '../wire/message.js'
import { encryptedGroupSecretsCodec, groupSecretsCodec, type EncryptedGroupSecrets, type GroupSecrets, type Welcome } from '../wire/welcome.js'

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

export interface WelcomeRecipient {
  keyPackageRef: Uint8Array
  initKey: Uint8Array
  groupSecrets: GroupSecrets
}

/** The AEAD tag size of every MLS suite's AEAD (RFC 9420 §17.1: AES-GCM and ChaCha20-Poly1305, Nt = 16). */
const TAG = 16

const opaqueSize = (n: number): number => varintSize(n) + n

/**
 * A Welcome as an MLSMessage (§6, §12.4.3.1): the GroupInfo sealed once,
 * GroupSecrets sealed to each new member's init key, written into one buffer
 * sized up front:
 *
 *   version || wire_format || cipher_suite || secrets<V> || encrypted_group_info<V>
 *
 * encrypted_group_info carries the whole tree (~2 MB at n = 10,000), so it
 * is sealed straight into its place, and the EncryptWithLabel context of
 * every GroupSecrets (EncryptContext = label<V> || encrypted_group_info<V>,
 * §5.1.3) is read in place as well: the label is written into the bytes just
 * before encrypted_group_info<V>, which belong to `secrets` and are written
 * over once every GroupSecrets is sealed (HPKE keeps no view of an info: what
 * hpke.ts caches of it is a copy). The secrets' size is known before
 * sealing (an HPKE ciphertext is its plaintext plus the tag; a DHKEM's enc is
 * a public key of the recipient's group, as long as the init key); should a
 * seal ever differ, the message is encoded generically from the same parts.
 */
export async function sealWelcomeMessage(
  suite: CipherSuite,
  groupInfoBytes: Uint8Array,
  welcomeSecret: Uint8Array,
  recipients: readonly WelcomeRecipient[],
): Promise<Uint8Array> {
  const plains = recipients.map((r) => encode(groupSecretsCodec, r.groupSecrets))
  try {
    let secretsLength = 0
    recipients.forEach((r, i) => {
      secretsLength += opaqueSize(r.keyPackageRef.length) + opaqueSize(r.initKey.length) + opaqueSize(plains[i]!.length + TAG)
    })
    const egiLength = groupInfoBytes.length + TAG
    // Only the few header bytes go through a Writer: the rest is sealed and written in place.
    const head = new Writer(10).u16(MLS10).u16(WireFormat.mls_welcome).u16(suite.id).varint(secretsLength).finish()
    const egiHead = new Writer(4).varint(egiLength).finish()
    const secretsAt = head.length
    const egiAt = secretsAt + secretsLength + egiHead.length
    const buf = new Uint8Array(egiAt + egiLength)
    buf.set(head, 0)
    buf.set(egiHead, egiAt - egiHead.length)
    const { key, nonce } = deriveWelcomeKeyNonce(suite, welcomeSecret)
    try {
      suite.sealInto(key, nonce, EMPTY, groupInfoBytes, buf, egiAt)
    } finally {
      memzero(key)
      memzero(nonce)
    }
    const encryptedGroupInfo = buf.subarray(egiAt)
    // EncryptContext = label<V> || encrypted_group_info<V>: the label goes into the (not yet written) secrets.
    const prefix = encryptContextPrefix(WELCOME_LABEL, egiLength)
    const contextAt = egiAt - prefix.length
    let context: Uint8Array
    if (contextAt >= secretsAt) {
      buf.set(prefix, contextAt)
      context = buf.subarray(contextAt)
    } else {
      context = encryptContext(WELCOME_LABEL, encryptedGroupInfo)
    }
    // One batch: a Commit adding many members spreads their seals' scalar multiplications over cores.
    const cts = await suite.hpkeSealMany(
      recipients.map((r) => r.initKey),
      context,
      EMPTY,
      plains,
    )
    const secrets: EncryptedGroupSecrets[] = cts.map((ct, i) => ({
      newMember: recipients[i]!.keyPackageRef,
      encryptedGroupSecrets: { kemOutput: ct.kemOutput, ciphertext: ct.ciphertext },
    }))
    const sw = new Writer(secretsLength)
    for (const e of secrets) encryptedGroupSecretsCodec.encode(sw, e)
    const body = sw.finish()
    if (body.length === secretsLength) {
      buf.set(body, secretsAt)
      return buf
    }
    const welcome: Welcome = { cipherSuite: suite.id, secrets, encryptedGroupInfo }
    return encode(mlsMessageCodec, { version: MLS10, wireFormat: WireFormat.mls_welcome, welcome })
  } finally {
    for (const p of plains) memzero(p)
  }
}
