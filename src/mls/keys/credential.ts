/**
 * Credentials and the Authentication Service (RFC 9420 §5.3, §5.3.1).
 *
 * Talos members are identified by a DID; their MLS credential is a
 * BasicCredential whose `identity` is the UTF-8 DID string
 * (`did:talos:...`). MLS itself does not authenticate identities: §5.3.1
 * leaves it to an Authentication Service (AS) to decide whether a credential
 * is valid and binds the presented signature key. That decision is the
 * application's, so it is a callback here; every LeafNode validation (§7.3)
 * and every external sender calls it.
 */
import { TalosError } from '../../errors.js'
import { CredentialType, isBasicCredential, type BasicCredential, type Credential } from '../wire/credential.js'
import { constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'

/** The credential and signature key a leaf had before the one being judged replaces them. */
export interface PreviousCredential {
  readonly credential: Credential
  readonly signatureKey: Uint8Array
}

/**
 * Decides whether `credential` is valid and authorises `signatureKey`
 * (RFC 9420 §5.3.1). Must be deterministic for a given input: every member
 * has to reach the same verdict on the same tree.
 *
 * `previous` is given when the credential replaces a member's current one
 * (an Update proposal, a member's Commit with an UpdatePath, a signature key
 * rotation): then the AS MUST also decide whether the new credential's
 * identity is a valid successor of the old one's (§5.3.1, "according to the
 * application's policy"). didAuthenticationService requires the same DID.
 */
export type AuthenticationService = (credential: Credential, signatureKey: Uint8Array, previous?: PreviousCredential) => boolean

/** DIDs are bounded so a credential cannot smuggle an unbounded identity into every tree hash. */
export const MAX_DID_BYTES = 512
const DID_PREFIX = 'did:talos:'
const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

/** True for `did:talos:<id>` with a non-empty id of printable ASCII without spaces. */
export function isTalosDid(did: string): boolean {
  if (!did.startsWith(DID_PREFIX) || did.length === DID_PREFIX.length || did.length > MAX_DID_BYTES) return false
  for (let i = 0; i < did.length; i++) {
    const c = did.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return false
  }
  return true
}

/** The BasicCredential of a member identified by `did`. */
export function basicCredential(did: string): BasicCredential {
  if (!isTalosDid(did)) throw new TalosError('MLS_INVALID_CREDENTIAL', `not a did:talos DID: ${JSON.stringify(did.slice(0, 64))}`)
  return { credentialType: CredentialType.basic, identity: utf8.encode(did) }
}

/** The DID carried by a basic credential, or undefined when it is not a Talos DID. */
export function didOf(credential: Credential): string | undefined {
  if (!isBasicCredential(credential) || credential.identity.length > MAX_DID_BYTES) return undefined
  let s: string
  try {
    s = utf8Strict.decode(credential.identity)
  } catch {
    return undefined
  }
  return isTalosDid(s) ? s : undefined
}

/**
 * Accepts every credential. For the interop vectors (whose identities are
 * arbitrary bytes) and for tests; an application supplies a real AS.
 */
export const acceptAllCredentials: AuthenticationService = () => true

/**
 * An AS for Talos deployments: basic credentials carrying a did:talos DID,
 * whose signature key is the one `resolveKey` returns for that DID (when a
 * resolver is given; without one any key is accepted for a well-formed DID).
 * A member's credential can only be succeeded by one with the same DID: a
 * member cannot take another identity by updating its leaf.
 */
export function didAuthenticationService(
  resolveKey?: (did: string) => Uint8Array | readonly Uint8Array[] | undefined,
): AuthenticationService {
  return (credential, signatureKey, previous) => {
    const did = didOf(credential)
    if (did === undefined) return false
    if (previous !== undefined && didOf(previous.credential) !== did) return false
    if (resolveKey === undefined) return true
    const known = resolveKey(did)
    if (known === undefined) return false
    const list = known instanceof Uint8Array ? [known] : known
    return list.some((k) => bytesEqual(k, signatureKey))
  }
}

/** Byte equality of two credentials' encodings' content (type and body). */
export function sameCredentialIdentity(a: Credential, b: Credential): boolean {
  if (a.credentialType !== b.credentialType) return false
  if (isBasicCredential(a) && isBasicCredential(b)) return bytesEqual(a.identity, b.identity)
  return false
}
