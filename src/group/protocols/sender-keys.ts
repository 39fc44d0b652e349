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
 * order, signed by the inviter) through its mailbox. Those messages and the
 * member list are roster.ts, shared with the coordinator adapter.
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
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { ed25519 } from '../../crypto/signature/ed25519.js'
import { TalosError, isTalosError } from '../../errors.js'
import { PairwiseSessions } from '../../ratchet/sessions.js'
import { decodePreKeyBundle, encodePreKeyBundle, type PreKeyBundle } from '../../ratchet/prekeys.js'
import { SenderKeyGroup } from '../../senderkeys/group.js'
import { decodeSenderKeyMessage } from '../../senderkeys/message.js'
import { SenderKeyRecord } from '../../proto/senderkeys.js'
import { SkAdopt, SkPayload, SkState, type SkBuffered, type SkCommit, type SkMember } from '../../proto/group.js'
import { bytesEqual } from '../util.js'
import {
  checkIdentities,
  decodeCommit,
  decodeInvite,
  inviteTbs,
  malformed,
  MAX_PAYLOAD_BYTES,
  MAX_SK_MEMBERS,
  MAX_STATE_BYTES,
  readAdopt,
  Roster,
  type SenderKeysDeps,
  type SkTicket,
} from './roster.js'
import type { AddTicket, EngineState, GroupProtocol, PreparedCommit, ProtocolEngine, Received } from './types.js'

/** Messages held for senders whose key has not arrived. */
export const MAX_SK_BUFFERED = 256
/** Bundles claimed for one member before giving up on finding one with its identity key. */
const MAX_BUNDLE_CLAIMS = 8

export class SenderKeysEngine implements ProtocolEngine {
  readonly protocol: GroupProtocol = 'sender-keys'

  private constructor(
    private readonly deps: SenderKeysDeps,
    private readonly roster: Roster,
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
    return new SenderKeysEngine(deps, new Roster(groupId, 0n, [self]), skg, sessions, new Set(), [], true)
  }

  /** Joins from an invitation; `replies` are our first distributions (to members after us in the order). */
  static async join(deps: SenderKeysDeps, groupId: Uint8Array, inviteBytes: Uint8Array, inviter: string): Promise<{ engine: SenderKeysEngine; replies: Uint8Array[] }> {
    const inv = decodeInvite(inviteBytes, 'sender-keys')
    if (inv.inviter !== inviter || !bytesEqual(inv.groupId, groupId)) throw new TalosError('GROUP_MALFORMED_INVITE', 'invitation fields disagree')
    const inviterEntry = inv.members.find((m) => m.did === inviter)
    const selfEntry = inv.members.find((m) => m.did === deps.did)
    if (inviterEntry === undefined || selfEntry === undefined) throw new TalosError('GROUP_MALFORMED_INVITE', 'inviter or invitee missing')
    if (!bytesEqual(selfEntry.identityKey, deps.identity.public.signingKey)) throw new TalosError('GROUP_MALFORMED_INVITE', 'the invitation names another key for us')
    if (!ed25519.verify(inviterEntry.identityKey, inviteTbs(inv), inv.signature)) {
      throw new TalosError('GROUP_MALFORMED_INVITE', "the inviter's signature does not verify")
    }
    checkIdentities(deps, inv.members)
    const sessions = new PairwiseSessions(deps.identity, deps.preKeys)
    const skg = new SenderKeyGroup(groupId, deps.did, inv.members.map((m) => m.did), sessions)
    const e = new SenderKeysEngine(deps, new Roster(groupId, inv.epoch, [...inv.members]), skg, sessions, new Set(), [], true)
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
    return new SenderKeysEngine(deps, new Roster(s.groupId, s.epoch, s.members), skg, sessions, new Set(s.owed), s.buffered, s.active)
  }

  get groupId(): Uint8Array {
    return this.roster.groupId
  }

  get epoch(): bigint {
    return this.roster.epoch
  }

  get active(): boolean {
    return this.isActive
  }

  members(): string[] {
    return this.roster.members()
  }

  isMember(did: string): boolean {
    return this.roster.isMember(did)
  }

  publicKeyOf(did: string): Uint8Array | undefined {
    return this.roster.publicKeyOf(did)
  }

  epochAuthenticator(): Uint8Array {
    return this.roster.authenticator()
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
      const c = decodeCommit(payload, 'sender-keys')
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
        return { kind: 'application', sender: r.sender, epoch: this.epoch, payloads: [r.plaintext], replies: [] }
      } catch (e) {
        if (!isTalosError(e, 'SENDERKEY_UNKNOWN_KEY')) throw e
        if (this.buffered.length >= MAX_SK_BUFFERED) throw new TalosError('GROUP_BUFFER_FULL', `no key of ${m.sender} yet and the buffer is full`)
        this.buffered.push({ sender: m.sender, message: body.value })
        return { kind: 'application', sender: m.sender, epoch: this.epoch, payloads: [], replies: [] }
      }
    }
    if (body.case === 'leave') return this.roster.checkLeave(body.value, envelopeSender)
    // A distribution: take our entry, if any.
    const mine = body.value.entries.filter((x) => x.recipient === this.deps.did)
    if (mine.length === 0) return { kind: 'application', sender: envelopeSender, epoch: this.epoch, payloads: [], replies: [] }
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
    return { kind: 'application', sender: envelopeSender, epoch: this.epoch, payloads, replies }
  }

  /** Any member may commit, but never remove itself (it leaves instead). */
  private checkCommit(c: SkCommit, envelopeSender: string): void {
    const committer = (): void => {
      if (c.committer !== envelopeSender) throw new TalosError('GROUP_SENDER_MISMATCH', 'the envelope names another sender than the commit')
      if (!this.isMember(c.committer)) throw new TalosError('GROUP_SENDER_MISMATCH', `${c.committer} is not a member`)
    }
    this.roster.checkCommit(c, committer, (d) => d === c.committer, 'its committer')
    if (this.roster.entries.length + c.added.length - c.removed.length > MAX_SK_MEMBERS) throw malformed('too many members')
    this.roster.verifyCommit(c, this.publicKeyOf(c.committer)!)
    checkIdentities(this.deps, c.added)
  }

  private async applyCommit(c: SkCommit, bundles: Map<string, PreKeyBundle>): Promise<Received & { kind: 'commit' }> {
    const removed = new Set(c.removed)
    const base = { kind: 'commit' as const, committer: c.committer, epoch: c.epoch + 1n, added: c.added.map((m) => m.did), removed: [...c.removed] }
    if (removed.has(this.deps.did)) {
      this.isActive = false
      this.roster.advance(c, this.deps.did)
      return { ...base, removedUs: true, replies: [] }
    }
    const others = this.roster.entries.filter((m) => !removed.has(m.did) && m.did !== this.deps.did)
    this.roster.advance(c, this.deps.did)
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
    const { commit, welcome } = this.roster.signCommit(this.deps, change)
    // The bundles go with the commit: adopting it opens the sessions to the added members.
    const adopt: SkAdopt = {
      commit,
      bundles: change.add.map((t) => ({ peer: t.did, record: encodePreKeyBundle((t.material as SkTicket).bundle) })),
    }
    return { epoch: this.epoch, commit, merged: encodeProto(SkAdopt, adopt), welcome }
  }

  async adoptCommit(merged: Uint8Array, _committedBy: string): Promise<Received & { kind: 'commit' }> {
    const { commit, adopt } = readAdopt(merged, this.epoch)
    return this.applyCommit(commit, new Map(adopt.bundles.map((b) => [b.peer, decodePreKeyBundle(b.record)])))
  }

  proposeLeave(): Uint8Array {
    return encodeProto(SkPayload, SkPayload.create({ body: { case: 'leave', value: this.roster.signLeave(this.deps) } }))
  }

  serialize(): EngineState {
    const s: SkState = {
      groupId: this.groupId,
      epoch: this.epoch,
      members: this.roster.entries,
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
