/**
 * LeafNode creation and validation (RFC 9420 §7.2, §7.3).
 *
 * validateLeafNode performs the checks that depend on the leaf alone (plus
 * the group's required_capabilities): credential through the
 * AuthenticationService, signature (with group_id/leaf_index for update and
 * commit leaves), extensions listed in capabilities, credential type listed,
 * lifetime (when a clock is given), and the expected leaf_node_source. The
 * checks that need the whole tree (credential types supported by every
 * member, unique signature/encryption keys) live with the group
 * (src/mls/group/leaf-rules.ts), which owns the tree.
 *
 * Each failed rule has its own error code, so a rejection says which rule.
 *
 * For many leaves at once (a joiner's whole tree) the signatures can be
 * verified ahead, in parallel: leafNodeSignatureItem gives what the signature
 * check verifies, and validateLeafNodeVerified runs the same checks in the
 * same order with that verification's result in place of the inline verify.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import type { LabeledVerifyItem } from '../../crypto/verify-pool.js'
import { TalosError } from '../../errors.js'
import type { Capabilities } from '../wire/capabilities.js'
import type { Credential } from '../wire/credential.js'
import type { Extension } from '../wire/extension.js'
import type { RequiredCapabilities } from '../wire/group-info.js'
import {
  LeafNodeSource,
  leafNodeTbsBytes,
  type LeafNode,
  type LeafNodeData,
  type LeafNodeSourceData,
  type LeafNodeTBSContext,
} from '../wire/leaf-node.js'
import type { Lifetime } from '../wire/lifetime.js'
import { meetsRequiredCapabilities, supportsCredential, supportsExtension } from './capabilities.js'
import type { AuthenticationService, PreviousCredential } from './credential.js'

/** The SignWithLabel label of a LeafNode signature (§7.2). */
export const LEAF_LABEL = 'LeafNodeTBS'

export interface LeafNodeFields {
  encryptionKey: Uint8Array
  signatureKey: Uint8Array
  credential: Credential
  capabilities: Capabilities
  extensions: Extension[]
}

/** Signs a LeafNode (§7.2); `context` is required exactly for update and commit leaves. */
export function signLeafNode(
  suite: CipherSuite,
  signaturePriv: Uint8Array,
  data: LeafNodeData,
  context?: LeafNodeTBSContext,
): LeafNode {
  const unsigned = { ...data, signature: new Uint8Array(0) } as LeafNode
  const signature = suite.signWithLabel(signaturePriv, LEAF_LABEL, leafNodeTbsBytes(unsigned, context))
  return { ...data, signature } as LeafNode
}

export function buildLeafNode(
  suite: CipherSuite,
  signaturePriv: Uint8Array,
  fields: LeafNodeFields,
  source: LeafNodeSourceData,
  context?: LeafNodeTBSContext,
): LeafNode {
  return signLeafNode(suite, signaturePriv, { ...fields, ...source } as LeafNodeData, context)
}

/** Seconds since the Unix epoch, as the uint64 Lifetime fields count. */
export function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000))
}

/** A lifetime from (now - 1h) to (now + validFor), the hour absorbing clock skew. */
export function lifetimeFromNow(validForSeconds: number, now = nowSeconds()): Lifetime {
  return { notBefore: now > 3600n ? now - 3600n : 0n, notAfter: now + BigInt(Math.max(0, Math.floor(validForSeconds))) }
}

export interface LeafNodeCheck {
  suite: CipherSuite
  authService: AuthenticationService
  /** Where the leaf appeared: KeyPackage, Update proposal or UpdatePath. */
  expectedSource: LeafNodeSource
  /** The leaf this one replaces (Update, a member's UpdatePath): the AS also judges the succession (§5.3.1). */
  previous?: PreviousCredential | undefined
  /** group_id and leaf_index, for update and commit leaves. */
  context?: LeafNodeTBSContext | undefined
  /** Exact LeafNode bytes, to verify the signature without re-encoding. */
  encoded?: Uint8Array | undefined
  /** Current time in seconds: when given, a key_package leaf's lifetime must contain it. */
  now?: bigint | undefined
  /** Upper bound on not_after - not_before for key_package leaves (application policy, §7.2). */
  maxLifetimeSeconds?: bigint | undefined
  /** The group's required_capabilities extension, when it has one. */
  requiredCapabilities?: RequiredCapabilities | undefined
  /** The group's cipher suite and version must be listed (§10.1 compatibility). */
  groupCipherSuite?: number | undefined
}

/** Checks one LeafNode against §7.3's per-leaf rules; throws a TalosError naming the failed rule. */
export function validateLeafNode(leaf: LeafNode, check: LeafNodeCheck): void {
  checkLeafNode(leaf, check, () => {
    const item = leafNodeSignatureItem(leaf, check)
    return check.suite.verifyWithLabel(item.publicKey, LEAF_LABEL, item.content, item.signature)
  })
}

/**
 * What the signature check of validateLeafNode(leaf, check) verifies, under
 * LEAF_LABEL: the leaf's signature over its LeafNodeTBS. Throws where
 * validateLeafNode's signature step would (a context that does not fit the
 * source, MLS_INVALID_STRUCTURE).
 */
export function leafNodeSignatureItem(leaf: LeafNode, check: Pick<LeafNodeCheck, 'context' | 'encoded'>): LabeledVerifyItem {
  return { publicKey: leaf.signatureKey, content: leafNodeTbsBytes(leaf, check.context, check.encoded), signature: leaf.signature }
}

/**
 * validateLeafNode with the signature already verified: `signatureValid`
 * must be suite.verifyWithLabel's result on leafNodeSignatureItem(leaf, check)
 * (src/crypto/verify-pool.ts computes exactly that). Same checks, same order,
 * same errors.
 */
export function validateLeafNodeVerified(leaf: LeafNode, check: LeafNodeCheck, signatureValid: boolean): void {
  checkLeafNode(leaf, check, () => signatureValid)
}

function checkLeafNode(leaf: LeafNode, check: LeafNodeCheck, signatureVerifies: () => boolean): void {
  if (leaf.leafNodeSource !== check.expectedSource) {
    throw new TalosError(
      'MLS_INVALID_LEAF_SOURCE',
      `leaf_node_source is ${leaf.leafNodeSource}, expected ${check.expectedSource} here`,
    )
  }
  const previous = check.previous === undefined ? undefined : { credential: check.previous.credential, signatureKey: check.previous.signatureKey }
  if (!check.authService(leaf.credential, leaf.signatureKey, previous)) {
    throw new TalosError('MLS_INVALID_CREDENTIAL', 'the authentication service rejected the leaf credential')
  }
  if (!signatureVerifies()) {
    throw new TalosError('MLS_INVALID_LEAF_SIGNATURE', 'LeafNode signature does not verify')
  }
  checkLeafCapabilities(leaf, check)
  if (leaf.leafNodeSource === LeafNodeSource.key_package) checkLifetime(leaf.lifetime, check)
}

/** §13.4: a list of extensions never holds two of one type (MLS_DUPLICATE_EXTENSION). */
export function checkDistinctExtensionTypes(list: readonly Extension[], where: string): void {
  const seen = new Set<number>()
  for (const e of list) {
    if (seen.has(e.extensionType)) throw new TalosError('MLS_DUPLICATE_EXTENSION', `${where} lists extension ${e.extensionType} twice`)
    seen.add(e.extensionType)
  }
}

function checkLeafCapabilities(leaf: LeafNode, check: LeafNodeCheck): void {
  const caps = leaf.capabilities
  checkDistinctExtensionTypes(leaf.extensions, 'LeafNode')
  for (const ext of leaf.extensions) {
    if (!supportsExtension(caps, ext.extensionType)) {
      throw new TalosError('MLS_LEAF_EXTENSION_NOT_IN_CAPABILITIES', `leaf extension ${ext.extensionType} is not listed in its capabilities`)
    }
  }
  if (!supportsCredential(caps, leaf.credential.credentialType)) {
    throw new TalosError('MLS_CREDENTIAL_NOT_IN_CAPABILITIES', `credential type ${leaf.credential.credentialType} is not listed in the leaf capabilities`)
  }
  if (check.requiredCapabilities && !meetsRequiredCapabilities(caps, check.requiredCapabilities)) {
    throw new TalosError('MLS_REQUIRED_CAPABILITIES_UNSUPPORTED', 'leaf does not support the group required_capabilities')
  }
  if (check.groupCipherSuite !== undefined) {
    if (!caps.cipherSuites.includes(check.groupCipherSuite)) {
      throw new TalosError('MLS_UNSUPPORTED_CIPHER_SUITE', `leaf does not list cipher suite ${check.groupCipherSuite}`)
    }
    if (!caps.versions.includes(1)) throw new TalosError('MLS_UNSUPPORTED_VERSION', 'leaf does not list mls10')
  }
}

function checkLifetime(lifetime: Lifetime, check: LeafNodeCheck): void {
  if (lifetime.notBefore > lifetime.notAfter) {
    throw new TalosError('MLS_INVALID_LIFETIME', 'lifetime not_before is after not_after')
  }
  if (check.maxLifetimeSeconds !== undefined && lifetime.notAfter - lifetime.notBefore > check.maxLifetimeSeconds) {
    throw new TalosError('MLS_INVALID_LIFETIME', 'lifetime is longer than the maximum this group accepts')
  }
  if (check.now !== undefined && (check.now < lifetime.notBefore || check.now > lifetime.notAfter)) {
    throw new TalosError('MLS_LIFETIME_EXPIRED', 'the current time is outside the leaf lifetime')
  }
}
