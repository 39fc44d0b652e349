/**
 * Long-term identity of a session participant (X3DH §2.3 "identity key"):
 * an Ed25519 key pair for signatures and an X25519 key pair for agreement.
 * X3DH proper uses one key with XEdDSA; two keys bound by a signature give
 * the same guarantees with stock Ed25519:
 *
 *   struct {
 *     opaque label<V> = "TALOS-DR identity v1";
 *     opaque signing_key<V>;
 *     opaque agreement_key<V>;
 *   } IdentityBindingTBS;                      binding_signature = Ed25519(signing, TBS)
 *
 * Who is behind a signing key is the application's business (DIDs,
 * safety numbers): X3DH §4.1 assumes identity keys are authenticated out of
 * band. This module only guarantees that the agreement key belongs to the
 * signing key.
 */
import { x25519Generate, x25519PublicKey, type X25519KeyPair } from '../crypto/dh.js'
import { constantTimeEqual } from '../crypto/sodium.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import type { RatchetIdentity } from '../proto/ratchet.js'
import { LABEL } from './constants.js'

export type IdentityPublic = RatchetIdentity

export interface IdentityKeyPair {
  readonly public: IdentityPublic
  /** Ed25519 seed (32 bytes); the expanded key is cached by the signature module. */
  readonly signingPrivate: Uint8Array
  readonly agreement: X25519KeyPair
}

function bindingTbs(signingKey: Uint8Array, agreementKey: Uint8Array): Uint8Array {
  return new Writer(128).opaque(LABEL.identityBinding).opaque(signingKey).opaque(agreementKey).finish()
}

export function generateIdentity(): IdentityKeyPair {
  const sig = ed25519.generateKeyPair()
  const agreement = x25519Generate()
  const bindingSignature = ed25519.sign(sig.privateKey, bindingTbs(sig.publicKey, agreement.publicKey))
  return {
    public: { signingKey: sig.publicKey, agreementKey: agreement.publicKey, bindingSignature },
    signingPrivate: sig.privateKey,
    agreement,
  }
}

/** Rebuilds an identity from its two private keys (stored by the application). */
export function identityFromPrivate(signingPrivate: Uint8Array, agreementPrivate: Uint8Array): IdentityKeyPair {
  const signingKey = ed25519.publicKey(signingPrivate)
  const agreementKey = x25519PublicKey(agreementPrivate)
  return {
    public: { signingKey, agreementKey, bindingSignature: ed25519.sign(signingPrivate, bindingTbs(signingKey, agreementKey)) },
    signingPrivate,
    agreement: { privateKey: agreementPrivate, publicKey: agreementKey },
  }
}

/** Checks sizes only (for our own stored records); TalosError RATCHET_INVALID_IDENTITY. */
export function checkIdentityShape(id: IdentityPublic | undefined): IdentityPublic {
  if (id === undefined) throw new TalosError('RATCHET_INVALID_IDENTITY', 'identity is missing')
  if (id.signingKey.length !== 32 || id.agreementKey.length !== 32 || id.bindingSignature.length !== 64) {
    throw new TalosError('RATCHET_INVALID_IDENTITY', 'identity keys must be 32 bytes and the binding signature 64')
  }
  return id
}

/** Checks sizes and the binding signature; TalosError RATCHET_INVALID_IDENTITY / RATCHET_BAD_SIGNATURE. */
export function verifyIdentity(id: IdentityPublic | undefined): IdentityPublic {
  checkIdentityShape(id)
  if (id === undefined) throw new TalosError('RATCHET_INVALID_IDENTITY', 'identity is missing')
  if (!ed25519.verify(id.signingKey, bindingTbs(id.signingKey, id.agreementKey), id.bindingSignature)) {
    throw new TalosError('RATCHET_BAD_SIGNATURE', 'identity binding signature does not verify')
  }
  return id
}

/** Canonical encoding of the public identity (signing key, agreement key), for AD and KDF inputs. */
export function writeIdentity(w: Writer, id: IdentityPublic): Writer {
  return w.opaque(id.signingKey).opaque(id.agreementKey)
}

/** Whether two public identities are the same keys (public values: plain comparison). */
export function sameIdentity(a: IdentityPublic, b: IdentityPublic): boolean {
  return constantTimeEqual(a.signingKey, b.signingKey) && constantTimeEqual(a.agreementKey, b.agreementKey)
}

