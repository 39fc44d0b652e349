/**
 * One member's sender-key view of one group (Signal-style sender keys):
 * our own sender key, every other member's current (and previous) key, the
 * member list, and the distribution of keys over the two-party sessions of
 * src/ratchet.
 *
 * Membership, as the protocol has it (its costs are inherent, O(n) per
 * member per change):
 *   join    every existing member sends the joiner its own current key
 *           (`addMember`); the joiner creates its key and sends it to everyone
 *           (`distribute`). The joiner starts at each chain's current
 *           iteration: earlier messages stay unreadable to it.
 *   remove  every remaining member deletes the removed member's keys, rotates
 *           its own key and sends the new one to every remaining member
 *           (`removeMember`, one call). The removed member held every old
 *           chain key; only rotation locks it out.
 *
 * Security properties, stated as the tests show them: forward secrecy within
 * a chain (message keys and chain keys are deleted as the chain advances);
 * no post-compromise security until the compromised chain is rotated, and a
 * rotation heals only if it travels over a two-party session that has itself
 * healed (a DH round trip after the compromise).
 *
 * A distribution must come from the key's owner over its own session: the
 * `sender` inside must equal the session peer.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { constantTimeEqual, memzero } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { SenderKeyRecord, type SenderKeyStateRecord } from '../proto/senderkeys.js'
import type { PairwiseSessions } from '../ratchet/sessions.js'
import { DEFAULT_SENDERKEY_POLICY, MAX_ITERATION, MAX_STATES_PER_MEMBER, SENDERKEY_VERSION, type SenderKeyPolicy } from './constants.js'
import { decodeDistribution, decodeSenderKeyMessage, encodeDistribution, encodeSenderKeyMessage } from './message.js'
import {
  destroySenderKey,
  fromDistribution,
  newOwnState,
  senderKeyDecrypt,
  senderKeyEncrypt,
  toDistribution,
  type SenderKeyState,
} from './state.js'

export interface SenderKeyGroupOptions {
  readonly policy?: Partial<SenderKeyPolicy>
}

export interface ReceivedMessage {
  readonly sender: string
  readonly plaintext: Uint8Array
}

export class SenderKeyGroup {
  private own: SenderKeyState
  private readonly received = new Map<string, SenderKeyState[]>()
  private readonly memberSet: Set<string>
  private readonly policy: SenderKeyPolicy

  constructor(
    readonly groupId: Uint8Array,
    readonly self: string,
    members: Iterable<string>,
    private readonly sessions: PairwiseSessions,
    options: SenderKeyGroupOptions = {},
    own?: SenderKeyState,
  ) {
    this.memberSet = new Set(members)
    this.memberSet.add(self)
    this.policy = { ...DEFAULT_SENDERKEY_POLICY, ...options.policy }
    this.own = own ?? newOwnState(self)
  }

  get members(): string[] {
    return [...this.memberSet]
  }

  /** Every member but us. */
  get others(): string[] {
    return [...this.memberSet].filter((m) => m !== this.self)
  }

  /** Our current key id (changes at each rotation). */
  get ownKeyId(): number {
    return this.own.keyId
  }

  /** Our current sender key, encrypted over each recipient's session (default: every other member). */
  distribute(recipients: Iterable<string> = this.others): Map<string, Uint8Array> {
    return this.distributeState(this.own, [...recipients])
  }

  /**
   * `state` encrypted over each recipient's session. Every recipient and
   * session is checked first (PairwiseSessions.checkCanEncrypt), so a refusal comes
   * before any session has moved.
   */
  private distributeState(state: SenderKeyState, recipients: readonly string[]): Map<string, Uint8Array> {
    for (const r of recipients) {
      if (!this.memberSet.has(r) || r === this.self) throw new TalosError('SENDERKEY_NOT_A_MEMBER', `${r} is not another member`)
    }
    const plaintext = encodeDistribution(toDistribution(this.groupId, state))
    const out = new Map<string, Uint8Array>()
    try {
      this.sessions.checkCanEncrypt(recipients, plaintext.length)
      for (const r of recipients) out.set(r, this.sessions.encrypt(r, plaintext))
    } finally {
      memzero(plaintext)
    }
    return out
  }

  /** Rotates our sender key (new chain, signing key and key id) and distributes it to every other member: one call. */
  rotateAndDistribute(): Map<string, Uint8Array> {
    return this.rotateTo(this.others)
  }

  /**
   * Staged rotation: the new key is installed only once its distribution to
   * every recipient has been made; if that throws, the new key is destroyed
   * and the old one stays in use.
   */
  private rotateTo(recipients: readonly string[]): Map<string, Uint8Array> {
    const missing = recipients.filter((m) => !this.sessions.has(m))
    if (missing.length > 0) throw new TalosError('SENDERKEY_NO_SESSION', `no two-party session with ${missing.join(', ')}`)
    const old = this.own
    let next = newOwnState(this.self)
    // Receivers keep our previous key by its id: a new key must not reuse it (a 2^-32 event).
    while (next.keyId === old.keyId) {
      destroySenderKey(next)
      next = newOwnState(this.self)
    }
    let out: Map<string, Uint8Array>
    try {
      out = this.distributeState(next, recipients)
    } catch (e) {
      destroySenderKey(next)
      throw e
    }
    this.own = next
    destroySenderKey(old)
    return out
  }

  /** A member joins: it gets our current key (it cannot read anything we sent before). */
  addMember(member: string): Uint8Array {
    if (member === this.self) throw new TalosError('SENDERKEY_NOT_A_MEMBER', 'cannot add ourselves')
    const wasMember = this.memberSet.has(member)
    this.memberSet.add(member)
    try {
      return this.distribute([member]).get(member)!
    } catch (e) {
      if (!wasMember) this.memberSet.delete(member)
      throw e
    }
  }

  /**
   * A member leaves: its keys are deleted, ours is rotated and sent to every
   * remaining member. All or nothing: if the distribution fails the member,
   * its keys and our old key all stay.
   */
  removeMember(member: string): Map<string, Uint8Array> {
    if (!this.memberSet.has(member) || member === this.self) throw new TalosError('SENDERKEY_NOT_A_MEMBER', `${member} is not another member`)
    const out = this.rotateTo(this.others.filter((m) => m !== member))
    this.memberSet.delete(member)
    for (const s of this.received.get(member) ?? []) destroySenderKey(s)
    this.received.delete(member)
    return out
  }

  /** Installs a key that `from` sent us over our session with it. */
  receiveDistribution(from: string, sessionMessage: Uint8Array): void {
    if (!this.memberSet.has(from) || from === this.self) throw new TalosError('SENDERKEY_NOT_A_MEMBER', `${from} is not another member`)
    const plaintext = this.sessions.decrypt(from, sessionMessage)
    try {
      const d = decodeDistribution(plaintext)
      if (d.sender !== from) throw new TalosError('SENDERKEY_INVALID_DISTRIBUTION', `${from} sent a key for ${d.sender}`)
      if (!constantTimeEqual(d.groupId, this.groupId)) throw new TalosError('SENDERKEY_INVALID_DISTRIBUTION', 'key for another group')
      const states = this.received.get(from) ?? []
      if (states.some((s) => s.keyId === d.keyId)) {
        throw new TalosError('SENDERKEY_DUPLICATE_DISTRIBUTION', `${from}'s key ${d.keyId} is already installed`)
      }
      states.push(fromDistribution({ ...d, chainKey: d.chainKey.slice() }))
      while (states.length > MAX_STATES_PER_MEMBER) destroySenderKey(states.shift()!)
      this.received.set(from, states)
    } finally {
      memzero(plaintext)
    }
  }

  /** Encrypts and signs one group message with our sender key. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    return encodeSenderKeyMessage(senderKeyEncrypt(this.groupId, this.own, plaintext))
  }

  /** Verifies and decrypts a member's message. A refused message changes nothing. */
  decrypt(bytes: Uint8Array): ReceivedMessage {
    const m = decodeSenderKeyMessage(bytes)
    if (!constantTimeEqual(m.groupId, this.groupId)) throw new TalosError('SENDERKEY_WRONG_GROUP', 'message for another group')
    if (m.sender === this.self) throw new TalosError('SENDERKEY_OWN_MESSAGE', 'our own message came back')
    if (!this.memberSet.has(m.sender)) throw new TalosError('SENDERKEY_NOT_A_MEMBER', `${m.sender} is not a member`)
    const state = this.received.get(m.sender)?.find((s) => s.keyId === m.keyId)
    if (state === undefined) {
      throw new TalosError('SENDERKEY_UNKNOWN_KEY', `no key ${m.keyId} from ${m.sender} (distribution not received yet?)`)
    }
    return { sender: m.sender, plaintext: senderKeyDecrypt(this.groupId, state, m, this.policy) }
  }

  /** Whether we hold a key of this member. */
  hasKeyOf(member: string): boolean {
    return (this.received.get(member)?.length ?? 0) > 0
  }

  serialize(): Uint8Array {
    const rec = (s: SenderKeyState): SenderKeyStateRecord => ({
      sender: s.sender,
      keyId: s.keyId,
      iteration: s.iteration,
      chainKey: s.chainKey,
      signingKey: s.signingKey,
      signingPrivate: s.signingPrivate ?? new Uint8Array(0),
      skipped: [...s.skipped].map(([iteration, messageSeed]) => ({ iteration, messageSeed })),
    })
    return encodeProto(SenderKeyRecord, {
      version: SENDERKEY_VERSION,
      groupId: this.groupId,
      self: this.self,
      members: this.members,
      own: rec(this.own),
      received: [...this.received.values()].flat().map(rec),
    })
  }

  /** Rebuilds a group view from its record, over the same member's sessions. */
  static deserialize(bytes: Uint8Array, sessions: PairwiseSessions, options: SenderKeyGroupOptions = {}): SenderKeyGroup {
    const r = decodeProto(SenderKeyRecord, bytes, { maxBytes: 1 << 24 })
    const bad = (what: string): TalosError => new TalosError('SENDERKEY_INVALID_RECORD', `sender-key record: ${what}`)
    if (r.version !== SENDERKEY_VERSION) throw bad(`unsupported version ${r.version}`)
    const policy: SenderKeyPolicy = { ...DEFAULT_SENDERKEY_POLICY, ...options.policy }
    const state = (x: SenderKeyStateRecord | undefined, own: boolean): SenderKeyState => {
      if (x === undefined) throw bad('missing state')
      if (x.chainKey.length !== 32 || x.signingKey.length !== 32) throw bad('keys must be 32 bytes')
      if (own !== (x.signingPrivate.length === 32)) throw bad('signing private key misplaced')
      // The limits live processing keeps: our own chain stops below MAX_ITERATION
      // (encrypt refuses there), a member's is at most one past the last
      // message iteration a decoder accepts (MAX_ITERATION).
      if (x.iteration > (own ? MAX_ITERATION : MAX_ITERATION + 1)) throw bad(`iteration ${x.iteration} out of range`)
      // Skipped seeds exist only for members' keys, at most maxSkippedKeys of
      // them, each for a distinct iteration behind the chain, oldest first (as
      // decryption stores them; eviction relies on the order).
      if (own && x.skipped.length > 0) throw bad('own key with skipped seeds')
      if (x.skipped.length > policy.maxSkippedKeys) throw bad(`${x.skipped.length} skipped seeds (limit ${policy.maxSkippedKeys})`)
      let previous = -1
      for (const k of x.skipped) {
        if (k.messageSeed.length !== 32) throw bad('skipped seeds must be 32 bytes')
        if (k.iteration <= previous || k.iteration >= x.iteration) throw bad('skipped iterations must increase and stay behind the chain')
        previous = k.iteration
      }
      return {
        sender: x.sender,
        keyId: x.keyId,
        iteration: x.iteration,
        chainKey: x.chainKey,
        signingKey: x.signingKey,
        signingPrivate: own ? x.signingPrivate : undefined,
        skipped: new Map(x.skipped.map((k) => [k.iteration, k.messageSeed])),
      }
    }
    const g = new SenderKeyGroup(r.groupId, r.self, r.members, sessions, options, state(r.own, true))
    for (const x of r.received) {
      const s = state(x, false)
      const list = g.received.get(s.sender) ?? []
      list.push(s)
      if (list.length > MAX_STATES_PER_MEMBER) throw bad(`too many keys for ${s.sender}`)
      g.received.set(s.sender, list)
    }
    return g
  }

  /** Zeroes every key. */
  destroy(): void {
    destroySenderKey(this.own)
    for (const list of this.received.values()) for (const s of list) destroySenderKey(s)
    this.received.clear()
  }
}
