/**
 * Group: one member's handle on one group, whatever the protocol.
 *
 * Every entry of the group's log goes through one path, one entry at a time
 * (a FIFO mutex also taken by send / addMember / removeMember / leave):
 *
 *   1. decode the Envelope (bounded); check group id, protocol, sender DID
 *   2. stage it in the protocol engine; accept only if the authenticated
 *      sender is the envelope's sender (otherwise: rejected, nothing changes)
 *   3. persist { seq, record } (engine state + inbox + outbox + ...) with CAS
 *   4. effects: hand messages to messages(), send owed invitations, append
 *      audit events
 *   5. acknowledge the entry
 *
 * A crash before 3 loses nothing (the entry comes again); a crash between 3
 * and 5 applies nothing twice (the redelivered seq is <= last_seq and is
 * skipped). Decrypted messages sit in the persisted inbox until the
 * application takes them, so a restart neither loses nor repeats them; each
 * carries its (seq, index), and `messages({ after })` lets an application that
 * records its own progress resume exactly there.
 *
 * A hostile entry (undecodable, wrong group, forged sender, bad MLS) is
 * reported as a 'rejected' event with its TalosError; the log moves on and
 * the state is unchanged.
 *
 * Commits: prepared on a copy of the state, written ahead (record.pending),
 * published with { kind: 'commit', epoch }. The live state adopts the copy
 * only when the commit comes back from the log in order; on
 * DELIVERY_CONFLICT the loser processes the winner and retries on the new
 * epoch (bounded). Invitations (Welcome) leave only after the commit landed.
 *
 * Idle members (src/group/idle.ts): every authenticated entry stamps its
 * sender's activity; with GroupDeps.evictIdleAfterMs set, the designated
 * member removes those idle too long through the same commit path.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError, isTalosError } from '../errors.js'
import { DeliveryConflictError, isDid, type Delivery, type DeliveryService, type Subscription } from '../delivery/index.js'
import type { StateStore } from '../store/types.js'
import { Envelope, Protocol } from '../proto/envelope.js'
import {
  CapabilityRecord,
  DirectMessage,
  GroupPayload,
  GroupRecord,
  type InboxMessage,
  type MemberActivity,
  type OutboxItem,
  type PendingCommit,
} from '../proto/group.js'
import { type GroupCapabilityApproval, type GroupCapabilityGrant } from '../proto/capability.js'
import {
  answerGroupCapability,
  createGroupCapabilityGrant,
  grantHash,
  verifyGroupCapability,
  type CapabilitySigner,
  type CapabilityStatus,
  type GroupView,
} from '../capabilities/index.js'
import { RemovalReason, epochChangedEvent, groupMessageEvent, memberAddedEvent, memberRemovedEvent, type AuditLog } from '../audit/index.js'
import { Activity, evictees, idleCheckGap, type IdleMember } from './idle.js'
import { Checkpoint } from './checkpoint.js'
import type { AddTicket, GroupProtocol, ProtocolEngine, Received } from './protocols/types.js'
import { signInvite } from './invite.js'
import { Mutex, Progress, bytesEqual, checkListener, toHex } from './util.js'

export interface GroupMessage {
  /** The group's id (hex). */
  readonly groupId: string
  /** DID of the member that sent it, as the protocol authenticated it. */
  readonly sender: string
  readonly plaintext: Uint8Array
  readonly epoch: bigint
  readonly protocol: GroupProtocol
  /** Position of the log entry it came from; with `index`, unique and stable across restarts. */
  readonly seq: number
  readonly index: number
}

export interface CapabilityRequest {
  readonly groupId: string
  readonly grantId: string
  readonly scope: string
  readonly grantor: string
  readonly requireConsensus: boolean
  readonly epoch: bigint
}

/** 'approve' / 'refuse' answers through the group; undefined leaves it to group.answerCapability(). */
export type CapabilityPolicy = (request: CapabilityRequest) => 'approve' | 'refuse' | undefined | Promise<'approve' | 'refuse' | undefined>

export interface RejectedEntry {
  readonly seq: number
  readonly error: TalosError
}

/** What a Group needs from its Client. @internal */
export interface GroupDeps {
  readonly did: string
  readonly delivery: DeliveryService
  readonly store: StateStore
  readonly audit: AuditLog
  readonly signer: CapabilitySigner
  readonly capabilityPolicy: CapabilityPolicy | undefined
  /** The clock (ms since the Unix epoch) member activity is stamped with. */
  now(): number
  /** Evict members idle this long (src/group/idle.ts); undefined: never. */
  readonly evictIdleAfterMs: number | undefined
  /** What `protocol` needs from the directory to add `did` (GROUP_UNKNOWN_DID if nothing). */
  claim(did: string, protocol: GroupProtocol): Promise<AddTicket>
  /** Runs after every persisted entry (the client saves prekeys a session consumed). */
  afterPersist(): Promise<void>
  forget(group: Group): void
}

export const PROTOCOL_WIRE: Record<GroupProtocol, Protocol> = {
  'sender-keys': Protocol.SENDER_KEYS,
  mls: Protocol.MLS,
  hybrid: Protocol.HYBRID,
  coordinator: Protocol.COORDINATOR,
}

/** Largest plaintext group.send() takes. */
export const MAX_PLAINTEXT_BYTES = 256 * 1024
/** Decrypted messages held for the application; the log is not read further while full (backpressure). */
export const MAX_INBOX = 4096
/** Commit attempts before GROUP_COMMIT_CONFLICT. */
export const MAX_COMMIT_ATTEMPTS = 16
/** Capability grants a member tracks per group. */
export const MAX_CAPABILITIES = 64
/** How long a send waits for the protocol to be able to reach every member (sender-key sessions). */
export const SEND_READY_TIMEOUT_MS = 60_000
/** Largest group name in bytes. */
export const MAX_NAME_BYTES = 256
/** Largest persisted record accepted on load. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024

export type GroupStatus = 'active' | 'left' | 'removed' | 'closed' | 'failed'

type Listener<T> = (v: T) => void

export class GroupCapability {
  /** @internal */
  constructor(
    private readonly group: Group,
    readonly id: string,
    readonly grant: GroupCapabilityGrant,
  ) {}

  /** The approvals and refusals collected so far. */
  get approvals(): GroupCapabilityApproval[] {
    return this.group.approvalsOf(this.id)
  }

  /** verifyGroupCapability against the group as this member sees it now (pure). */
  status(): CapabilityStatus {
    return this.group.capabilityStatus(this.id)
  }

  /** Resolves with the first status that is not 'pending'. */
  settled(): Promise<CapabilityStatus> {
    return this.group.settled(this.id)
  }
}

export class Group {
  readonly id: string
  private readonly mutex = new Mutex()
  private readonly progress = new Progress()
  private status: GroupStatus = 'active'
  private sub: Subscription | undefined
  private loop: Promise<void> | undefined
  /** Seq of the last commit of ours the loop adopted. */
  private lastAdopted = 0
  private inboxWaiters: (() => void)[] = []
  private spaceWaiters: (() => void)[] = []
  private capabilityWaiters: { id: string; resolve: (s: CapabilityStatus) => void }[] = []
  private readonly activity: Activity
  /** The idle eviction in progress, if any, and when entries last triggered a check. */
  private idleCheck: Promise<void> | undefined
  private lastIdleCheck = -Infinity
  private readonly listeners = {
    rejected: [] as Listener<RejectedEntry>[],
    error: [] as Listener<TalosError>[],
    'capability-request': [] as Listener<CapabilityRequest>[],
  }

  /** @internal use Client.createGroup / restore. */
  constructor(
    private readonly deps: GroupDeps,
    private engine: ProtocolEngine,
    private readonly checkpoint: Checkpoint,
    readonly name: string,
    private membershipEpoch: bigint,
    private pending: PendingCommit | undefined,
    private inbox: InboxMessage[],
    private outbox: OutboxItem[],
    private readonly capabilities: Map<string, CapabilityRecord>,
    private consumedSeq: number,
    private readonly leaving: Set<string>,
    private nextCommitEpoch: bigint,
    private pendingPublish: Uint8Array[] = [],
    activity: readonly MemberActivity[] = [],
  ) {
    this.activity = Activity.restore(activity, engine.members(), deps.now())
    this.id = toHex(engine.groupId)
    this.progress.advance(checkpoint.lastSeq)
  }

  get protocol(): GroupProtocol {
    return this.engine.protocol
  }

  get epoch(): bigint {
    return this.engine.epoch
  }

  /** The group id as bytes. */
  get idBytes(): Uint8Array {
    return this.engine.groupId
  }

  get state(): GroupStatus {
    return this.status
  }

  /** Seq of the last log entry this member applied. */
  get processedSeq(): number {
    return this.progress.current
  }

  /** The epoch authenticator (RFC 9420 §8.7): members in the same epoch with equal values have not forked. */
  epochAuthenticator(): Uint8Array {
    return this.engine.epochAuthenticator()
  }

  /** Current member DIDs, ourselves included. */
  members(): string[] {
    return this.engine.members()
  }

  on(event: 'rejected', listener: Listener<RejectedEntry>): void
  on(event: 'error', listener: Listener<TalosError>): void
  on(event: 'capability-request', listener: Listener<CapabilityRequest>): void
  on(event: keyof Group['listeners'], listener: Listener<never>): void {
    checkListener(this.listeners, event, listener)
    ;(this.listeners[event] as Listener<never>[]).push(listener)
  }

  private emit<K extends keyof Group['listeners']>(event: K, value: Parameters<Group['listeners'][K][number]>[0]): void {
    for (const l of this.listeners[event] as Listener<typeof value>[]) {
      try {
        l(value)
      } catch {
        // A listener's failure is the application's; it must not break the log.
      }
    }
  }

  // --- persistence ---------------------------------------------------------

  /** @internal */
  static encodeRecordOf(g: {
    protocol: GroupProtocol
    engine: ProtocolEngine
    name: string
    membershipEpoch: bigint
    pending: PendingCommit | undefined
    inbox: InboxMessage[]
    outbox: OutboxItem[]
    capabilities: Map<string, CapabilityRecord>
    consumedSeq: number
    leaving: Set<string>
    nextCommitEpoch: bigint
    pendingPublish?: Uint8Array[]
    activity?: MemberActivity[]
  }): Uint8Array {
    const s = g.engine.serialize()
    return encodeProto(
      GroupRecord,
      GroupRecord.create({
        protocol: PROTOCOL_WIRE[g.protocol],
        groupId: g.engine.groupId,
        name: g.name,
        mlsState: s.mls,
        hybridState: s.hybrid,
        membershipEpoch: g.membershipEpoch,
        pending: g.pending,
        inbox: g.inbox,
        outbox: g.outbox,
        capabilities: [...g.capabilities.values()],
        consumedSeq: BigInt(g.consumedSeq),
        leaving: [...g.leaving],
        nextCommitEpoch: g.nextCommitEpoch,
        pendingPublish: g.pendingPublish ?? [],
        activity: g.activity ?? [],
      }),
    )
  }

  private record(): Uint8Array {
    return Group.encodeRecordOf({
      protocol: this.protocol,
      engine: this.engine,
      name: this.name,
      membershipEpoch: this.membershipEpoch,
      pending: this.pending,
      inbox: this.inbox,
      outbox: this.outbox,
      capabilities: this.capabilities,
      consumedSeq: this.consumedSeq,
      leaving: this.leaving,
      nextCommitEpoch: this.nextCommitEpoch,
      pendingPublish: this.pendingPublish,
      activity: this.activity.serialize(),
    })
  }

  static decodeRecord(bytes: Uint8Array): GroupRecord {
    try {
      return decodeProto(GroupRecord, bytes, { maxBytes: MAX_RECORD_BYTES })
    } catch (e) {
      throw new TalosError('GROUP_STATE_CORRUPT', `stored group record does not decode: ${(e as Error).message}`)
    }
  }

  // --- the log -------------------------------------------------------------

  /** @internal starts reading the log after the checkpoint. */
  start(): void {
    this.loop ??= this.run()
  }

  private async run(): Promise<void> {
    try {
      // Payloads owed from before a restart go out first.
      if (this.pendingPublish.length > 0) await this.mutex.run(() => this.flushPublish())
      while (this.status === 'active') {
        this.sub = await this.deps.delivery.subscribe(this.engine.groupId, this.deps.did, { after: this.checkpoint.lastSeq })
        if (this.status !== 'active') break
        for await (const d of this.sub) {
          await this.waitForInboxSpace()
          if (this.status !== 'active') break
          await this.mutex.run(() => this.handle(d))
          if (this.status !== 'active') break
        }
        if (this.status === 'active') {
          // The subscription ended without close(): resubscribe after what we applied.
          await this.sub.close()
          continue
        }
      }
    } catch (e) {
      if (this.status === 'active') {
        const err = isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', `group loop failed: ${(e as Error)?.message}`, { cause: e })
        this.status = 'failed'
        this.emit('error', err)
        this.progress.fail(err)
        this.wakeAll()
      }
    } finally {
      await this.sub?.close().catch(() => undefined)
    }
  }

  private async waitForInboxSpace(): Promise<void> {
    while (this.inbox.length >= MAX_INBOX && this.status === 'active') {
      await new Promise<void>((r) => this.spaceWaiters.push(r))
    }
  }

  private async handle(d: Delivery): Promise<void> {
    if (d.seq <= this.checkpoint.lastSeq) {
      await d.ack()
      return
    }
    const effects: (() => Promise<void>)[] = []
    let rejected: TalosError | undefined
    const now = this.deps.now()
    // Every commit entry took one delivery-service epoch, whether or not it turns out valid.
    if (d.kind === 'commit') this.nextCommitEpoch++
    try {
      await this.apply(d, effects, now)
    } catch (e) {
      if (!isTalosError(e) || e.code.startsWith('STORE_')) throw e
      rejected = e
    }
    await this.checkpoint.advance(d.seq, this.record())
    await this.deps.afterPersist()
    // Whatever is owed to the log (from this entry, or left by a failed publish) goes out first.
    if (this.pendingPublish.length > 0) effects.unshift(() => this.flushPublish())
    for (const f of effects) {
      try {
        await f()
      } catch (e) {
        this.emit('error', isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', String(e)))
      }
    }
    if (rejected !== undefined) this.emit('rejected', { seq: d.seq, error: rejected })
    await d.ack()
    this.progress.advance(d.seq)
    this.checkCapabilityWaiters()
    if (this.inbox.length > 0) this.wakeReaders()
    // Not awaited: an eviction commits, which takes the mutex this entry holds.
    if (now - this.lastIdleCheck >= idleCheckGap(this.deps.evictIdleAfterMs ?? 0)) void this.checkIdle()
  }

  private decodeEnvelope(bytes: Uint8Array): Envelope {
    let env: Envelope
    try {
      env = decodeProto(Envelope, bytes, { maxBytes: this.deps.delivery.maxEnvelopeBytes })
    } catch (e) {
      throw new TalosError('GROUP_MALFORMED_ENVELOPE', `undecodable envelope: ${(e as Error).message}`)
    }
    if (!bytesEqual(env.groupId, this.engine.groupId)) throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'envelope for another group')
    if (env.protocol !== PROTOCOL_WIRE[this.protocol]) throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'envelope of another protocol')
    if (!isDid(env.senderDid)) throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'envelope sender is not a DID')
    if (env.payload.length === 0) throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'empty payload')
    return env
  }

  private async apply(d: Delivery, effects: (() => Promise<void>)[], now: number): Promise<void> {
    if (d.kind !== 'commit' && d.kind !== 'message') throw new TalosError('GROUP_MALFORMED_ENVELOPE', `unexpected ${d.kind} entry`)
    const env = this.decodeEnvelope(d.bytes)
    if (d.kind === 'commit') {
      const p = this.pending
      let r: Received & { kind: 'commit' }
      let idleEviction = false
      if (p !== undefined && env.senderDid === this.deps.did && bytesEqual(p.commit, env.payload)) {
        r = await this.engine.adoptCommit(p.mergedState, this.deps.did)
        idleEviction = p.idleEviction
        this.outbox.push(...p.invites.map((i) => withCommitSeq(i, d.seq, this.nextCommitEpoch, this.deps.signer)))
        this.pending = undefined
        this.lastAdopted = d.seq
      } else {
        const got = await this.engine.receive('commit', env.payload, env.senderDid)
        if (got.kind !== 'commit') throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'a commit entry without a commit')
        r = got
        // Whatever we prepared was for the epoch this commit just closed.
        this.pending = undefined
      }
      this.onCommit(r, effects, now, idleEviction)
      return
    }
    // Our own application messages come back through the log; we never decrypt them.
    if (env.senderDid === this.deps.did) return
    const r = await this.engine.receive('message', env.payload, env.senderDid)
    // An entry that yields no payload may rest on the envelope's unauthenticated claim alone (a
    // sender-keys distribution for others, a submission only the hub can open): it is no activity.
    if (r.kind === 'proposal' || (r.kind === 'application' && r.payloads.length > 0)) this.activity.touch(r.sender, now)
    if (r.kind === 'proposal') {
      if (r.leaving !== undefined) {
        this.leaving.add(r.leaving)
        effects.push(async () => void this.maintain())
      }
      return
    }
    if (r.kind !== 'application') throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'a message entry without a message')
    // One entry can release several messages (a hybrid rekey drains buffered ones): a bad one
    // is reported on its own and does not take the others down with it.
    let index = 0
    for (const payload of r.payloads) {
      try {
        this.onPayload(r.sender, r.epoch, payload, d.seq, index++, effects)
      } catch (e) {
        if (!isTalosError(e)) throw e
        effects.push(async () => this.emit('rejected', { seq: d.seq, error: e }))
      }
    }
    this.owePublish(r.replies, effects)
  }

  private onCommit(r: Received & { kind: 'commit' }, effects: (() => Promise<void>)[], now: number, idleEviction: boolean): void {
    const base = { groupId: this.engine.groupId, sender: r.committer, epoch: r.epoch }
    if (r.added.length > 0 || r.removed.length > 0) this.membershipEpoch = r.epoch
    for (const m of r.removed) this.leaving.delete(m)
    if (!r.removedUs) {
      this.activity.reconcile(this.engine.members(), now)
      this.activity.touch(r.committer, now)
    }
    const audit = this.deps.audit
    // Only the evictor knows a removal was an idle eviction: the commit itself does not say why.
    const reason = idleEviction ? RemovalReason.IDLE : RemovalReason.REMOVAL_REASON_UNSPECIFIED
    effects.push(async () => {
      for (const m of r.added) await audit.append(memberAddedEvent({ ...base, member: m }))
      for (const m of r.removed) await audit.append(memberRemovedEvent({ ...base, member: m, reason }))
      await audit.append(epochChangedEvent(base))
    })
    if (this.outbox.length > 0) effects.push(() => this.flushOutbox())
    this.owePublish(r.replies, effects)
    if (r.removedUs) {
      this.status = 'removed'
      effects.push(() => this.shutdown(true))
    } else if (this.leaving.size > 0) {
      effects.push(async () => void this.maintain())
    }
  }

  private onPayload(sender: string, epoch: bigint, bytes: Uint8Array, seq: number, index: number, effects: (() => Promise<void>)[]): void {
    let p: GroupPayload
    try {
      p = decodeProto(GroupPayload, bytes, { maxBytes: MAX_PLAINTEXT_BYTES + 1024 })
    } catch (e) {
      throw new TalosError('GROUP_MALFORMED_PAYLOAD', `undecodable group payload: ${(e as Error).message}`)
    }
    const body = p.body
    if (body === undefined) throw new TalosError('GROUP_MALFORMED_PAYLOAD', 'empty group payload')
    if (body.case === 'data') {
      this.inbox.push({ seq: BigInt(seq), sender, plaintext: body.value, epoch, index })
      return
    }
    if (body.case === 'grant') {
      const grant = body.value
      if (grant.grantor !== sender) throw new TalosError('GROUP_MALFORMED_PAYLOAD', 'a grant sent by someone else than its grantor')
      const id = toHex(grantHash(grant))
      if (this.capabilities.has(id)) return
      const status = verifyGroupCapability(grant, [], this.capabilityView())
      if (status.status === 'invalid' || status.status === 'void') {
        throw new TalosError('GROUP_INVALID_CAPABILITY', `grant is ${status.status}: ${status.reason}`)
      }
      this.addCapability({ grant, approvals: [] })
      const request: CapabilityRequest = {
        groupId: this.id,
        grantId: id,
        scope: grant.scope,
        grantor: grant.grantor,
        requireConsensus: grant.requireConsensus,
        epoch: grant.epoch,
      }
      effects.push(async () => {
        this.emit('capability-request', request)
        void this.autoAnswer(request)
      })
      return
    }
    const a = body.value
    if (a.approver !== sender) throw new TalosError('GROUP_MALFORMED_PAYLOAD', 'an approval sent by someone else than its approver')
    const rec = this.capabilities.get(toHex(a.grantHash))
    if (rec === undefined) throw new TalosError('GROUP_INVALID_CAPABILITY', 'an answer to a grant this member does not know')
    if (rec.approvals.some((x) => x.approver === a.approver)) return
    if (rec.approvals.length >= rec.grant!.members.length) return
    rec.approvals.push(a)
  }

  private addCapability(rec: CapabilityRecord): void {
    if (this.capabilities.size >= MAX_CAPABILITIES) {
      // Forget the oldest settled grant first; refuse a new one if none is settled.
      for (const [id, r] of this.capabilities) {
        if (verifyGroupCapability(r.grant!, r.approvals, this.capabilityView()).status !== 'pending') {
          this.capabilities.delete(id)
          break
        }
      }
      if (this.capabilities.size >= MAX_CAPABILITIES) throw new TalosError('GROUP_TOO_MANY_CAPABILITIES', 'too many pending grants')
    }
    this.capabilities.set(toHex(grantHash(rec.grant!)), rec)
  }

  private async flushOutbox(): Promise<void> {
    while (this.outbox.length > 0) {
      const item = this.outbox[0]!
      await this.deps.delivery.sendDirect(item.recipient, item.envelope)
      this.outbox.shift()
      await this.checkpoint.save(this.record())
    }
  }

  /**
   * Protocol payloads for the group (hybrid rekey requests and resends,
   * sender-key distributions, hub relays) are persisted with the state that
   * produced them and published after it (at least once: a duplicate after a
   * crash is refused by every receiver as a replay, a loss would not be).
   */
  private owePublish(replies: readonly Uint8Array[], _effects: (() => Promise<void>)[]): void {
    this.pendingPublish.push(...replies)
  }

  /** Publishes what is owed, oldest first, saving after each. Runs under the mutex. */
  private async flushPublish(): Promise<void> {
    while (this.pendingPublish.length > 0 && this.status === 'active') {
      await this.deps.delivery.publish(this.engine.groupId, this.envelope(this.pendingPublish[0]!), { kind: 'message' })
      this.pendingPublish.shift()
      await this.checkpoint.save(this.record())
    }
  }

  /** @internal a joiner's first protocol messages (already in its first record): publish them now. */
  async publishReplies(): Promise<void> {
    await this.mutex.run(() => this.flushPublish())
  }

  private envelope(payload: Uint8Array): Uint8Array {
    return encodeProto(
      Envelope,
      Envelope.create({ protocol: PROTOCOL_WIRE[this.protocol], groupId: this.engine.groupId, senderDid: this.deps.did, payload }),
    )
  }

  // --- sending -------------------------------------------------------------

  private ensureActive(): void {
    switch (this.status) {
      case 'active':
        return
      case 'left':
        throw new TalosError('GROUP_LEFT', `${this.deps.did} left group ${this.id}`)
      case 'removed':
        throw new TalosError('GROUP_NOT_A_MEMBER', `${this.deps.did} was removed from group ${this.id}`)
      case 'failed':
        throw new TalosError('GROUP_FAILED', `group ${this.id} stopped after an error; restart the client`)
      default:
        throw new TalosError('GROUP_CLOSED', `group ${this.id} is closed`)
    }
  }

  /** Encrypts `plaintext` for every current member and publishes it. Resolves once the log holds it. */
  async send(plaintext: Uint8Array): Promise<{ seq: number; epoch: bigint }> {
    this.ensureActive()
    if (!(plaintext instanceof Uint8Array)) throw new TalosError('GROUP_INVALID_ARGUMENT', 'send takes a Uint8Array')
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new TalosError('GROUP_MESSAGE_TOO_LARGE', `message of ${plaintext.length} bytes exceeds ${MAX_PLAINTEXT_BYTES}`)
    }
    return this.sendPayload(encodeProto(GroupPayload, GroupPayload.create({ body: { case: 'data', value: plaintext } })), plaintext)
  }

  /** Waits until the engine can send to every member (sender keys handed over), bounded by SEND_READY_TIMEOUT_MS. */
  private async readyToSend(): Promise<void> {
    const ready = (): boolean => this.status !== 'active' || (this.engine.readyToSend?.() ?? true)
    const deadline = Date.now() + SEND_READY_TIMEOUT_MS
    while (!ready()) {
      if (Date.now() > deadline) {
        throw new TalosError('GROUP_KEYS_PENDING', 'some members have not opened a session to us yet: our key cannot reach them')
      }
      await Promise.race([this.progress.wait(this.progress.current + 1).catch(() => undefined), new Promise((r) => setTimeout(r, 250))])
    }
  }

  private async sendPayload(payload: Uint8Array, audited: Uint8Array): Promise<{ seq: number; epoch: bigint }> {
    await this.readyToSend()
    return this.mutex.run(async () => {
      this.ensureActive()
      if (!(this.engine.readyToSend?.() ?? true)) {
        // A commit between the wait and the mutex created a new debt: wait again (outside the mutex).
        return undefined
      }
      const epoch = this.engine.epoch
      const recipients = this.engine.members().filter((m) => m !== this.deps.did)
      const body = await this.engine.encrypt(payload)
      this.activity.touch(this.deps.did, this.deps.now())
      // The ratchets moved: durable before the ciphertext leaves (no key or nonce reuse after a crash).
      await this.checkpoint.save(this.record())
      const { seq } = await this.deps.delivery.publish(this.engine.groupId, this.envelope(body), { kind: 'message' })
      await this.deps.audit.append(groupMessageEvent({ groupId: this.engine.groupId, sender: this.deps.did, epoch, recipients, content: audited }))
      return { seq, epoch }
    }).then((r) => r ?? this.sendPayload(payload, audited))
  }

  // --- membership ----------------------------------------------------------

  /** Adds `did` (its KeyPackage is claimed from the directory); re-keys the group. */
  async addMember(did: string): Promise<void> {
    this.ensureActive()
    checkDid(did)
    if (this.engine.isMember(did)) throw new TalosError('GROUP_ALREADY_MEMBER', `${did} is already a member`)
    const ticket = await this.deps.claim(did, this.protocol)
    await this.change({ add: ticket })
  }

  /** Removes `did`; re-keys the group. Removing ourselves is leave(). */
  async removeMember(did: string): Promise<void> {
    this.ensureActive()
    checkDid(did)
    if (did === this.deps.did) return this.leave()
    if (!this.engine.isMember(did)) throw new TalosError('GROUP_NOT_A_MEMBER', `${did} is not a member of group ${this.id}`)
    await this.change({ remove: [did] })
  }

  /** A commit with an UpdatePath and nothing else: fresh keys for our leaf (post-compromise security). */
  async update(): Promise<void> {
    this.ensureActive()
    await this.change({})
  }

  /** @internal the creator's first commit. */
  async addInitial(members: AddTicket[]): Promise<void> {
    if (members.length === 0) return
    await this.change({ initial: members })
  }

  /** `idle`: remove whoever is idle now, if we are the designated evictor (re-decided on every attempt). */
  private async change(c: { add?: AddTicket; remove?: readonly string[]; initial?: AddTicket[]; idle?: true }): Promise<void> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const step = await this.mutex.run(async (): Promise<{ wait: number; ours: boolean } | 'done'> => {
        this.ensureActive()
        if (this.pending !== undefined) {
          // A commit of ours from before (a failed publish, or a restart): it may be in the log.
          const head = await this.deps.delivery.head(this.engine.groupId)
          if (head.lastCommit !== undefined && BigInt(head.lastCommit.epoch) >= this.pending.epoch && head.lastCommit.seq > this.checkpoint.lastSeq) {
            return { wait: head.lastCommit.seq, ours: false }
          }
          this.pending = undefined
        }
        const adds = c.initial ?? (c.add !== undefined ? [c.add] : [])
        const addNow = adds.filter((a) => !this.engine.isMember(a.did))
        const removeNow = c.idle ? this.evictees() : (c.remove ?? []).filter((d) => this.engine.isMember(d))
        const isNoop = (c.add !== undefined || c.initial !== undefined || c.remove !== undefined || c.idle) && addNow.length === 0 && removeNow.length === 0
        if (isNoop) return 'done'
        const prepared = await this.engine.prepareCommit({ add: addNow, remove: removeNow })
        const invites = prepared.welcome === undefined ? [] : addNow.map((a) => this.invite(a.did, prepared.welcome!))
        const dsEpoch = this.nextCommitEpoch
        this.pending = { epoch: dsEpoch, commit: prepared.commit, mergedState: prepared.merged, invites, idleEviction: c.idle === true }
        await this.checkpoint.save(this.record())
        try {
          const { seq } = await this.deps.delivery.publish(this.engine.groupId, this.envelope(prepared.commit), {
            kind: 'commit',
            epoch: Number(dsEpoch),
          })
          return { wait: seq, ours: true }
        } catch (e) {
          if (e instanceof DeliveryConflictError) {
            this.pending = undefined
            await this.checkpoint.save(this.record())
            return { wait: e.latestCommit.seq, ours: false }
          }
          // Unknown outcome (it may have landed): keep the write-ahead commit; the log decides.
          throw e
        }
      })
      if (step === 'done') return
      await this.progress.wait(step.wait)
      // Our commit was adopted in log order (if the entry at that seq was not it after all, retry).
      if (step.ours && this.lastAdopted === step.wait) return
    }
    throw new TalosError('GROUP_COMMIT_CONFLICT', `gave up after ${MAX_COMMIT_ATTEMPTS} commit attempts lost to concurrent commits`)
  }

  private invite(recipient: string, welcome: Uint8Array): OutboxItem {
    const msg = DirectMessage.create({
      body: {
        case: 'invite',
        value: {
          protocol: PROTOCOL_WIRE[this.protocol],
          groupId: this.engine.groupId,
          name: this.name,
          inviter: this.deps.did,
          commitSeq: 0n,
          welcome,
          nextCommitEpoch: 0n,
          // Signed once the commit landed and commitSeq is known (withCommitSeq).
          signature: new Uint8Array(0),
        },
      },
    })
    return { recipient, envelope: encodeProto(DirectMessage, msg) }
  }

  /** Members that asked to leave are removed by the first remaining member (in leaf order). */
  private async maintain(): Promise<void> {
    if (this.status !== 'active' || this.leaving.size === 0) return
    const stay = this.engine.members().filter((m) => !this.leaving.has(m))
    if (stay[0] !== this.deps.did) return
    for (const did of [...this.leaving]) {
      if (!this.engine.isMember(did)) {
        this.leaving.delete(did)
        continue
      }
      try {
        await this.change({ remove: [did] })
      } catch (e) {
        if (this.status === 'active') this.emit('error', isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', String(e)))
        return
      }
    }
  }

  /**
   * Leaves the group: a proposal to remove ourselves goes to the group (the
   * first remaining member commits it), the messages iterator ends, our
   * cursor and state are deleted. Later calls give GROUP_LEFT.
   */
  async leave(): Promise<void> {
    await this.mutex.run(async () => {
      this.ensureActive()
      const epoch = this.engine.epoch
      if (this.engine.members().length > 1) {
        const proposal = this.engine.proposeLeave()
        await this.checkpoint.save(this.record())
        await this.deps.delivery.publish(this.engine.groupId, this.envelope(proposal), { kind: 'message' })
      }
      this.status = 'left'
      await this.deps.audit.append(memberRemovedEvent({ groupId: this.engine.groupId, sender: this.deps.did, epoch, member: this.deps.did }))
    })
    await this.shutdown(true)
  }

  /** Stops reading; with `forget`, deletes our cursor and state (left or removed). */
  private async shutdown(forget: boolean): Promise<void> {
    await this.sub?.close().catch(() => undefined)
    this.wakeAll()
    if (forget) {
      await this.deps.delivery.dropCursor(this.engine.groupId, this.deps.did).catch(() => undefined)
      await this.checkpoint.remove().catch(() => undefined)
      this.engine.destroy()
      this.deps.forget(this)
    }
  }

  /** @internal stops the loop, keeps the state (Client.close). */
  async close(): Promise<void> {
    if (this.status === 'active') this.status = 'closed'
    await this.sub?.close().catch(() => undefined)
    this.wakeAll()
    await this.loop?.catch(() => undefined)
  }

  /** Resolves once this member applied the log up to `seq` (e.g. a receipt's seq). */
  waitFor(seq: number): Promise<void> {
    // NaN or a string would never be reached: the promise would never settle.
    if (!Number.isSafeInteger(seq)) return Promise.reject(new TalosError('GROUP_INVALID_ARGUMENT', 'waitFor takes an integer seq'))
    return this.progress.wait(seq)
  }

  /** Applies everything the log holds now, then (with evictIdleAfterMs) evicts idle members if it falls to us. */
  async sync(): Promise<void> {
    const head = await this.deps.delivery.head(this.engine.groupId)
    await this.progress.wait(head.lastSeq)
    await this.checkIdle()
  }

  // --- idle members (src/group/idle.ts) ---------------------------------------

  /**
   * Members idle for at least `afterMs` (default: evictIdleAfterMs, or 0: every
   * member), most idle first, ourselves included: how long since each last sent,
   * committed or answered anything, or joined.
   */
  idleMembers(afterMs?: number): IdleMember[] {
    if (afterMs !== undefined && (!Number.isSafeInteger(afterMs) || afterMs < 0)) {
      throw new TalosError('GROUP_INVALID_ARGUMENT', 'idleMembers takes a non-negative integer number of ms')
    }
    return this.activity.idle(this.deps.now(), afterMs ?? this.deps.evictIdleAfterMs ?? 0)
  }

  /** Whom we evict now: nobody unless eviction is on and we are the designated evictor; never members already leaving. */
  private evictees(): string[] {
    const after = this.deps.evictIdleAfterMs
    if (after === undefined) return []
    const idle = new Set(this.activity.idle(this.deps.now(), after).map((m) => m.did))
    return evictees(this.engine.members(), idle, this.deps.did, this.engine.soleCommitter?.()).filter((d) => !this.leaving.has(d))
  }

  /** One idle eviction at a time; a failure is reported as an 'error' event, like maintain()'s. */
  private checkIdle(): Promise<void> {
    if (this.idleCheck !== undefined) return this.idleCheck
    if (this.status !== 'active' || this.deps.evictIdleAfterMs === undefined) return Promise.resolve()
    this.lastIdleCheck = this.deps.now()
    if (this.evictees().length === 0) return Promise.resolve()
    this.idleCheck = this.change({ idle: true })
      .catch((e) => {
        if (this.status === 'active') this.emit('error', isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', String(e)))
      })
      .finally(() => {
        this.idleCheck = undefined
      })
    return this.idleCheck
  }

  // --- reading -------------------------------------------------------------

  private wakeReaders(): void {
    const w = this.inboxWaiters
    this.inboxWaiters = []
    for (const r of w) r()
  }

  private wakeAll(): void {
    this.wakeReaders()
    const s = this.spaceWaiters
    this.spaceWaiters = []
    for (const r of s) r()
    for (const w of this.capabilityWaiters) w.resolve(this.capabilityStatus(w.id))
    this.capabilityWaiters = []
  }

  /**
   * Decrypted messages in log order. A message counts as consumed once the
   * next one is asked for; unconsumed messages survive a restart. `after`
   * (a seq the application recorded) skips everything up to it. Ends when
   * the member leaves, is removed, or the client closes.
   */
  messages(options: { after?: number } = {}): AsyncIterableIterator<GroupMessage> {
    if (typeof options !== 'object' || options === null || (options.after !== undefined && !Number.isSafeInteger(options.after))) {
      throw new TalosError('GROUP_INVALID_ARGUMENT', 'messages takes { after?: integer seq }')
    }
    const after = options.after ?? -1
    let last: InboxMessage | undefined
    let done = false
    const consume = (m: InboxMessage): void => {
      const i = this.inbox.indexOf(m)
      if (i >= 0) this.inbox.splice(i, 1)
      if (Number(m.seq) > this.consumedSeq) this.consumedSeq = Number(m.seq)
      const s = this.spaceWaiters
      this.spaceWaiters = []
      for (const r of s) r()
    }
    const it: AsyncIterableIterator<GroupMessage> = {
      next: async (): Promise<IteratorResult<GroupMessage>> => {
        if (last !== undefined) consume(last)
        last = undefined
        for (;;) {
          if (done) return { done: true, value: undefined }
          while (this.inbox.length > 0 && Number(this.inbox[0]!.seq) <= after) consume(this.inbox[0]!)
          const m = this.inbox[0]
          if (m !== undefined) {
            last = m
            return {
              done: false,
              value: {
                groupId: this.id,
                sender: m.sender,
                plaintext: m.plaintext,
                epoch: m.epoch,
                protocol: this.protocol,
                seq: Number(m.seq),
                index: m.index,
              },
            }
          }
          if (this.status !== 'active') return { done: true, value: undefined }
          await new Promise<void>((r) => this.inboxWaiters.push(r))
        }
      },
      // Leaving a for-await loop (break) means the last message was handled: it is consumed.
      return: async (): Promise<IteratorResult<GroupMessage>> => {
        if (last !== undefined) consume(last)
        last = undefined
        done = true
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]() {
        return it
      },
    }
    return it
  }

  // --- capabilities --------------------------------------------------------

  /** The group as verifyGroupCapability sees it now. */
  capabilityView(): GroupView {
    return {
      groupId: this.engine.groupId,
      epoch: this.engine.epoch,
      members: this.engine.members(),
      membershipEpoch: this.membershipEpoch,
      publicKeyOf: (did) => this.engine.publicKeyOf(did),
    }
  }

  /** Grants the group `scope`; with consensus it is valid once every member approved (see GroupCapability). */
  async grantCapability(scope: string, requireConsensus: boolean): Promise<GroupCapability> {
    this.ensureActive()
    if (typeof scope !== 'string') throw new TalosError('GROUP_INVALID_ARGUMENT', 'scope must be a string')
    if (typeof requireConsensus !== 'boolean') throw new TalosError('GROUP_INVALID_ARGUMENT', 'requireConsensus must be a boolean')
    const grant = await this.mutex.run(async () => {
      this.ensureActive()
      const g = createGroupCapabilityGrant(
        { groupId: this.engine.groupId, scope, requireConsensus, epoch: this.engine.epoch, members: this.engine.members() },
        this.deps.signer,
      )
      this.addCapability({ grant: g, approvals: [] })
      return g
    })
    const payload = encodeProto(GroupPayload, GroupPayload.create({ body: { case: 'grant', value: grant } }))
    await this.sendPayload(payload, payload)
    return new GroupCapability(this, toHex(grantHash(grant)), grant)
  }

  /** Signs and sends this member's answer to a grant it received. */
  async answerCapability(grantId: string, decision: 'approve' | 'refuse'): Promise<void> {
    this.ensureActive()
    if (decision !== 'approve' && decision !== 'refuse') throw new TalosError('GROUP_INVALID_ARGUMENT', "decision is 'approve' or 'refuse'")
    const approval = await this.mutex.run(async () => {
      const rec = this.capabilities.get(grantId)
      if (rec === undefined) throw new TalosError('GROUP_UNKNOWN_CAPABILITY', `no grant ${String(grantId).slice(0, 64)}`)
      if (rec.approvals.some((a) => a.approver === this.deps.did)) return undefined
      const a = answerGroupCapability(rec.grant!, this.deps.signer, decision)
      rec.approvals.push(a)
      return a
    })
    if (approval === undefined) return
    const payload = encodeProto(GroupPayload, GroupPayload.create({ body: { case: 'approval', value: approval } }))
    await this.sendPayload(payload, payload)
    this.checkCapabilityWaiters()
  }

  private async autoAnswer(request: CapabilityRequest): Promise<void> {
    const policy = this.deps.capabilityPolicy
    if (policy === undefined) return
    try {
      const decision = await policy(request)
      if (decision !== undefined) await this.answerCapability(request.grantId, decision)
    } catch (e) {
      if (this.status === 'active') this.emit('error', isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', String(e)))
    }
  }

  /** @internal */
  approvalsOf(id: string): GroupCapabilityApproval[] {
    return [...(this.capabilities.get(id)?.approvals ?? [])]
  }

  /** @internal */
  capabilityStatus(id: string): CapabilityStatus {
    const rec = this.capabilities.get(id)
    if (rec === undefined) return { status: 'invalid', reason: 'unknown grant' }
    if (this.status !== 'active') return { status: 'void', reason: `this member's view of the group ended (${this.status})` }
    return verifyGroupCapability(rec.grant!, rec.approvals, this.capabilityView())
  }

  /** Grants this member knows, with their current status. */
  capabilityList(): { id: string; grant: GroupCapabilityGrant; status: CapabilityStatus }[] {
    return [...this.capabilities.entries()].map(([id, r]) => ({ id, grant: r.grant!, status: this.capabilityStatus(id) }))
  }

  /** @internal */
  settled(id: string): Promise<CapabilityStatus> {
    const s = this.capabilityStatus(id)
    if (s.status !== 'pending') return Promise.resolve(s)
    return new Promise((resolve) => this.capabilityWaiters.push({ id, resolve }))
  }

  private checkCapabilityWaiters(): void {
    if (this.capabilityWaiters.length === 0) return
    const keep: typeof this.capabilityWaiters = []
    for (const w of this.capabilityWaiters) {
      const s = this.capabilityStatus(w.id)
      if (s.status === 'pending') keep.push(w)
      else w.resolve(s)
    }
    this.capabilityWaiters = keep
  }
}

/** The invitation once its commit landed at `seq`, signed now that every field is final. */
function withCommitSeq(item: OutboxItem, seq: number, nextCommitEpoch: bigint, signer: CapabilitySigner): OutboxItem {
  const m = decodeProto(DirectMessage, item.envelope)
  if (m.body?.case !== 'invite') return item
  const invite = signInvite({ ...m.body.value, commitSeq: BigInt(seq), nextCommitEpoch }, signer)
  return { recipient: item.recipient, envelope: encodeProto(DirectMessage, DirectMessage.create({ body: { case: 'invite', value: invite } })) }
}

export function checkDid(did: unknown): asserts did is string {
  if (!isDid(did)) {
    throw new TalosError('GROUP_INVALID_DID', `${typeof did === 'string' ? JSON.stringify(did.slice(0, 64)) : typeof did} is not a DID`)
  }
}
