/**
 * The 'coordinator' protocol adapter: the hub-and-spoke baseline of
 * src/coordinator, with the group creator's client as the hub.
 *
 *   member send   a CoordinatorSubmit over the member's two-party session
 *                 with the hub, published on the group log (only the hub
 *                 can read it)
 *   hub relay     the hub decrypts it, and publishes one entry holding a
 *                 CoordinatorDelivery (sender, hub sequence number, payload)
 *                 for every other member, each over its own session
 *   membership    only the hub commits (SkCommit signed by the hub, ordered
 *                 by the delivery service like every commit); a joiner opens
 *                 its session with the hub from the hub's prekey bundle
 *
 * The baseline's limits hold here by construction (src/coordinator/hub.ts):
 * the hub reads every message and is trusted for who sent what; a broadcast
 * costs n-1 two-party encryptions; nothing re-keys on add or remove (a removed
 * member's session is simply deleted). One thing the adapter adds: deliveries
 * for a member whose join message has not reached the hub yet are queued
 * (bounded) and sent when it connects, so a member added before a message
 * does get it. The hub is a single point of failure: if it leaves, the group
 * ends.
 *
 * The hub's sequence number and each member's last received one are kept in
 * the persisted state, so a restart neither replays nor refuses deliveries.
 */
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { ed25519 } from '../../crypto/signature/ed25519.js'
import { TalosError } from '../../errors.js'
import { COORDINATOR_VERSION, MAX_COORDINATOR_PAYLOAD, decodeDelivery, decodeSubmit, encodeDelivery, encodeSubmit } from '../../coordinator/wire.js'
import { PairwiseSessions } from '../../ratchet/sessions.js'
import { CoPayload, CoState, SkAdopt, type CoQueued, type SkCommit } from '../../proto/group.js'
import { checkIdentities, decodeCommit, decodeInvite, inviteTbs, malformed, MAX_PAYLOAD_BYTES, MAX_STATE_BYTES, readAdopt, Roster, type SenderKeysDeps } from './roster.js'
import { bytesEqual } from '../util.js'
import type { AddTicket, EngineState, GroupProtocol, PreparedCommit, ProtocolEngine, Received } from './types.js'

/** Deliveries the hub queues for members that have not connected yet (all members together). */
export const MAX_QUEUED_DELIVERIES = 4096

type Entry = { recipient: string; sessionMessage: Uint8Array }

export class CoordinatorEngine implements ProtocolEngine {
  readonly protocol: GroupProtocol = 'coordinator'

  private constructor(
    private readonly deps: SenderKeysDeps,
    private readonly roster: Roster,
    private readonly sessions: PairwiseSessions,
    private seq: bigint,
    private readonly connected: Set<string>,
    private queued: Map<string, Uint8Array[]>,
    private isActive: boolean,
  ) {}

  static create(deps: SenderKeysDeps, groupId: Uint8Array): CoordinatorEngine {
    const self = { did: deps.did, identityKey: deps.identity.public.signingKey }
    return new CoordinatorEngine(deps, new Roster(groupId, 0n, [self]), new PairwiseSessions(deps.identity, deps.preKeys), 0n, new Set(), new Map(), true)
  }

  /** Joins from the hub's invitation; `replies` is our join message to the hub. */
  static async join(deps: SenderKeysDeps, groupId: Uint8Array, inviteBytes: Uint8Array, inviter: string): Promise<{ engine: CoordinatorEngine; replies: Uint8Array[] }> {
    const inv = decodeInvite(inviteBytes, 'coordinator')
    const hub = inv.members[0]
    const self = inv.members.find((m) => m.did === deps.did)
    if (hub === undefined || hub.did !== inviter || inv.inviter !== inviter || !bytesEqual(inv.groupId, groupId)) {
      throw new TalosError('GROUP_MALFORMED_INVITE', 'a coordinator invitation comes from the hub, the first member')
    }
    if (self === undefined || !bytesEqual(self.identityKey, deps.identity.public.signingKey)) throw new TalosError('GROUP_MALFORMED_INVITE', 'the invitation does not name us with our key')
    if (!ed25519.verify(hub.identityKey, inviteTbs(inv), inv.signature)) throw new TalosError('GROUP_MALFORMED_INVITE', "the hub's signature does not verify")
    checkIdentities(deps, inv.members)
    const bundle = await deps.claimBundle(hub.did)
    if (bundle.identity === undefined || !bytesEqual(bundle.identity.signingKey, hub.identityKey)) {
      throw new TalosError('GROUP_INVALID_KEY_PACKAGE', "the hub's bundle names another identity key than the invitation")
    }
    const sessions = new PairwiseSessions(deps.identity, deps.preKeys)
    sessions.connect(hub.did, bundle)
    const e = new CoordinatorEngine(deps, new Roster(groupId, inv.epoch, [...inv.members]), sessions, 0n, new Set(), new Map(), true)
    const join = sessions.encrypt(hub.did, encodeSubmit({ version: COORDINATOR_VERSION, groupId, payload: new Uint8Array(0), join: true }))
    return { engine: e, replies: [encodeProto(CoPayload, CoPayload.create({ body: { case: 'submit', value: join } }))] }
  }

  static restore(deps: SenderKeysDeps, state: EngineState): CoordinatorEngine {
    let s: CoState
    try {
      s = decodeProto(CoState, state.mls, { maxBytes: MAX_STATE_BYTES })
    } catch (e) {
      throw new TalosError('GROUP_STATE_CORRUPT', `coordinator state: ${(e as Error).message}`)
    }
    const sessions = PairwiseSessions.restore(deps.identity, deps.preKeys, s.sessions.map((x) => [x.peer, x.record] as [string, Uint8Array]))
    return new CoordinatorEngine(deps, new Roster(s.groupId, s.epoch, s.members), sessions, s.seq, new Set(s.connected), new Map(s.queued.map((q) => [q.member, q.deliveries])), s.active)
  }

  private get hub(): string {
    return this.roster.entries[0]!.did
  }

  soleCommitter(): string {
    return this.hub
  }

  private get isHub(): boolean {
    return this.hub === this.deps.did
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

  /** A member can send once its session with the hub exists (its join message went out). */
  readyToSend(): boolean {
    return this.isHub || this.sessions.has(this.hub)
  }

  private relay(entries: Entry[]): Uint8Array[] {
    return entries.length === 0 ? [] : [encodeProto(CoPayload, CoPayload.create({ body: { case: 'relay', value: { entries } } }))]
  }

  /** Hub: one delivery of `payload` from `sender` to every other member (queued for those not connected yet). */
  private fanOut(sender: string, payload: Uint8Array): Entry[] {
    this.seq++
    const plaintext = encodeDelivery({ version: COORDINATOR_VERSION, groupId: this.groupId, sender, seq: this.seq, payload })
    const out: Entry[] = []
    for (const m of this.members()) {
      if (m === sender || m === this.deps.did) continue
      if (this.connected.has(m)) {
        out.push({ recipient: m, sessionMessage: this.sessions.encrypt(m, plaintext) })
      } else {
        const total = [...this.queued.values()].reduce((n, q) => n + q.length, 0)
        if (total >= MAX_QUEUED_DELIVERIES) continue // the baseline's non-atomic delivery: this member misses it
        const q = this.queued.get(m) ?? []
        q.push(plaintext)
        this.queued.set(m, q)
      }
    }
    return out
  }

  async encrypt(payload: Uint8Array): Promise<Uint8Array> {
    if (payload.length > MAX_COORDINATOR_PAYLOAD) throw new TalosError('GROUP_MESSAGE_TOO_LARGE', 'payload too large for the coordinator')
    if (this.isHub) {
      const entries = this.fanOut(this.deps.did, payload)
      return encodeProto(CoPayload, CoPayload.create({ body: { case: 'relay', value: { entries } } }))
    }
    const submit = this.sessions.encrypt(this.hub, encodeSubmit({ version: COORDINATOR_VERSION, groupId: this.groupId, payload, join: false }))
    return encodeProto(CoPayload, CoPayload.create({ body: { case: 'submit', value: submit } }))
  }

  async receive(kind: 'message' | 'commit', payload: Uint8Array, envelopeSender: string): Promise<Received> {
    if (kind === 'commit') {
      const c = decodeCommit(payload, 'coordinator')
      this.checkCommit(c, envelopeSender)
      return this.applyCommit(c)
    }
    let p: CoPayload
    try {
      p = decodeProto(CoPayload, payload, { maxBytes: MAX_PAYLOAD_BYTES })
    } catch (e) {
      throw malformed(`undecodable coordinator payload: ${(e as Error).message}`)
    }
    if (!this.isMember(envelopeSender)) throw new TalosError('GROUP_SENDER_MISMATCH', `${envelopeSender} is not a member`)
    const body = p.body
    if (body === undefined) throw malformed('empty coordinator payload')
    const none: Received = { kind: 'application', sender: envelopeSender, epoch: this.epoch, payloads: [], replies: [] }
    if (body.case === 'leave') return this.roster.checkLeave(body.value, envelopeSender)
    if (body.case === 'submit') {
      if (!this.isHub) return none // for the hub only
      const submit = decodeSubmit(this.sessions.decrypt(envelopeSender, body.value))
      if (!bytesEqual(submit.groupId, this.groupId)) throw new TalosError('COORDINATOR_WRONG_GROUP', 'submission for another group')
      if (submit.join) {
        if (submit.payload.length !== 0) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'a join message carries no payload')
        this.connected.add(envelopeSender)
        const q = this.queued.get(envelopeSender) ?? []
        this.queued.delete(envelopeSender)
        return { ...none, replies: this.relay(q.map((d) => ({ recipient: envelopeSender, sessionMessage: this.sessions.encrypt(envelopeSender, d) }))) }
      }
      if (!this.connected.has(envelopeSender)) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'a submission before the join message')
      return { kind: 'application', sender: envelopeSender, epoch: this.epoch, payloads: [submit.payload], replies: this.relay(this.fanOut(envelopeSender, submit.payload)) }
    }
    // A relay: only the hub sends them; take our delivery, if any.
    if (envelopeSender !== this.hub) throw new TalosError('GROUP_SENDER_MISMATCH', 'a relay from someone else than the hub')
    const mine = body.value.entries.filter((x) => x.recipient === this.deps.did)
    if (mine.length === 0) return none
    if (mine.length > 1) throw malformed('two deliveries for us in one relay')
    const d = decodeDelivery(this.sessions.decrypt(this.hub, mine[0]!.sessionMessage))
    if (!bytesEqual(d.groupId, this.groupId)) throw new TalosError('COORDINATOR_WRONG_GROUP', 'delivery for another group')
    if (d.seq <= this.seq) throw new TalosError('COORDINATOR_REPLAY', `sequence ${d.seq} is not after ${this.seq}`)
    this.seq = d.seq
    return { kind: 'application', sender: d.sender, epoch: this.epoch, payloads: [d.payload], replies: [] }
  }

  /** Only the hub commits, and it cannot be removed (if it leaves, the group ends). */
  private checkCommit(c: SkCommit, envelopeSender: string): void {
    const committer = (): void => {
      if (c.committer !== envelopeSender || c.committer !== this.hub) throw new TalosError('GROUP_SENDER_MISMATCH', 'only the hub commits in a coordinator group')
    }
    this.roster.checkCommit(c, committer, (d) => d === this.hub, 'the hub')
    this.roster.verifyCommit(c, this.publicKeyOf(this.hub)!)
    checkIdentities(this.deps, c.added)
  }

  private applyCommit(c: SkCommit): Received & { kind: 'commit' } {
    const removed = new Set(c.removed)
    this.roster.advance(c, this.deps.did)
    const base = { kind: 'commit' as const, committer: c.committer, epoch: this.epoch, added: c.added.map((m) => m.did), removed: [...c.removed], replies: [] }
    if (removed.has(this.deps.did)) {
      this.isActive = false
      return { ...base, removedUs: true }
    }
    for (const r of removed) {
      this.sessions.remove(r)
      this.connected.delete(r)
      this.queued.delete(r)
    }
    return { ...base, removedUs: false }
  }

  async prepareCommit(change: { add: AddTicket[]; remove: string[] }): Promise<PreparedCommit> {
    if (!this.isHub) throw new TalosError('GROUP_NOT_COORDINATOR', `only the hub (${this.hub}) changes a coordinator group's membership`)
    const { commit, welcome } = this.roster.signCommit(this.deps, change)
    const adopt: SkAdopt = { commit, bundles: [] }
    return { epoch: this.epoch, commit, merged: encodeProto(SkAdopt, adopt), welcome }
  }

  async adoptCommit(merged: Uint8Array): Promise<Received & { kind: 'commit' }> {
    return this.applyCommit(readAdopt(merged, this.epoch).commit)
  }

  proposeLeave(): Uint8Array {
    return encodeProto(CoPayload, CoPayload.create({ body: { case: 'leave', value: this.roster.signLeave(this.deps) } }))
  }

  serialize(): EngineState {
    const queued: CoQueued[] = [...this.queued].map(([member, deliveries]) => ({ member, deliveries }))
    const s: CoState = {
      groupId: this.groupId,
      epoch: this.epoch,
      members: this.roster.entries,
      sessions: [...this.sessions.exportRecords()].map(([peer, record]) => ({ peer, record })),
      seq: this.seq,
      connected: [...this.connected],
      queued,
      active: this.isActive,
    }
    return { mls: encodeProto(CoState, s), hybrid: new Uint8Array(0) }
  }

  destroy(): void {
    this.sessions.destroy()
  }
}
