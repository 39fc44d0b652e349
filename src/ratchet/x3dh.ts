/**
 * X3DH-style key agreement (Signal "The X3DH Key Agreement Protocol", §3),
 * with X25519 and SHA-256, producing the Double Ratchet's initial root key
 * (and, with header encryption, the two initial header keys of spec §4):
 *
 *   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
 *   SK  = HKDF(salt = 32 zero bytes, IKM = 0xFF*32 || DH1 || DH2 || DH3 [|| DH4], info = X3dhInfo)
 *
 *   struct { opaque initiator_signing_key<V>; opaque initiator_agreement_key<V>;
 *            opaque responder_signing_key<V>; opaque responder_agreement_key<V>; } Identities;
 *   AD = opaque label<V> ("TALOS-DR AD v1") || Identities        (X3DH §3.3, bound to both identities)
 *   struct { opaque label<V> = "TALOS-DR X3DH v1"; opaque ad<V>; uint8 header_encryption; } X3dhInfo;
 *
 * The output is 32 bytes (SK), or 96 with header encryption: SK, the
 * initiator's first sending header key (shared_hka) and the responder's
 * (shared_nhkb). AD goes into every ratchet message's associated data.
 * Binding AD and the header-encryption flag into `info` as well means a
 * substituted identity or a downgraded option yields unrelated keys.
 */
import { x25519Forget, x25519Generate, type X25519KeyPair } from '../crypto/dh.js'
import { hkdfExpand, hkdfExtract, memzero } from '../crypto/sodium.js'
import { Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import { LABEL } from './constants.js'
import { writeIdentity, type IdentityKeyPair, type IdentityPublic } from './identity.js'
import { ratchetDh } from './kdf.js'
import { verifyBundle, type PreKeyBundle, type PreKeyStore } from './prekeys.js'

export interface X3dhSecrets {
  /** SK: the Double Ratchet's initial root key. */
  readonly rootKey: Uint8Array
  /** With header encryption: shared_hka and shared_nhkb (spec §4). */
  readonly headerKeyA: Uint8Array | undefined
  readonly headerKeyB: Uint8Array | undefined
  readonly associatedData: Uint8Array
}

const F = new Uint8Array(32).fill(0xff)
const ZERO_SALT = new Uint8Array(32)

export function associatedData(initiator: IdentityPublic, responder: IdentityPublic): Uint8Array {
  const w = new Writer(160).opaque(LABEL.associatedData)
  writeIdentity(w, initiator)
  writeIdentity(w, responder)
  return w.finish()
}

/** DH over each (private, public) pair; if one fails, the outputs already computed are zeroed. */
function dhAll(pairs: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array[] {
  const out: Uint8Array[] = []
  try {
    for (const [priv, pub] of pairs) out.push(ratchetDh(priv, pub))
  } catch (e) {
    for (const d of out) memzero(d)
    throw e
  }
  return out
}

/** The X3DH KDF over DH1..DH4 (zeroed here). Exported for the fixed vectors. */
export function x3dhKdf(dhs: Uint8Array[], ad: Uint8Array, headerEncryption: boolean): X3dhSecrets {
  const ikm = new Uint8Array(32 * (dhs.length + 1))
  ikm.set(F, 0)
  dhs.forEach((d, i) => {
    ikm.set(d, 32 * (i + 1))
    memzero(d)
  })
  const prk = hkdfExtract('SHA256', ZERO_SALT, ikm)
  memzero(ikm)
  const info = new Writer(200).opaque(LABEL.x3dh).opaque(ad).u8(headerEncryption ? 1 : 0).finish()
  const out = hkdfExpand('SHA256', prk, info, headerEncryption ? 96 : 32)
  memzero(prk)
  const secrets: X3dhSecrets = {
    rootKey: out.slice(0, 32),
    headerKeyA: headerEncryption ? out.slice(32, 64) : undefined,
    headerKeyB: headerEncryption ? out.slice(64, 96) : undefined,
    associatedData: ad,
  }
  memzero(out)
  return secrets
}

export interface InitiatorHandshake {
  readonly secrets: X3dhSecrets
  /** EK_A's public key (the private key is deleted here). */
  readonly baseKey: Uint8Array
  readonly signedPreKeyId: number
  readonly oneTimePreKeyId: number | undefined
  readonly remoteIdentity: IdentityPublic
  /** SPK_B: the Double Ratchet's first receiving ratchet key on the initiator's side. */
  readonly remoteSignedPreKey: Uint8Array
}

/**
 * Alice's side (X3DH §3.3): verifies the bundle, then derives SK. `ephemeral`
 * exists for the fixed test vectors only; it is consumed (zeroed) here.
 */
export function x3dhInitiate(
  identity: IdentityKeyPair,
  bundle: PreKeyBundle,
  headerEncryption: boolean,
  ephemeral?: X25519KeyPair,
): InitiatorHandshake {
  verifyBundle(bundle)
  const remote = bundle.identity!
  const spk = bundle.signedPreKey!
  const opk = bundle.oneTimePreKey
  const ek: X25519KeyPair = ephemeral ?? x25519Generate()
  try {
    const dhs = dhAll([
      [identity.agreement.privateKey, spk.publicKey],
      [ek.privateKey, remote.agreementKey],
      [ek.privateKey, spk.publicKey],
      ...(opk !== undefined ? [[ek.privateKey, opk.publicKey] as const] : []),
    ])
    return {
      secrets: x3dhKdf(dhs, associatedData(identity.public, remote), headerEncryption),
      baseKey: ek.publicKey,
      signedPreKeyId: spk.id,
      oneTimePreKeyId: opk?.id,
      remoteIdentity: remote,
      remoteSignedPreKey: spk.publicKey,
    }
  } finally {
    x25519Forget(ek.privateKey)
  }
}

export interface ResponderParams {
  /** The initiator's identity, already verified. */
  readonly remoteIdentity: IdentityPublic
  readonly baseKey: Uint8Array
  readonly signedPreKeyId: number
  readonly oneTimePreKeyId: number | undefined
  readonly headerEncryption: boolean
}

export interface ResponderHandshake {
  readonly secrets: X3dhSecrets
  /** SPK_B: the responder's first sending ratchet key pair (a copy; the store keeps its own). */
  readonly signedPreKey: X25519KeyPair
}

/**
 * Bob's side (X3DH §3.4). Does not delete the one-time prekey: the caller
 * does, once the first message has decrypted (a forged PreKeyMessage must
 * not be able to burn one).
 */
export function x3dhRespond(identity: IdentityKeyPair, store: PreKeyStore, p: ResponderParams): ResponderHandshake {
  if (p.baseKey.length !== 32) throw new TalosError('RATCHET_INVALID_MESSAGE', 'base key must be 32 bytes')
  const spk = store.signedPreKey(p.signedPreKeyId)
  if (spk === undefined) throw new TalosError('RATCHET_UNKNOWN_PREKEY', `no signed prekey ${p.signedPreKeyId}`)
  let opk: X25519KeyPair | undefined
  if (p.oneTimePreKeyId !== undefined) {
    opk = store.oneTimePreKey(p.oneTimePreKeyId)
    if (opk === undefined) {
      throw new TalosError('RATCHET_UNKNOWN_PREKEY', `one-time prekey ${p.oneTimePreKeyId} is unknown or already used`)
    }
  }
  const dhs = dhAll([
    [spk.privateKey, p.remoteIdentity.agreementKey],
    [identity.agreement.privateKey, p.baseKey],
    [spk.privateKey, p.baseKey],
    ...(opk !== undefined ? [[opk.privateKey, p.baseKey] as const] : []),
  ])
  return {
    secrets: x3dhKdf(dhs, associatedData(p.remoteIdentity, identity.public), p.headerEncryption),
    // new Uint8Array, not slice(): a store may hand out a Node Buffer, whose slice() is a view we would zero.
    signedPreKey: { privateKey: new Uint8Array(spk.privateKey), publicKey: spk.publicKey },
  }
}
