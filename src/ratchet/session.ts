/**
 * A two-party session: X3DH to start it (x3dh.ts), the Double Ratchet to run
 * it (double-ratchet.ts), SessionMessage bytes on the wire and a
 * SessionRecord to persist it (proto/ratchet.proto).
 *
 * The initiator wraps every message in a PreKeyMessage until the first
 * answer arrives (X3DH §3.3: the responder may receive any of them first).
 * The responder builds its side from a PreKeyMessage with `Session.respond`,
 * which deletes the one-time prekey only once the message inside has
 * decrypted, so a forged PreKeyMessage cannot burn one.
 *
 *   const s = Session.initiate(alice, bobBundle)
 *   const wire = s.encrypt(bytes)
 *   const { session, plaintext } = Session.respond(bob, bobPreKeys, wire)
 */
import { constantTimeEqual, memzero } from '../crypto/sodium.js'
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import { SessionMessage, type PreKeyMessage, type RatchetMessage } from '../proto/ratchet.js'
import { DEFAULT_POLICY, MAX_SESSION_MESSAGE_BYTES, RATCHET_VERSION, type RatchetPolicy } from './constants.js'
import { checkCanEncrypt, ratchetDecrypt, ratchetEncrypt } from './double-ratchet.js'
import { verifyIdentity, type IdentityKeyPair, type IdentityPublic } from './identity.js'
import type { PreKeyBundle, PreKeyStore } from './prekeys.js'
import { SkippedKeys } from './skipped.js'
import { deserializeState, destroyState, serializeState, type SessionState } from './state.js'
import { x3dhInitiate, x3dhRespond } from './x3dh.js'

export interface SessionOptions {
  /** Encrypt headers (spec §4). Chosen by the initiator; the responder follows the PreKeyMessage. */
  readonly headerEncryption?: boolean
  readonly policy?: Partial<RatchetPolicy>
  /** Clock for skipped-key expiry (ms since the epoch). */
  readonly now?: () => number
}

/** Decodes SessionMessage bytes; hostile input raises only TalosError. */
export function decodeSessionMessage(bytes: Uint8Array): SessionMessage {
  const m = decodeProto(SessionMessage, bytes, { maxBytes: MAX_SESSION_MESSAGE_BYTES })
  if (m.body === undefined) throw new TalosError('RATCHET_INVALID_MESSAGE', 'session message has no body')
  return m
}

export class Session {
  private readonly policy: RatchetPolicy
  private readonly now: () => number

  private constructor(
    private state: SessionState,
    options: SessionOptions,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy }
    this.now = options.now ?? Date.now
  }

  /** Starts a session from a verified-here prekey bundle (X3DH §3.3). */
  static initiate(identity: IdentityKeyPair, bundle: PreKeyBundle, options: SessionOptions = {}): Session {
    const he = options.headerEncryption ?? false
    const hs = x3dhInitiate(identity, bundle, he)
    const state: SessionState = {
      initiator: true,
      localIdentity: identity.public,
      remoteIdentity: hs.remoteIdentity,
      baseKey: hs.baseKey,
      associatedData: hs.secrets.associatedData,
      rootKey: hs.secrets.rootKey,
      dhs: undefined,
      dhr: hs.remoteSignedPreKey,
      cks: undefined,
      ckr: undefined,
      ns: 0,
      nr: 0,
      pn: 0,
      headerEncryption: he,
      hks: undefined,
      hkr: undefined,
      // Spec §4 RatchetInitAliceHE, with the sending step taken at the first send.
      nhks: hs.secrets.headerKeyA,
      nhkr: hs.secrets.headerKeyB,
      skipped: new SkippedKeys(),
      previousReceivingKeys: [],
      receivingSteps: 0,
      pendingPreKey: { baseKey: hs.baseKey, signedPreKeyId: hs.signedPreKeyId, oneTimePreKeyId: hs.oneTimePreKeyId },
    }
    return new Session(state, options)
  }

  /**
   * Builds the responder's session from a PreKeyMessage (X3DH §3.4) and
   * decrypts the message inside. The one-time prekey is deleted only if that
   * succeeds. `expected`, if given, is the identity the application expects
   * this peer to have.
   */
  static respond(
    identity: IdentityKeyPair,
    store: PreKeyStore,
    message: Uint8Array | PreKeyMessage,
    options: SessionOptions & { expected?: IdentityPublic } = {},
  ): { session: Session; plaintext: Uint8Array } {
    const pk = message instanceof Uint8Array ? preKeyBody(decodeSessionMessage(message)) : message
    if (pk.version !== RATCHET_VERSION) throw new TalosError('RATCHET_UNSUPPORTED_VERSION', `prekey message version ${pk.version}`)
    if (pk.message === undefined) throw new TalosError('RATCHET_INVALID_MESSAGE', 'prekey message carries no message')
    const remote = verifyIdentity(pk.identity)
    if (options.expected !== undefined && !constantTimeEqual(options.expected.signingKey, remote.signingKey)) {
      throw new TalosError('RATCHET_IDENTITY_MISMATCH', 'prekey message comes from an unexpected identity')
    }
    const hs = x3dhRespond(identity, store, {
      remoteIdentity: remote,
      baseKey: pk.baseKey,
      signedPreKeyId: pk.signedPreKeyId,
      oneTimePreKeyId: pk.oneTimePreKeyId,
      headerEncryption: pk.headerEncryption,
    })
    const state: SessionState = {
      initiator: false,
      localIdentity: identity.public,
      remoteIdentity: remote,
      baseKey: pk.baseKey,
      associatedData: hs.secrets.associatedData,
      rootKey: hs.secrets.rootKey,
      dhs: hs.signedPreKey,
      dhr: undefined,
      cks: undefined,
      ckr: undefined,
      ns: 0,
      nr: 0,
      pn: 0,
      headerEncryption: pk.headerEncryption,
      hks: undefined,
      hkr: undefined,
      // Spec §4 RatchetInitBobHE.
      nhks: hs.secrets.headerKeyB,
      nhkr: hs.secrets.headerKeyA,
      skipped: new SkippedKeys(),
      previousReceivingKeys: [],
      receivingSteps: 0,
      pendingPreKey: undefined,
    }
    const session = new Session(state, options)
    let plaintext: Uint8Array
    try {
      plaintext = ratchetDecrypt(state, pk.message, session.now(), session.policy)
    } catch (e) {
      destroyState(state)
      throw e
    }
    if (pk.oneTimePreKeyId !== undefined) store.removeOneTimePreKey(pk.oneTimePreKeyId)
    return { session, plaintext }
  }

  static deserialize(bytes: Uint8Array, options: SessionOptions = {}): Session {
    return new Session(deserializeState(bytes), options)
  }

  serialize(): Uint8Array {
    return serializeState(this.state)
  }

  get remoteIdentity(): IdentityPublic {
    return this.state.remoteIdentity
  }

  /** The initiator's X3DH base key: tells sessions between the same two parties apart. */
  get baseKey(): Uint8Array {
    return this.state.baseKey
  }

  /** An initiator session that has not heard from the responder yet. */
  get isUnansweredInitiator(): boolean {
    return this.state.initiator && this.state.pendingPreKey !== undefined
  }

  get headerEncryption(): boolean {
    return this.state.headerEncryption
  }

  /** Number of skipped message keys held. */
  get skippedKeyCount(): number {
    return this.state.skipped.size
  }

  /** Throws what `encrypt` would throw for a plaintext of this length, changing nothing (see checkCanEncrypt). */
  checkCanEncrypt(plaintextLength: number): void {
    this.live()
    checkCanEncrypt(this.state, plaintextLength)
  }

  /** Encrypts one message to SessionMessage bytes. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    return encodeProto(SessionMessage, this.encryptMessage(plaintext))
  }

  encryptMessage(plaintext: Uint8Array): SessionMessage {
    this.live()
    const ratchet = ratchetEncrypt(this.state, plaintext)
    const p = this.state.pendingPreKey
    if (p === undefined) return { body: { case: 'ratchet', value: ratchet } }
    return {
      body: {
        case: 'preKey',
        value: {
          version: RATCHET_VERSION,
          identity: this.state.localIdentity,
          baseKey: p.baseKey,
          signedPreKeyId: p.signedPreKeyId,
          oneTimePreKeyId: p.oneTimePreKeyId,
          headerEncryption: this.state.headerEncryption,
          message: ratchet,
        },
      },
    }
  }

  /** Decrypts SessionMessage bytes. A rejected message leaves the session unchanged. */
  decrypt(bytes: Uint8Array): Uint8Array {
    return this.decryptMessage(decodeSessionMessage(bytes))
  }

  decryptMessage(m: SessionMessage): Uint8Array {
    this.live()
    let inner: RatchetMessage
    if (m.body?.case === 'preKey') {
      // A repeat of the PreKeyMessage that built this session (the initiator
      // keeps sending them until it hears back): same base key, same session.
      if (this.state.initiator || !constantTimeEqual(m.body.value.baseKey, this.state.baseKey)) {
        throw new TalosError('RATCHET_SESSION_MISMATCH', 'prekey message belongs to another session')
      }
      // As respond() checks it: the outer version is not covered by the inner AEAD.
      if (m.body.value.version !== RATCHET_VERSION) {
        throw new TalosError('RATCHET_UNSUPPORTED_VERSION', `prekey message version ${m.body.value.version}`)
      }
      if (m.body.value.message === undefined) throw new TalosError('RATCHET_INVALID_MESSAGE', 'prekey message carries no message')
      inner = m.body.value.message
    } else if (m.body?.case === 'ratchet') {
      inner = m.body.value
    } else {
      throw new TalosError('RATCHET_INVALID_MESSAGE', 'session message has no body')
    }
    const plaintext = ratchetDecrypt(this.state, inner, this.now(), this.policy)
    // Any answer proves the responder has the session: stop sending X3DH parameters.
    this.state.pendingPreKey = undefined
    return plaintext
  }

  /** Zeroes every secret; the session cannot be used afterwards. */
  destroy(): void {
    destroyState(this.state)
    memzero(this.state.rootKey)
    this.destroyed = true
  }

  private destroyed = false

  private live(): void {
    if (this.destroyed) throw new TalosError('RATCHET_SESSION_DESTROYED', 'session was destroyed')
  }
}

function preKeyBody(m: SessionMessage): PreKeyMessage {
  if (m.body?.case !== 'preKey') throw new TalosError('RATCHET_INVALID_MESSAGE', 'expected a prekey message')
  return m.body.value
}
