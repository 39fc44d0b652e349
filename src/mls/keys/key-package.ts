/**
 * KeyPackages (RFC 9420 §10): creation, validation (§10.1) and KeyPackageRef
 * (§5.2).
 *
 *   KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)
 *
 * over the exact encoded KeyPackage, so received KeyPackages are kept with
 * their bytes (Encoded<KeyPackage>) and never re-encoded for hashing.
 *
 * A KeyPackage's init key is used once, to decrypt the GroupSecrets of one
 * Welcome (§16.8): the private halves live in a KeyPackageSecrets object the
 * application stores until the Welcome arrives and deletes afterwards.
 */
import { encode } from '../../codec/tls.js'
import { getCipherSuite } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/sodium.js'
import type { CipherSuite, KeyPair } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import type { Encoded } from '../wire/encoded.js'
import type { Capabilities } from '../wire/capabilities.js'
import type { Credential } from '../wire/credential.js'
import type { Extension } from '../wire/extension.js'
import type { RequiredCapabilities } from '../wire/group-info.js'
import { MLS10 } from '../wire/group-context.js'
import { keyPackageCodec, keyPackageTbsBytes, type KeyPackage, type KeyPackageTBS } from '../wire/key-package.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import type { Lifetime } from '../wire/lifetime.js'
import { encodeMLSMessage } from '../wire/message.js'
import { WireFormat } from '../wire/framing.js'
import { defaultCapabilities } from './capabilities.js'
import type { AuthenticationService } from './credential.js'
import { buildLeafNode, checkDistinctExtensionTypes, lifetimeFromNow, validateLeafNode } from './leaf-node.js'

const KP_LABEL = 'KeyPackageTBS'
const KP_REF_LABEL = 'MLS 1.0 KeyPackage Reference'
/** Default KeyPackage validity: 90 days. */
export const DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS = 90 * 24 * 3600

export function keyPackageRef(suite: CipherSuite, keyPackageBytes: Uint8Array): Uint8Array {
  return suite.refHash(KP_REF_LABEL, keyPackageBytes)
}

/** The private keys behind a KeyPackage. */
export interface KeyPackageSecrets {
  readonly initPriv: Uint8Array
  readonly encryptionPriv: Uint8Array
  readonly signaturePriv: Uint8Array
}

export interface KeyPackageBundle extends KeyPackageSecrets {
  readonly keyPackage: KeyPackage
  /** The exact KeyPackage encoding (the KeyPackageRef input). */
  readonly bytes: Uint8Array
  readonly ref: Uint8Array
}

export interface KeyPackageOptions {
  cipherSuite: number
  credential: Credential
  /** The member's signature key pair; a fresh one when omitted. */
  signatureKeyPair?: KeyPair | undefined
  capabilities?: Capabilities | undefined
  lifetime?: Lifetime | undefined
  /** KeyPackage extensions (§10). */
  extensions?: Extension[] | undefined
  /** LeafNode extensions; non-default types must be in capabilities (§7.2). */
  leafExtensions?: Extension[] | undefined
}

export async function generateKeyPackage(opts: KeyPackageOptions): Promise<KeyPackageBundle> {
  const suite = getCipherSuite(opts.cipherSuite)
  const sig = opts.signatureKeyPair ?? suite.generateSignatureKeyPair()
  const init = await suite.generateHpkeKeyPair()
  const enc = await suite.generateHpkeKeyPair()
  const leafNode = buildLeafNode(
    suite,
    sig.privateKey,
    {
      encryptionKey: enc.publicKey,
      signatureKey: sig.publicKey,
      credential: opts.credential,
      capabilities: opts.capabilities ?? defaultCapabilities(),
      extensions: opts.leafExtensions ?? [],
    },
    { leafNodeSource: LeafNodeSource.key_package, lifetime: opts.lifetime ?? lifetimeFromNow(DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS) },
  )
  const tbs: KeyPackageTBS = {
    version: MLS10,
    cipherSuite: suite.id,
    initKey: init.publicKey,
    leafNode,
    extensions: opts.extensions ?? [],
  }
  const unsigned: KeyPackage = { ...tbs, signature: new Uint8Array(0) }
  const keyPackage: KeyPackage = { ...tbs, signature: suite.signWithLabel(sig.privateKey, KP_LABEL, keyPackageTbsBytes(unsigned)) }
  const bytes = encode(keyPackageCodec, keyPackage)
  return {
    keyPackage,
    bytes,
    ref: keyPackageRef(suite, bytes),
    initPriv: init.privateKey,
    encryptionPriv: enc.privateKey,
    signaturePriv: sig.privateKey,
  }
}

/** The MLSMessage carrying a KeyPackage, as published to a directory. */
export function keyPackageMessage(keyPackage: KeyPackage): Uint8Array {
  return encodeMLSMessage({ version: MLS10, wireFormat: WireFormat.mls_key_package, keyPackage })
}

export interface KeyPackageCheck {
  authService: AuthenticationService
  /** The group's suite (and version mls10), which the KeyPackage must match (§10.1). */
  cipherSuite: number
  now?: bigint | undefined
  maxLifetimeSeconds?: bigint | undefined
  requiredCapabilities?: RequiredCapabilities | undefined
}

/** §10.1 KeyPackage validation; throws a TalosError naming the failed rule. */
export function validateKeyPackage(kp: Encoded<KeyPackage>, check: KeyPackageCheck): void {
  const v = kp.value
  if (v.version !== MLS10) throw new TalosError('MLS_KEY_PACKAGE_VERSION_MISMATCH', `KeyPackage version ${v.version} is not mls10`)
  if (v.cipherSuite !== check.cipherSuite) {
    throw new TalosError('MLS_KEY_PACKAGE_SUITE_MISMATCH', `KeyPackage suite ${v.cipherSuite} is not the group's ${check.cipherSuite}`)
  }
  const suite = getCipherSuite(check.cipherSuite)
  checkDistinctExtensionTypes(v.extensions, 'KeyPackage')
  // leaf_node bytes are not kept separately: re-encode for the leaf signature (one encode per Add).
  validateLeafNode(v.leafNode, {
    suite,
    authService: check.authService,
    expectedSource: LeafNodeSource.key_package,
    now: check.now,
    maxLifetimeSeconds: check.maxLifetimeSeconds,
    requiredCapabilities: check.requiredCapabilities,
    groupCipherSuite: check.cipherSuite,
  })
  if (!suite.verifyWithLabel(v.leafNode.signatureKey, KP_LABEL, keyPackageTbsBytes(v, kp.bytes), v.signature)) {
    throw new TalosError('MLS_INVALID_KEY_PACKAGE_SIGNATURE', 'KeyPackage signature does not verify')
  }
  if (constantTimeEqual(v.initKey, v.leafNode.encryptionKey)) {
    throw new TalosError('MLS_KEY_PACKAGE_INIT_KEY_REUSED', 'KeyPackage init_key equals its leaf encryption_key')
  }
}
