/**
 * Prekeys and prekey bundles (X3DH §2.3, §3.2): a signed prekey that the
 * owner rotates, and one-time prekeys that are each used once and then
 * deleted. Both kinds are signed by the identity signing key (X3DH signs only
 * the signed prekey; signing the one-time prekeys too stops a directory from
 * substituting them, at one signature per key generated):
 *
 *   struct {
 *     opaque label<V>;              "TALOS-DR signed prekey v1" or "TALOS-DR one-time prekey v1"
 *     opaque identity_signing_key<V>;
 *     uint32 id;
 *     opaque public_key<V>;
 *   } PreKeyTBS;
 *
 * PreKeyStore is the owner's private side, behind an interface the
 * application implements (libsignal's style); MemoryPreKeyStore is the
 * in-memory one used by tests, the benches and the coordinator.
 */
import { x25519Forget, x25519Generate, type X25519KeyPair } from '../crypto/dh.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { decodeProto, encodeProto } from '../codec/proto.js'
import { Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import { PreKeyBundle, type SignedRatchetPreKey } from '../proto/ratchet.js'
import { LABEL } from './constants.js'
import { verifyIdentity, type IdentityKeyPair } from './identity.js'

export type { PreKeyBundle, SignedRatchetPreKey }

export type PreKeyKind = 'signed' | 'one-time'

function preKeyTbs(kind: PreKeyKind, identitySigningKey: Uint8Array, id: number, publicKey: Uint8Array): Uint8Array {
  return new Writer(128)
    .opaque(kind === 'signed' ? LABEL.signedPreKey : LABEL.oneTimePreKey)
    .opaque(identitySigningKey)
    .u32(id)
    .opaque(publicKey)
    .finish()
}

export function signPreKey(identity: IdentityKeyPair, kind: PreKeyKind, id: number, publicKey: Uint8Array): SignedRatchetPreKey {
  const signature = ed25519.sign(identity.signingPrivate, preKeyTbs(kind, identity.public.signingKey, id, publicKey))
  return { id, publicKey, signature }
}

function verifyPreKey(kind: PreKeyKind, identitySigningKey: Uint8Array, pk: SignedRatchetPreKey | undefined): SignedRatchetPreKey {
  if (pk === undefined) throw new TalosError('RATCHET_INVALID_BUNDLE', `bundle has no ${kind} prekey`)
  if (pk.publicKey.length !== 32 || pk.signature.length !== 64) {
    throw new TalosError('RATCHET_INVALID_BUNDLE', `${kind} prekey must be 32 bytes with a 64-byte signature`)
  }
  if (!ed25519.verify(identitySigningKey, preKeyTbs(kind, identitySigningKey, pk.id, pk.publicKey), pk.signature)) {
    throw new TalosError('RATCHET_BAD_SIGNATURE', `${kind} prekey ${pk.id} signature does not verify`)
  }
  return pk
}

/** Verifies every signature of a bundle (X3DH §3.3: "Alice verifies the prekey signature"). */
export function verifyBundle(bundle: PreKeyBundle): PreKeyBundle {
  const identity = verifyIdentity(bundle.identity)
  verifyPreKey('signed', identity.signingKey, bundle.signedPreKey)
  if (bundle.oneTimePreKey !== undefined) verifyPreKey('one-time', identity.signingKey, bundle.oneTimePreKey)
  return bundle
}

/** Bundles are small: identity, two prekeys, three signatures. */
const MAX_BUNDLE_BYTES = 1024

export function encodePreKeyBundle(bundle: PreKeyBundle): Uint8Array {
  return encodeProto(PreKeyBundle, bundle)
}

/** Decodes and verifies a bundle from a directory; hostile input raises only TalosError. */
export function decodePreKeyBundle(bytes: Uint8Array): PreKeyBundle {
  return verifyBundle(decodeProto(PreKeyBundle, bytes, { maxBytes: MAX_BUNDLE_BYTES }))
}

/** The owner's private prekeys. */
export interface PreKeyStore {
  signedPreKey(id: number): X25519KeyPair | undefined
  oneTimePreKey(id: number): X25519KeyPair | undefined
  /** Deletes a used one-time prekey for good (zeroing it). */
  removeOneTimePreKey(id: number): void
}

/** How many superseded signed prekeys stay usable for PreKeyMessages still in flight. */
const SIGNED_PREKEY_GRACE = 1

export class MemoryPreKeyStore implements PreKeyStore {
  private readonly signed = new Map<number, X25519KeyPair>()
  private readonly oneTime = new Map<number, X25519KeyPair>()
  /** One-time prekeys published but not yet handed out in a bundle, oldest first. */
  private readonly unpublished: SignedRatchetPreKey[] = []
  private current: SignedRatchetPreKey | undefined
  private nextSignedId = 1
  private nextOneTimeId = 1

  constructor(private readonly identity: IdentityKeyPair) {
    this.rotateSignedPreKey()
  }

  /** Makes a new signed prekey current; older ones beyond the grace are deleted. */
  rotateSignedPreKey(): SignedRatchetPreKey {
    const kp = x25519Generate()
    const id = this.nextSignedId++
    this.signed.set(id, kp)
    this.current = signPreKey(this.identity, 'signed', id, kp.publicKey)
    for (const old of [...this.signed.keys()]) {
      if (old <= id - 1 - SIGNED_PREKEY_GRACE) {
        x25519Forget(this.signed.get(old)!.privateKey)
        this.signed.delete(old)
      }
    }
    return this.current
  }

  generateOneTimePreKeys(count: number): SignedRatchetPreKey[] {
    const out: SignedRatchetPreKey[] = []
    for (let i = 0; i < count; i++) {
      const kp = x25519Generate()
      const id = this.nextOneTimeId++
      this.oneTime.set(id, kp)
      out.push(signPreKey(this.identity, 'one-time', id, kp.publicKey))
    }
    this.unpublished.push(...out)
    return out
  }

  /** A bundle with the current signed prekey and the next unused one-time prekey, if any is left. */
  bundle(): PreKeyBundle {
    return { identity: this.identity.public, signedPreKey: this.current, oneTimePreKey: this.unpublished.shift() }
  }

  signedPreKey(id: number): X25519KeyPair | undefined {
    return this.signed.get(id)
  }

  oneTimePreKey(id: number): X25519KeyPair | undefined {
    return this.oneTime.get(id)
  }

  removeOneTimePreKey(id: number): void {
    const kp = this.oneTime.get(id)
    if (kp === undefined) return
    x25519Forget(kp.privateKey)
    this.oneTime.delete(id)
  }

  get oneTimePreKeyCount(): number {
    return this.oneTime.size
  }
}
