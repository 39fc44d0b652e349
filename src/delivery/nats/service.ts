/**
 * DeliveryService on NATS JetStream (server: Debian's nats-server, JetStream
 * enabled, on loopback). One stream per group, one per mailbox (names.ts).
 *
 * Commit exclusivity. Commits go to the group's commit subject with two
 * guards:
 *   1. the publisher reads the newest commit on that subject (its seq S and
 *      its epoch header) and refuses unless the new commit's epoch is that
 *      epoch + 1 (or there is no commit yet);
 *   2. it publishes with Nats-Expected-Last-Subject-Sequence = S (0 if
 *      none), so the server appends only if S is still the newest commit.
 * By induction the commit subject holds strictly consecutive epochs: a commit
 * for epoch E lands only directly after the commit for E-1, so two commits
 * for the same epoch can never both land. The loser's publish fails with
 * "wrong last sequence"; it re-reads the newest commit and raises
 * DeliveryConflictError naming it.
 *
 * Streams use discard=new with a byte cap: a full log refuses new entries
 * (DELIVERY_LOG_FULL) rather than dropping old ones, because dropping the
 * newest commit would erase guard 1 and dropping entries would leave
 * readers with holes.
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream'
import type { ConsumerInfo, JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream'
import { connect, headers, nanos, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node'
import { randomBytes } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import {
  checkEnvelope,
  checkFetchLimit,
  checkGroupId,
  checkMemberDid,
  checkPublishOptions,
  checkSeq,
  DEFAULT_MAX_ENVELOPE_BYTES,
  DEFAULT_MAX_LOG_BYTES,
  MAX_FETCH_BYTES,
  toHex,
} from '../limits.js'
import {
  DeliveryConflictError,
  type CommitRef,
  type DeliveryService,
  type EntryKind,
  type LogEntry,
  type LogHead,
  type PublishOptions,
  type PublishReceipt,
  type SubscribeOptions,
  type Subscription,
} from '../types.js'
import { NatsDirectory } from './directory.js'
import { apiCode, isNotFound, JetStreamApiCodes, nats, toTalos } from './errors.js'
import { EPOCH_HEADER, groupNames, MAILBOX_CONSUMER, mailboxNames, memberConsumer, type LogNames } from './names.js'
import { NatsSubscription } from './subscription.js'

export interface NatsDeliveryOptions {
  /** Default DEFAULT_MAX_ENVELOPE_BYTES, lowered if the server's max_payload is smaller. */
  readonly maxEnvelopeBytes?: number
  /** Byte cap of each stream (default DEFAULT_MAX_LOG_BYTES). */
  readonly maxLogBytes?: number
  /** Unacked entries a member's consumer may have outstanding (default 1024). */
  readonly maxAckPending?: number
}

/** Room left in max_payload for NATS and JetStream headers. */
const HEADER_ROOM = 4096
/** Entries read by seq in parallel when fetching. */
const FETCH_PARALLEL = 32

export class NatsDelivery implements DeliveryService {
  readonly maxEnvelopeBytes: number
  readonly directory: NatsDirectory
  private readonly js: JetStreamClient
  private readonly maxLogBytes: number
  private readonly maxAckPending: number
  private readonly ensured = new Set<string>()
  private readonly subscriptions = new Set<Subscription>()
  private closed = false

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly ownsConnection: boolean,
    options: NatsDeliveryOptions,
  ) {
    this.js = jetstream(nc)
    const serverMax = nc.info?.max_payload ?? DEFAULT_MAX_ENVELOPE_BYTES + HEADER_ROOM
    this.maxEnvelopeBytes = Math.min(options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES, serverMax - HEADER_ROOM)
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES
    this.maxAckPending = options.maxAckPending ?? 1024
    this.directory = new NatsDirectory(this.js, jsm)
  }

  /** Connects to `servers` (e.g. nats://127.0.0.1:4222); close() closes the connection. */
  static async connect(connection: NodeConnectionOptions, options: NatsDeliveryOptions = {}): Promise<NatsDelivery> {
    const nc = await nats('connect', () => connect(connection))
    try {
      return new NatsDelivery(nc, await nats('JetStream', () => jetstreamManager(nc)), true, options)
    } catch (e) {
      await nc.close()
      throw e
    }
  }

  /** Uses a connection the caller owns (and closes). */
  static async over(nc: NatsConnection, options: NatsDeliveryOptions = {}): Promise<NatsDelivery> {
    return new NatsDelivery(nc, await nats('JetStream', () => jetstreamManager(nc)), false, options)
  }

  private open(): void {
    if (this.closed) throw new TalosError('DELIVERY_CLOSED', 'delivery service is closed')
  }

  private async ensureStream(names: LogNames): Promise<void> {
    if (this.ensured.has(names.stream)) return
    await nats('create stream', async () => {
      try {
        await this.jsm.streams.add({
          name: names.stream,
          subjects: names.subjects,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.New,
          max_bytes: this.maxLogBytes,
          max_msg_size: this.maxEnvelopeBytes + HEADER_ROOM,
          storage: StorageType.File,
          num_replicas: 1,
        })
      } catch (e) {
        // Created by a client with other limits: use it as it is.
        if (apiCode(e) !== 10058) throw e
      }
    })
    this.ensured.add(names.stream)
  }

  private kindOf(names: LogNames): (subject: string) => EntryKind {
    return (subject) => {
      if (subject === names.commitSubject) return 'commit'
      if (subject === names.messageSubject) return names.commitSubject === undefined ? 'direct' : 'message'
      throw new TalosError('DELIVERY_MALFORMED_ENTRY', `entry on unexpected subject ${subject}`)
    }
  }

  /**
   * Publishes once, retrying once if the outcome is unknown (no stream
   * answered because another client deleted it, or the ack was lost). The
   * retry carries the same Nats-Msg-Id, so if the first attempt did land
   * JetStream's duplicate detection returns its ack instead of appending twice
   * (a lost ack on a commit would otherwise come back as a conflict with
   * ourselves).
   */
  private async append(names: LogNames, subject: string, envelope: Uint8Array, expectLast?: number, epoch?: number): Promise<number> {
    await this.ensureStream(names)
    const msgID = toHex(randomBytes(16))
    const send = () => {
      const h = epoch === undefined ? undefined : headers()
      h?.set(EPOCH_HEADER, String(epoch))
      return this.js.publish(subject, envelope, {
        msgID,
        ...(h && { headers: h }),
        expect: { streamName: names.stream, ...(expectLast !== undefined && { lastSubjectSequence: expectLast }) },
      })
    }
    try {
      return (await send()).seq
    } catch (e) {
      if (apiCode(e) !== undefined) throw this.publishError(e)
      this.ensured.delete(names.stream)
      await this.ensureStream(names)
      return nats('publish', send).then((ack) => ack.seq)
    }
  }

  private publishError(e: unknown): unknown {
    const msg = e instanceof Error ? e.message : ''
    if (/maximum bytes exceeded|resource limits exceeded/i.test(msg)) {
      return new TalosError('DELIVERY_LOG_FULL', `log is full: ${msg}`, { cause: e })
    }
    return e
  }

  private async lastCommit(names: LogNames): Promise<CommitRef | undefined> {
    const sm = await nats('read last commit', async () => {
      try {
        return await this.jsm.streams.getMessage(names.stream, { last_by_subj: names.commitSubject! })
      } catch (e) {
        if (isNotFound(e)) return null
        throw e
      }
    })
    if (sm === null) return undefined
    const raw = sm.header?.get(EPOCH_HEADER) ?? ''
    if (!/^(0|[1-9]\d{0,15})$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new TalosError('DELIVERY_MALFORMED_ENTRY', `commit at seq ${sm.seq} has no valid epoch header`)
    }
    return { seq: sm.seq, epoch: Number(raw) }
  }

  async publish(groupId: Uint8Array, envelope: Uint8Array, options: PublishOptions): Promise<PublishReceipt> {
    this.open()
    checkPublishOptions(options)
    checkGroupId(groupId)
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    const names = groupNames(groupId)
    if (options.kind === 'message') {
      return { seq: await nats('publish', () => this.append(names, names.messageSubject, envelope)) }
    }
    await this.ensureStream(names)
    const epoch = options.epoch
    const last = await this.lastCommit(names)
    if (last !== undefined && epoch <= last.epoch) throw DeliveryConflictError.forEpoch(epoch, last)
    if (last !== undefined && epoch !== last.epoch + 1) {
      throw new TalosError('DELIVERY_EPOCH_AHEAD', `commit for epoch ${epoch}, but the latest commit is for epoch ${last.epoch}`)
    }
    try {
      return { seq: await this.append(names, names.commitSubject!, envelope, last?.seq ?? 0, epoch) }
    } catch (e) {
      const c = apiCode(e)
      if (c !== JetStreamApiCodes.StreamWrongLastSequence && c !== JetStreamApiCodes.StreamWrongLastSequenceUnknown) {
        throw toTalos('publish commit', e)
      }
      // Lost the race: someone's commit landed after we looked.
      const winner = await this.lastCommit(names)
      if (winner === undefined) throw new TalosError('DELIVERY_BACKEND', 'commit refused but no commit found')
      throw DeliveryConflictError.forEpoch(epoch, winner)
    }
  }

  private async streamLastSeq(names: LogNames): Promise<number> {
    return nats('stream info', async () => {
      try {
        return (await this.jsm.streams.info(names.stream)).state.last_seq
      } catch (e) {
        if (isNotFound(e)) return 0
        throw e
      }
    })
  }

  private getBySeq(names: LogNames, seq: number): Promise<StoredMsg | null> {
    return this.jsm.streams.getMessage(names.stream, { seq }).catch((e: unknown) => {
      if (isNotFound(e)) return null
      throw e
    })
  }

  async fetch(groupId: Uint8Array, fromSeq: number, limit?: number): Promise<LogEntry[]> {
    this.open()
    checkSeq(fromSeq, 'fromSeq')
    const max = checkFetchLimit(limit)
    checkGroupId(groupId)
    const names = groupNames(groupId)
    const first = Math.max(1, fromSeq)
    const last = Math.min(await this.streamLastSeq(names), first + max - 1)
    const kindOf = this.kindOf(names)
    const out: LogEntry[] = []
    let bytes = 0
    for (let start = first; start <= last; start += FETCH_PARALLEL) {
      const seqs = Array.from({ length: Math.min(FETCH_PARALLEL, last - start + 1) }, (_, i) => start + i)
      const got = await nats('fetch', () => Promise.all(seqs.map((s) => this.getBySeq(names, s))))
      for (let i = 0; i < got.length; i++) {
        const sm = got[i]
        if (sm === null || sm === undefined) throw new TalosError('DELIVERY_GAP', `the log no longer holds seq ${seqs[i]}`)
        if (out.length > 0 && bytes + sm.data.length > MAX_FETCH_BYTES) return out
        bytes += sm.data.length
        out.push({ seq: sm.seq, kind: kindOf(sm.subject), bytes: new Uint8Array(sm.data) })
      }
    }
    return out
  }

  async head(groupId: Uint8Array): Promise<LogHead> {
    this.open()
    checkGroupId(groupId)
    const names = groupNames(groupId)
    const lastSeq = await this.streamLastSeq(names)
    return { lastSeq, lastCommit: lastSeq === 0 ? undefined : await this.lastCommit(names) }
  }

  async subscribe(groupId: Uint8Array, memberDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.open()
    checkGroupId(groupId)
    checkMemberDid(memberDid)
    return this.openSubscription(groupNames(groupId), memberConsumer(memberDid), options)
  }

  async subscribeDirect(recipientDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.open()
    checkMemberDid(recipientDid)
    return this.openSubscription(mailboxNames(recipientDid), MAILBOX_CONSUMER, options)
  }

  private async openSubscription(names: LogNames, consumer: string, options: SubscribeOptions | null): Promise<Subscription> {
    options ??= {}
    if (options.after !== undefined) checkSeq(options.after, 'after')
    await this.ensureStream(names)
    const info = await this.ensureConsumer(names.stream, consumer, (options.after ?? 0) + 1)
    const after = options.after ?? info.ack_floor.stream_seq
    const messages = await nats('consume', async () =>
      (await this.js.consumers.get(names.stream, consumer)).consume({ max_messages: 256 }),
    )
    const sub = new NatsSubscription(
      { messages, getBySeq: (seq) => this.getBySeq(names, seq), kindOf: this.kindOf(names), flush: () => this.nc.flush() },
      after,
      Math.max(after, info.delivered.stream_seq),
    )
    this.subscriptions.add(sub)
    const close = sub.close.bind(sub)
    sub.close = async () => {
      this.subscriptions.delete(sub)
      await close()
    }
    return sub
  }

  /** The member's durable consumer, created at `startSeq` if it does not exist yet. */
  private ensureConsumer(stream: string, name: string, startSeq: number): Promise<ConsumerInfo> {
    return nats('consumer', async () => {
      try {
        return await this.jsm.consumers.info(stream, name)
      } catch (e) {
        if (!isNotFound(e)) throw e
      }
      try {
        return await this.jsm.consumers.add(stream, {
          durable_name: name,
          ack_policy: AckPolicy.All,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: startSeq,
          max_ack_pending: this.maxAckPending,
          // Redelivery is a fallback only (NatsSubscription fills holes itself), so keep it lazy.
          ack_wait: nanos(30_000),
        })
      } catch (e) {
        // Created concurrently by another session of the same member.
        return await this.jsm.consumers.info(stream, name).catch(() => Promise.reject(e))
      }
    })
  }

  async dropCursor(groupId: Uint8Array, memberDid: string): Promise<void> {
    this.open()
    checkGroupId(groupId)
    checkMemberDid(memberDid)
    await nats('delete consumer', () =>
      this.jsm.consumers.delete(groupNames(groupId).stream, memberConsumer(memberDid)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e
      }),
    )
  }

  async deleteGroup(groupId: Uint8Array): Promise<void> {
    this.open()
    checkGroupId(groupId)
    const { stream } = groupNames(groupId)
    this.ensured.delete(stream)
    await nats('delete stream', () =>
      this.jsm.streams.delete(stream).catch((e: unknown) => {
        if (!isNotFound(e)) throw e
      }),
    )
  }

  async sendDirect(recipientDid: string, envelope: Uint8Array): Promise<PublishReceipt> {
    this.open()
    checkMemberDid(recipientDid)
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    const names = mailboxNames(recipientDid)
    return { seq: await nats('publish', () => this.append(names, names.messageSubject, envelope)) }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subscriptions].map((s) => s.close().catch(() => undefined)))
    if (this.ownsConnection) await this.nc.close()
  }
}
