/**
 * The key directory on JetStream. One-time items are messages on a
 * per-(DID, kind) subject; claiming reads the newest one and deletes it by
 * seq. The delete is the atomic step: when two claimers read the same item,
 * the server lets exactly one delete succeed, and the other tries the next
 * item. Last-resort items live in a stream that keeps one message per
 * subject, so publishing a new one replaces the old.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type MsgRequest, type StreamConfig } from '@nats-io/jetstream'
import { TalosError } from '../../errors.js'
import {
  checkDirectoryItem,
  checkItemKind,
  checkMemberDid,
  checkOneTimeBatch,
  MAX_DIRECTORY_ITEM_BYTES,
  MAX_ONE_TIME_ITEMS,
} from '../limits.js'
import type { ClaimedItem, Directory } from '../types.js'
import { apiCode, isAlreadyDeleted, isNotFound, nats } from './errors.js'
import { LAST_RESORT_STREAM, lastResortSubject, ONE_TIME_STREAM, oneTimeSubject } from './names.js'

/** Claim attempts before giving up under extreme contention. */
const MAX_CLAIM_ATTEMPTS = 64

export class NatsDirectory implements Directory {
  private ready: Promise<void> | undefined

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= nats('create directory streams', async () => {
      const base: Partial<StreamConfig> = {
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New,
        storage: StorageType.File,
        num_replicas: 1,
        max_msg_size: MAX_DIRECTORY_ITEM_BYTES + 1024,
      }
      for (const cfg of [
        { ...base, name: ONE_TIME_STREAM, subjects: ['talos.k1.*.*'] },
        { ...base, name: LAST_RESORT_STREAM, subjects: ['talos.k2.*.*'], max_msgs_per_subject: 1, discard: DiscardPolicy.Old },
      ]) {
        try {
          await this.jsm.streams.add(cfg)
        } catch (e) {
          if (apiCode(e) !== 10058) throw e
        }
      }
    }).catch((e: unknown) => {
      this.ready = undefined
      throw e
    })
    return this.ready
  }

  private check(did: string, kind: string): void {
    checkMemberDid(did)
    checkItemKind(kind)
  }

  async setLastResort(did: string, kind: string, item: Uint8Array): Promise<void> {
    this.check(did, kind)
    checkDirectoryItem(item)
    await this.ensure()
    await nats('publish', () => this.js.publish(lastResortSubject(did, kind), item, { expect: { streamName: LAST_RESORT_STREAM } }))
  }

  async addOneTime(did: string, kind: string, items: readonly Uint8Array[]): Promise<void> {
    this.check(did, kind)
    checkOneTimeBatch(items)
    await this.ensure()
    // Check-then-add can overshoot the bound under concurrent adds by one batch; it bounds, it does not meter.
    if ((await this.countOneTime(did, kind)) + items.length > MAX_ONE_TIME_ITEMS) {
      throw new TalosError('DELIVERY_DIRECTORY_FULL', `at most ${MAX_ONE_TIME_ITEMS} one-time items per DID and kind`)
    }
    const subject = oneTimeSubject(did, kind)
    await nats('publish', () =>
      Promise.all(items.map((item) => this.js.publish(subject, item, { expect: { streamName: ONE_TIME_STREAM } }))),
    )
  }

  async claim(did: string, kind: string): Promise<ClaimedItem | undefined> {
    this.check(did, kind)
    await this.ensure()
    const subject = oneTimeSubject(did, kind)
    // FIFO by seq. (last_by_subj would be LIFO, but nats-server 2.9 reports "no message" for a subject
    // whose newest message was deleted, so it cannot be trusted after a claim.)
    let from = 1
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const query = { seq: from, next_by_subj: subject } as unknown as MsgRequest
      const sm = await nats('read one-time item', () =>
        this.jsm.streams.getMessage(ONE_TIME_STREAM, query).catch((e: unknown) => {
          if (isNotFound(e)) return null
          throw e
        }),
      )
      if (sm === null) return this.lastResort(did, kind)
      const won = await nats('delete one-time item', () =>
        this.jsm.streams.deleteMessage(ONE_TIME_STREAM, sm.seq, false).catch((e: unknown) => {
          if (isAlreadyDeleted(e)) return false // another claimer deleted it first
          throw e
        }),
      )
      if (won) return { item: new Uint8Array(sm.data), oneTime: true }
      from = sm.seq + 1
    }
    throw new TalosError('DELIVERY_BUSY', `could not claim an item for ${did} after ${MAX_CLAIM_ATTEMPTS} attempts`)
  }

  private async lastResort(did: string, kind: string): Promise<ClaimedItem | undefined> {
    const sm = await nats('read last-resort item', () =>
      this.jsm.streams.getMessage(LAST_RESORT_STREAM, { last_by_subj: lastResortSubject(did, kind) }),
    )
    return sm === null ? undefined : { item: new Uint8Array(sm.data), oneTime: false }
  }

  async countOneTime(did: string, kind: string): Promise<number> {
    this.check(did, kind)
    await this.ensure()
    const subject = oneTimeSubject(did, kind)
    const info = await nats('stream info', () => this.jsm.streams.info(ONE_TIME_STREAM, { subjects_filter: subject }))
    return info.state.subjects?.[subject] ?? 0
  }
}
