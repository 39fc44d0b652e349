/**
 * Rotating our signature key in a Commit (RFC 9420 §12.4.2, §7.3, §5.3.1).
 *
 * The committer's new LeafNode in the UpdatePath may carry a new
 * signature_key. What each side signs with:
 *   FramedContent of the Commit   the CURRENT key: receivers verify it with
 *                                 the sender's leaf before the path is applied (§6.1)
 *   the new LeafNode              the NEW key: a LeafNode is verified with its
 *                                 own signature_key (§7.3)
 *   GroupInfo of the new epoch    the NEW key: a joiner verifies it with the
 *                                 signer's leaf in the new tree (§12.4.3)
 * Receivers also check (§7.3) that the AuthenticationService accepts the
 * leaf's credential with the new key (§5.3.1: the application decides what a
 * valid successor is, e.g. a DID document that lists the new key) and that no
 * other member holds it. Both are checked here before anything is built, so a
 * Commit every receiver would refuse is never sent.
 *
 * The new private key is copied: the staged state owns the copy, the old key
 * is zeroed when the Commit is merged (finishMerge), the new one when it is
 * discarded.
 */
import type { KeyPair } from '../../crypto/suite.js'
import { memzero, constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import type { NewLeafFields } from '../treekem/create.js'
import type { GroupState } from './state.js'

export interface SignatureRotation {
  /** The new LeafNode's fields: our current leaf with the new signature key. */
  readonly leaf: NewLeafFields
  /** Our copy of the new private key (owned by the staged state once the Commit is built). */
  readonly privateKey: Uint8Array
}

/** Checks a new signature key pair for our leaf; throws (changing nothing) when receivers would refuse it. */
export function signatureRotation(state: GroupState, pair: KeyPair): SignatureRotation {
  const current = state.tree.leaf(state.ownLeaf)
  if (current === undefined) throw new TalosError('MLS_INVALID_TREE_STATE', 'our own leaf is blank')
  if (!(pair?.publicKey instanceof Uint8Array) || !(pair.privateKey instanceof Uint8Array)) {
    throw new TalosError('MLS_INVALID_ARGUMENT', 'signatureKeyPair needs publicKey and privateKey bytes')
  }
  let derived: Uint8Array
  try {
    derived = state.suite.signaturePublicKey(pair.privateKey)
  } catch (e) {
    throw new TalosError('MLS_INVALID_ARGUMENT', 'signatureKeyPair.privateKey is not a private key of the group cipher suite', { cause: e })
  }
  if (!bytesEqual(derived, pair.publicKey)) {
    throw new TalosError('MLS_INVALID_ARGUMENT', 'signatureKeyPair.publicKey is not the public key of its privateKey')
  }
  const holder = state.tree.findSignatureKey(pair.publicKey)
  if (holder !== undefined) {
    throw new TalosError('MLS_DUPLICATE_SIGNATURE_KEY', holder === state.ownLeaf ? 'that is already our signature key' : `the signature key is member ${holder}'s`)
  }
  if (!state.config.authService(current.credential, pair.publicKey, { credential: current.credential, signatureKey: current.signatureKey })) {
    throw new TalosError('MLS_INVALID_CREDENTIAL', 'the authentication service rejects our credential with the new signature key')
  }
  // Copies with new Uint8Array: slice() on a caller's Node Buffer is a view, which merge/discard would zero.
  return {
    leaf: { signatureKey: new Uint8Array(pair.publicKey), credential: current.credential, capabilities: current.capabilities, extensions: current.extensions },
    privateKey: new Uint8Array(pair.privateKey),
  }
}

/** Zeroes our copy of a rotation's private key (when the Commit could not be built). */
export function wipeRotation(r: SignatureRotation | undefined): void {
  memzero(r?.privateKey)
}
