/**
 * One party's two-party sessions with many peers, by peer id: what sender
 * keys and the coordinator baseline send their pairwise messages through.
 *
 * A peer's identity is pinned at first contact (a bundle we verified, or the
 * first PreKeyMessage that decrypted); a later PreKeyMessage under another
 * identity for the same peer id is refused (RATCHET_IDENTITY_MISMATCH). Who a
 * peer id really is remains the application's check (X3DH §4.1).
 *
 * Simultaneous initiation (both sides connect before either hears the
 * other) is settled deterministically: a PreKeyMessage replaces our own
 * still-unanswered initiator session only if the peer's signing key sorts
 * below ours. Both sides then converge on the session the lower key started;
 * messages the other side sent on its discarded session are refused
 * (RATCHET_SESSION_MISMATCH) and must be sent again.
 */
import { TalosError } from '../errors.js'
import { Session, decodeSessionMessage, type SessionOptions } from './session.js'
import { constantTimeEqual } from '../crypto/sodium.js'
import type { IdentityKeyPair, IdentityPublic } from './identity.js'
import type { PreKeyBundle, PreKeyStore } from './prekeys.js'

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** Base keys of earlier sessions remembered per peer, so a replayed old PreKeyMessage cannot reset a session. */
const MAX_SEEN_BASE_KEYS = 32

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export class PairwiseSessions {
  private readonly sessions = new Map<string, Session>()
  private readonly pinned = new Map<string, IdentityPublic>()
  private readonly seenBaseKeys = new Map<string, string[]>()

  constructor(
    readonly identity: IdentityKeyPair,
    readonly preKeys: PreKeyStore,
    private readonly options: SessionOptions = {},
  ) {}

  /** Starts a session with `peer` from its bundle (signatures verified). */
  connect(peer: string, bundle: PreKeyBundle): void {
    const pinned = this.pinned.get(peer)
    if (pinned !== undefined && bundle.identity !== undefined && !constantTimeEqual(pinned.signingKey, bundle.identity.signingKey)) {
      throw new TalosError('RATCHET_IDENTITY_MISMATCH', `bundle for ${peer} carries another identity`)
    }
    const s = Session.initiate(this.identity, bundle, this.options)
    this.sessions.get(peer)?.destroy()
    this.sessions.set(peer, s)
    this.pinned.set(peer, s.remoteIdentity)
  }

  has(peer: string): boolean {
    return this.sessions.has(peer)
  }

  peers(): string[] {
    return [...this.sessions.keys()]
  }

  session(peer: string): Session | undefined {
    return this.sessions.get(peer)
  }

  /** The identity pinned for a peer, if any. */
  identityOf(peer: string): IdentityPublic | undefined {
    return this.pinned.get(peer)
  }

  /**
   * Throws what `encrypt` would throw to each of these peers for a plaintext
   * of this length (no session, session refusing to send), changing nothing:
   * run before encrypting one plaintext to many peers, so that either every
   * encryption happens or none does.
   */
  checkCanEncrypt(peers: Iterable<string>, plaintextLength: number): void {
    for (const peer of peers) {
      const s = this.sessions.get(peer)
      if (s === undefined) throw new TalosError('RATCHET_NO_SESSION', `no session with ${peer}`)
      s.checkCanEncrypt(plaintextLength)
    }
  }

  encrypt(peer: string, plaintext: Uint8Array): Uint8Array {
    const s = this.sessions.get(peer)
    if (s === undefined) throw new TalosError('RATCHET_NO_SESSION', `no session with ${peer}`)
    return s.encrypt(plaintext)
  }

  /** Decrypts a SessionMessage from `peer`, creating the session from a PreKeyMessage. State changes only on success. */
  decrypt(peer: string, bytes: Uint8Array): Uint8Array {
    const m = decodeSessionMessage(bytes)
    const current = this.sessions.get(peer)
    if (m.body?.case !== 'preKey') {
      if (current === undefined) throw new TalosError('RATCHET_NO_SESSION', `no session with ${peer}`)
      return current.decryptMessage(m)
    }
    const pk = m.body.value
    if (current !== undefined && constantTimeEqual(current.baseKey, pk.baseKey)) return current.decryptMessage(m)
    // A PreKeyMessage of a session we already replaced: without a one-time prekey
    // X3DH alone cannot tell it is a replay, so the base key is remembered.
    if (this.seenBaseKeys.get(peer)?.includes(hexOf(pk.baseKey))) {
      throw new TalosError('RATCHET_DUPLICATE_MESSAGE', `prekey message of an earlier session with ${peer}`)
    }
    if (current !== undefined && current.isUnansweredInitiator) {
      const theirs = pk.identity?.signingKey ?? new Uint8Array(0)
      if (compareBytes(theirs, this.identity.public.signingKey) >= 0) {
        throw new TalosError('RATCHET_SESSION_MISMATCH', `simultaneous initiation with ${peer}: keeping our session`)
      }
    }
    const { session, plaintext } = Session.respond(this.identity, this.preKeys, pk, {
      ...this.options,
      expected: this.pinned.get(peer),
    })
    current?.destroy()
    this.sessions.set(peer, session)
    this.pinned.set(peer, session.remoteIdentity)
    const seen = this.seenBaseKeys.get(peer) ?? []
    seen.push(hexOf(session.baseKey))
    if (seen.length > MAX_SEEN_BASE_KEYS) seen.shift()
    this.seenBaseKeys.set(peer, seen)
    return plaintext
  }

  /** Every session's record, by peer (for a store). */
  exportRecords(): Map<string, Uint8Array> {
    return new Map([...this.sessions].map(([peer, s]) => [peer, s.serialize()]))
  }

  /** Rebuilds a party's sessions from records written by exportRecords. */
  static restore(
    identity: IdentityKeyPair,
    preKeys: PreKeyStore,
    records: Iterable<[string, Uint8Array]>,
    options: SessionOptions = {},
  ): PairwiseSessions {
    const p = new PairwiseSessions(identity, preKeys, options)
    for (const [peer, bytes] of records) {
      const s = Session.deserialize(bytes, options)
      p.sessions.set(peer, s)
      p.pinned.set(peer, s.remoteIdentity)
    }
    return p
  }

  /** Deletes the session with a peer (zeroing it); the pinned identity stays. */
  remove(peer: string): void {
    this.sessions.get(peer)?.destroy()
    this.sessions.delete(peer)
  }

  /** Deletes every session (zeroing them). */
  destroy(): void {
    for (const s of this.sessions.values()) s.destroy()
    this.sessions.clear()
  }
}
