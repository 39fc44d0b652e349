/**
 * The 'sender-keys' protocol adapter: Signal-style sender keys (src/senderkeys)
 * over two-party X3DH + Double Ratchet sessions (src/ratchet) built from the
 * prekey bundles members publish in the directory.
 *
 * Membership is ordered by the delivery service exactly as for MLS: an
 * SkCommit (added members with their identity keys, removed members) is
 * signed by the committer's Ed25519 identity key and published with
 * { kind: 'commit', epoch }, so at most one lands per epoch and everyone
 * applies the same sequence. The invitee gets an SkInvite (members in join
 * order, signed by the inviter) through its mailbox.
 *
 * Keys travel in SkDistribution entries on the group log (one two-party
 * SessionMessage per recipient), so they are ordered with the commits and
 * messages around them. Who opens a session: of two members, the one that
 * joined first (earlier in the member order) claims the other's bundle and
 * initiates; the later one answers the first message it gets with its own
 * key. That rule means two members never initiate to each other at once.
 * A member sends only once every other member has its current key (a
 * sender key is handed over at its current iteration: earlier messages
 * would stay unreadable), so a joiner's first send waits for the earlier
 * members' sessions. Messages whose sender's key has not arrived yet are
 * buffered (bounded) and decrypted when the distribution comes.
 *
 * Costs, as the protocol has them: a join is O(n) two-party messages, a
 * removal rotates every remaining member's key (n-1 distributions each); a
 * message is one AEAD and one signature, whatever n.
 */
import { Writer } from '../../codec/tls.js'
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { sha256 } from '../../crypto/sodium.js'
import { ed25519 } from '../../crypto/signature/ed25519.js'
import { TalosError, isTalosError } from '../../errors.js'
import { isDid } from '../../delivery/index.js'
import { PairwiseSessions } from '../../ratchet/sessions.js'
import { decodePreKeyBundle, encodePreKeyBundle, type PreKeyBundle } from '../../ratchet/prekeys.js'
import type { IdentityKeyPair } from '../../ratchet/identity.js'
import { SenderKeyGroup } from '../../senderkeys/group.js'
import { decodeSenderKeyMessage } from '../../senderkeys/message.js'
import { SenderKeyRecord } from '../../proto/senderkeys.js'
import { SkAdopt, SkCommit, SkInvite, SkPayload, SkState, type SkBuffered, type SkMember } from '../../proto/group.js'
import type { ClientPreKeys } from '../prekeys.js'
import { bytesEqual } from '../util.js'
import type { AddTicket, EngineState, GroupProtocol, PreparedCommit, ProtocolEngine, Received } from './types.js'

/** Members of a sender-keys group. */
export const MAX_SK_MEMBERS = 1000
/** Messages held for senders whose key has not arrived. */
export const MAX_SK_BUFFERED = 256
const MAX_STATE_BYTES = 64 * 1024 * 1024
const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
 /** Bundles claimed for one member before giving up on finding one with its identity key. */
const MAX_BUNDLE_CLAIMS = 8
const LABEL_COMMIT = 'talos sender-keys commit v1'
const LABEL_INVITE = 'talos sender-keys invite v1'
const LABEL_LEAVE = 'talos sender-keys leave v1'

export interface SenderKeysDeps {
  readonly did: string
  readonly identity: IdentityKeyPair
  readonly preKeys: ClientPreKeys
  /** A verified prekey bundle of `did` from the directory. */
  claimBundle(did: string): Promise<PreKeyBundle>
}

/** The add ticket of a sender-keys group: a verified bundle and the identity key it names. */
export interface SkTicket {
  readonly bundle: PreKeyBundle
  readonly identityKey: Uint8Array
}

function malformed(what: string): TalosError {
  return new TalosError('GROUP_MALFORMED_ENVELOPE', what)
}

export function writeMembers(w: Writer, list: readonly SkMember[]): void {
  w.u32(list.length)
  for (const m of list) w.opaque(new TextEncoder().encode(m.did)).opaque(m.identityKey)
}

/** SHA-256 over (group id, epoch, members with keys): equal values mean the same membership history applied. */
export function membershipAuthenticator(groupId: Uint8Array, epoch: bigint, list: readonly SkMember[]): Uint8Array {
  const w = new Writer(256).opaque(groupId).u64(epoch)
  writeMembers(w, list)
  return sha256(w.finish())
}

export function commitTbs(c: SkCommit): Uint8Array {
  const w = new Writer(256).opaque(new TextEncoder().encode(LABEL_COMMIT)).opaque(c.groupId).u64(c.epoch)
  w.opaque(new TextEncoder().encode(c.committer))
  writeMembers(w, c.added)
  w.u32(c.removed.length)
  for (const r of c.removed) w.opaque(new TextEncoder().encode(r))
  return w.finish()
}

export function inviteTbs(i: SkInvite): Uint8Array {
  const w = new Writer(256).opaque(new TextEncoder().encode(LABEL_INVITE)).opaque(i.groupId).u64(i.epoch)
  w.opaque(new TextEncoder().encode(i.inviter))
  writeMembers(w, i.members)
  return w.finish()
}

export function leaveTbs(l: { groupId: Uint8Array; epoch: bigint; did: string }): Uint8Array {
  return new Writer(128)
    .opaque(new TextEncoder().encode(LABEL_LEAVE))
    .opaque(l.groupId)
    .u64(l.epoch)
    .opaque(new TextEncoder().encode(l.did))
    .finish()
}

export function checkMembers(list: readonly SkMember[]): void {
  if (list.length > MAX_SK_MEMBERS) throw malformed('too many members')
  const seen = new Set<string>()
  for (const m of list) {
    if (!isDid(m.did) || m.identityKey.length !== 32 || seen.has(m.did)) throw malformed('bad member entry')
    seen.add(m.did)
  }
}

export class SenderKeysEngine implements ProtocolEngine {
  readonly protocol: GroupProtocol = 'sender-keys'

  private constructor(
    private readonly deps: SenderKeysDeps,
    readonly groupId: Uint8Array,
    private epochValue: bigint,
    private memberList: SkMember[],
    private skg: SenderKeyGroup,
    private readonly sessions: PairwiseSessions,
    private readonly owed: Set<string>,
    private buffered: SkBuffered[],
    private isActive: boolean,
  ) {}

  /** A new group with us alone at epoch 0. */
  static create(deps: SenderKeysDeps, groupId: Uint8Array): SenderKeysEngine {
    const sessions = new PairwiseSessions(deps.identity, deps.preKeys)
    const skg = new SenderKeyGroup(groupId, deps.did, [deps.did], sessions)
    const self = { did: deps.did, identityKey: deps.identity.public.signingKey }
    return new SenderKeysEngine(deps, groupId, 0n, [self], skg, sessions, new Set(), [], true)
  }

  /** Joins from an invitation; `replies` are our first distributions (to members after us in the order). */
  static async join(deps: SenderKeysDeps, groupId: Uint8Array, inviteBytes: Uint8Array, inviter: string): Promise<{ engine: SenderKeysEngine; replies: Uint8Array[] }> {
    let inv: SkInvite
    try {
      inv = decodeProto(SkInvite, inviteBytes, { maxBytes: MAX_PAYLOAD_BYTES })
    } catch (e) {
      throw new TalosError('GROUP_MALFORMED_INVITE', `undecodable sender-keys invitation: ${(e as Error).message}`)
    }
    checkMembers(inv.members)
    if (inv.inviter !== inviter || !bytesEqual(inv.groupId, groupId)) throw new TalosError('GROUP_MALFORMED_INVITE', 'invitation fields disagree')
    const inviterEntry = inv.members.find((m) => m.did === inviter)
    const selfEntry = inv.members.find((m) => m.did === deps.did)
    if (inviterEntry === undefined || selfEntry === undefined) throw new TalosError('GROUP_MALFORMED_INVITE', 'inviter or invitee missing')
    if (!bytesEqual(selfEntry.identityKey, deps.identity.public.signingKey)) throw new TalosError('GROUP_MALFORMED_INVITE', 'the invitation names another key for us')
    if (!ed25519.verify(inviterEntry.identityKey, inviteTbs(inv), inv.signature)) {
      throw new TalosError('GROUP_MALFORMED_INVITE', "the inviter's signature does not verify")
    }
    const sessions = new PairwiseSessions(deps.identity, deps.preKeys)
    const skg = new SenderKeyGroup(groupId, deps.did, inv.members.map((m) => m.did), sessions)
    const e = new SenderKeysEngine(deps, groupId, inv.epoch, [...inv.members], skg, sessions, new Set(), [], true)
    const me = inv.members.findIndex((m) => m.did === deps.did)
    for (const m of inv.members.slice(0, me)) e.owed.add(m.did)
    const entries = await e.initiate(inv.members.slice(me + 1), new Map())
    return { engine: e, replies: entries.length > 0 ? [e.distributionPayload(entries)] : [] }
  }

  static restore(deps: SenderKeysDeps, state: EngineState): SenderKeysEngine {
    let s: SkState
    try {
      s = decodeProto(SkState, state.mls, { maxBytes: MAX_STATE_BYTES })
    } catch (e) {
      throw new TalosError('GROUP_STATE_CORRUPT', `sender-keys state: ${(e as Error).message}`)
    }
    const sessions = PairwiseSessions.restore(deps.identity, deps.preKeys, s.sessions.map((x) => [x.peer, x.record] as [string, Uint8Array]))
    const skg = SenderKeyGroup.deserialize(s.senderKeys, sessions)
    return new SenderKeysEngine(deps, s.groupId, s.epoch, s.members, skg, sessions, new Set(s.owed), s.buffered, s.active)
  }

  get epoch(): bigint {
    return this.epochValue
  }

  get active(): boolean {
    return this.isActive
  }

  members(): string[] {
    return this.memberList.map((m) => m.did)
  }

  isMember(did: string): boolean {
    return this.memberList.some((m) => m.did === did)
  }

  publicKeyOf(did: string): Uint8Array | undefined {
    return this.memberList.find((m) => m.did === did)?.identityKey
  }

  epochAuthenticator(): Uint8Array {
    return membershipAuthenticator(this.groupId, this.epochValue, this.memberList)
  }

  pendingRemovals(): string[] {
    return []
  }

  /**
   * A sender key reaches a member at its current iteration, so a message we
   * sent before a member got our key would stay unreadable to it: we send only
   * once every member we owe our key has it.
   */
  readyToSend(): boolean {
    return this.owed.size === 0
  }

  async encrypt(payload: Uint8Array): Promise<Uint8Array> {
    return encodeProto(SkPayload, SkPayload.create({ body: { case: 'message', value: this.skg.encrypt(payload) } }))
  }

  private distributionPayload(entries: { recipient: string; sessionMessage: Uint8Array }[]): Uint8Array {
    return encodeProto(SkPayload, SkPayload.create({ body: { case: 'distribution', value: { entries } } }))
  }

  /** Opens sessions to `targets` (we joined before them) and sends them our current key. */
  private async initiate(targets: readonly SkMember[], bundles: Map<string, PreKeyBundle>): Promise<{ recipient: string; sessionMessage: Uint8Array }[]> {
    const out: { recipient: string; sessionMessage: Uint8Array }[] = []
    for (const t of targets) {
      if (t.did === this.deps.did) continue
      try {
        let bundle = bundles.get(t.did)
        // A one-time bundle left from an earlier identity of that DID is skipped: claim the next one.
        for (let i = 0; i < MAX_BUNDLE_CLAIMS && (bundle === undefined || !sameIdentity(bundle, t.identityKey)); i++) {
          bundle = await this.deps.claimBundle(t.did)
        }
        if (bundle === undefined || !sameIdentity(bundle, t.identityKey)) {
          throw new TalosError('GROUP_INVALID_KEY_PACKAGE', `the bundle of ${t.did} names another identity key than the group's`)
        }
        this.sessions.connect(t.did, bundle)
        out.push({ recipient: t.did, sessionMessage: this.skg.distribute([t.did]).get(t.did)! })
      } catch (e) {
        // Unreachable now: it will get our key when it opens a session to us (we answer every first message).
        if (!isTalosError(e)) throw e
        this.owed.add(t.did)
      }
    }
    return out
  }

  /** Replaces the SenderKeyGroup by one built from its record after `edit` (membership and rotation). */
  private rebuild(edit: (r: SenderKeyRecord) => void): void {
    const r = decodeProto(SenderKeyRecord, this.skg.serialize(), { maxBytes: MAX_STATE_BYTES })
    edit(r)
    const next = SenderKeyGroup.deserialize(encodeProto(SenderKeyRecord, r), this.sessions)
    this.skg.destroy()
    this.skg = next
  }

  private freshOwnKey(): SenderKeyRecord['own'] {
    const tmp = new SenderKeyGroup(this.groupId, this.deps.did, [this.deps.did], this.sessions)
    const own = decodeProto(SenderKeyRecord, tmp.serialize(), { maxBytes: 1 << 16 }).own
    tmp.destroy()
    return own
  }

  async receive(kind: 'message' | 'commit', payload: Uint8Array, envelopeSender: string): Promise<Received> {
    if (kind === 'commit') {
      let c: SkCommit
      try {
        c = decodeProto(SkCommit, payload, { maxBytes: MAX_PAYLOAD_BYTES })
      } catch (e) {
        throw malformed(`undecodable sender-keys commit: ${(e as Error).message}`)
      }
      this.checkCommit(c, envelopeSender)
      return this.applyCommit(c, new Map())
    }
    let p: SkPayload
    try {
      p = decodeProto(SkPayload, payload, { maxBytes: MAX_PAYLOAD_BYTES })
    } catch (e) {
      throw malformed(`undecodable sender-keys payload: ${(e as Error).message}`)
    }
    if (!this.isMember(envelopeSender)) throw new TalosError('GROUP_SENDER_MISMATCH', `${envelopeSender} is not a member`)
    const body = p.body
    if (body === undefined) throw malformed('empty sender-keys payload')
    if (body.case === 'message') {
      const m = decodeSenderKeyMessage(body.value)
      if (m.sender !== envelopeSender) throw new TalosError('GROUP_SENDER_MISMATCH', 'the envelope names another sender than the message')
      try {
        const r = this.skg.decrypt(body.value)
        return { kind: 'application', sender: r.sender, epoch: this.epochValue, payloads: [r.plaintext], replies: [] }
      } catch (e) {
        if (!isTalosError(e, 'SENDERKEY_UNKNOWN_KEY')) throw e
        if (this.buffered.length >= MAX_SK_BUFFERED) throw new TalosError('GROUP_BUFFER_FULL', `no key of ${m.sender} yet and the buffer is full`)
        this.buffered.push({ sender: m.sender, message: body.value })
        return { kind: 'application', sender: m.sender, epoch: this.epochValue, payloads: [], replies: [] }
      }
    }
    if (body.case === 'leave') {
      const l = body.value
      const key = this.publicKeyOf(l.did)
      if (l.did !== envelopeSender || !bytesEqual(l.groupId, this.groupId) || l.epoch !== this.epochValue || key === undefined) {
        throw malformed('a leave request for another member, group or epoch')
      }
      if (!ed25519.verify(key, leaveTbs(l), l.signature)) throw new TalosError('GROUP_SENDER_MISMATCH', 'leave request signature does not verify')
      return { kind: 'proposal', sender: l.did, leaving: l.did }
    }
    // A distribution: take our entry, if any.
    const mine = body.value.entries.filter((x) => x.recipient === this.deps.did)
    if (mine.length === 0) return { kind: 'application', sender: envelopeSender, epoch: this.epochValue, payloads: [], replies: [] }
    if (mine.length > 1) throw malformed('two distribution entries for us')
    this.skg.receiveDistribution(envelopeSender, mine[0]!.sessionMessage)
    const replies: Uint8Array[] = []
    if (this.owed.has(envelopeSender) && this.sessions.has(envelopeSender)) {
      replies.push(this.distributionPayload([{ recipient: envelopeSender, sessionMessage: this.skg.distribute([envelopeSender]).get(envelopeSender)! }]))
      this.owed.delete(envelopeSender)
    }
    const payloads: Uint8Array[] = []
    const still: SkBuffered[] = []
    for (const b of this.buffered) {
      if (b.sender !== envelopeSender) {
        still.push(b)
        continue
      }
      try {
        payloads.push(this.skg.decrypt(b.message).plaintext)
      } catch (e) {
        if (!isTalosError(e)) throw e
        if (isTalosError(e, 'SENDERKEY_UNKNOWN_KEY')) still.push(b)
      }
    }
    this.buffered = still
    return { kind: 'application', sender: envelopeSender, epoch: this.epochValue, payloads, replies }
  }

  private checkCommit(c: SkCommit, envelopeSender: string): void {
    if (!bytesEqual(c.groupId, this.groupId)) throw malformed('commit for another group')
    if (c.epoch !== this.epochValue) throw new TalosError('GROUP_WRONG_EPOCH', `commit for epoch ${c.epoch}, the group is at ${this.epochValue}`)
    if (c.committer !== envelopeSender) throw new TalosError('GROUP_SENDER_MISMATCH', 'the envelope names another sender than the commit')
    const key = this.publicKeyOf(c.committer)
    if (key === undefined) throw new TalosError('GROUP_SENDER_MISMATCH', `${c.committer} is not a member`)
    checkMembers(c.added)
    if (c.added.some((m) => this.isMember(m.did))) throw malformed('commit adds a member twice')
    if (new Set(c.removed).size !== c.removed.length || c.removed.some((d) => !this.isMember(d) || d === c.committer)) {
      throw malformed('commit removes a non-member or its committer')
    }
    if (this.memberList.length + c.added.length - c.removed.length > MAX_SK_MEMBERS) throw malformed('too many members')
    if (!ed25519.verify(key, commitTbs(c), c.signature)) throw new TalosError('GROUP_SENDER_MISMATCH', 'commit signature does not verify')
  }

  private async applyCommit(c: SkCommit, bundles: Map<string, PreKeyBundle>): Promise<Received & { kind: 'commit' }> {
    const removed = new Set(c.removed)
    const base = { kind: 'commit' as const, committer: c.committer, epoch: c.epoch + 1n, added: c.added.map((m) => m.did), removed: [...c.removed] }
    if (removed.has(this.deps.did)) {
      this.isActive = false
      this.epochValue = c.epoch + 1n
      return { ...base, removedUs: true, replies: [] }
    }
    const others = this.memberList.filter((m) => !removed.has(m.did) && m.did !== this.deps.did)
    this.memberList = [...this.memberList.filter((m) => !removed.has(m.did)), ...c.added]
    this.epochValue = c.epoch + 1n
    for (const r of removed) {
      this.sessions.remove(r)
      this.owed.delete(r)
    }
    this.buffered = this.buffered.filter((b) => !removed.has(b.sender))
    const entries: { recipient: string; sessionMessage: Uint8Array }[] = []
    // After a removal everyone still here rotates (the removed member held our old chain);
    // a commit that changes nobody is its committer's key update (update()).
    const selfUpdate = removed.size === 0 && c.added.length === 0 && c.committer === this.deps.did
    if (removed.size > 0 || selfUpdate) {
      const own = this.freshOwnKey()
      this.rebuild((r) => {
        r.members = this.members()
        r.received = r.received.filter((s) => !removed.has(s.sender))
        r.own = own
      })
      for (const m of others) {
        if (this.sessions.has(m.did)) entries.push({ recipient: m.did, sessionMessage: this.skg.distribute([m.did]).get(m.did)! })
        else this.owed.add(m.did)
      }
    } else {
      this.rebuild((r) => {
        r.members = this.members()
      })
    }
    entries.push(...(await this.initiate(c.added, bundles)))
    return { ...base, removedUs: false, replies: entries.length > 0 ? [this.distributionPayload(entries)] : [] }
  }

  async prepareCommit(change: { add: AddTicket[]; remove: string[] }): Promise<PreparedCommit> {
    const added: SkMember[] = change.add.map((t) => ({ did: t.did, identityKey: (t.material as SkTicket).identityKey }))
    const unsigned: SkCommit = { groupId: this.groupId, epoch: this.epochValue, committer: this.deps.did, added, removed: [...change.remove], signature: new Uint8Array(0) }
    const commit: SkCommit = { ...unsigned, signature: ed25519.sign(this.deps.identity.signingPrivate, commitTbs(unsigned)) }
    const commitBytes = encodeProto(SkCommit, commit)
    const removed = new Set(change.remove)
    const after = [...this.memberList.filter((m) => !removed.has(m.did)), ...added]
    const invite: SkInvite = { groupId: this.groupId, epoch: this.epochValue + 1n, members: after, inviter: this.deps.did, signature: new Uint8Array(0) }
    invite.signature = ed25519.sign(this.deps.identity.signingPrivate, inviteTbs(invite))
    const adopt: SkAdopt = {
      commit: commitBytes,
      bundles: change.add.map((t) => ({ peer: t.did, record: encodePreKeyBundle((t.material as SkTicket).bundle) })),
    }
    return {
      epoch: this.epochValue,
      commit: commitBytes,
      merged: encodeProto(SkAdopt, adopt),
      welcome: added.length > 0 ? encodeProto(SkInvite, invite) : undefined,
    }
  }

  async adoptCommit(merged: Uint8Array, _committedBy: string): Promise<Received & { kind: 'commit' }> {
    const a = decodeProto(SkAdopt, merged, { maxBytes: MAX_STATE_BYTES })
    const c = decodeProto(SkCommit, a.commit, { maxBytes: MAX_PAYLOAD_BYTES })
    if (c.epoch !== this.epochValue) throw new TalosError('GROUP_STATE_CORRUPT', 'the written-ahead commit is not for this epoch')
    return this.applyCommit(c, new Map(a.bundles.map((b) => [b.peer, decodePreKeyBundle(b.record)])))
  }

  proposeLeave(): Uint8Array {
    const l = { groupId: this.groupId, epoch: this.epochValue, did: this.deps.did }
    const leave = { ...l, signature: ed25519.sign(this.deps.identity.signingPrivate, leaveTbs(l)) }
    return encodeProto(SkPayload, SkPayload.create({ body: { case: 'leave', value: leave } }))
  }

  serialize(): EngineState {
    const s: SkState = {
      groupId: this.groupId,
      epoch: this.epochValue,
      members: this.memberList,
      senderKeys: this.skg.serialize(),
      sessions: [...this.sessions.exportRecords()].map(([peer, record]) => ({ peer, record })),
      owed: [...this.owed],
      buffered: this.buffered,
      active: this.isActive,
    }
    return { mls: encodeProto(SkState, s), hybrid: new Uint8Array(0) }
  }

  destroy(): void {
    this.skg.destroy()
    this.sessions.destroy()
  }
}

function sameIdentity(bundle: PreKeyBundle, identityKey: Uint8Array): boolean {
  return bundle.identity !== undefined && bytesEqual(bundle.identity.signingKey, identityKey)
}
