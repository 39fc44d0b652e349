/**
 * The embedded DeliveryService: every log in this process's memory. It is the
 * default for agents in one process, and, through serveDelivery
 * (../socket/server.ts), for agents in other processes on the same machine.
 * Nothing survives a restart of the process that holds it.
 */
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
import type {
  DeliveryService,
  LogEntry,
  LogHead,
  PublishOptions,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
} from '../types.js'
import { MemoryDirectory } from './directory.js'
import { MemoryLog } from './log.js'
import { MemorySubscription } from './subscription.js'

export interface MemoryDeliveryOptions {
  /** Default DEFAULT_MAX_ENVELOPE_BYTES. */
  readonly maxEnvelopeBytes?: number
  /** Bytes one log may hold; default DEFAULT_MAX_LOG_BYTES. Publishing beyond is DELIVERY_LOG_FULL. */
  readonly maxLogBytes?: number
}

export class MemoryDelivery implements DeliveryService {
  readonly maxEnvelopeBytes: number
  readonly directory = new MemoryDirectory()
  private readonly maxLogBytes: number
  private readonly groups = new Map<string, MemoryLog>()
  private readonly mailboxes = new Map<string, MemoryLog>()
  private readonly subscriptions = new Set<MemorySubscription>()
  private closed = false

  constructor(options: MemoryDeliveryOptions = {}) {
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES
    this.maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES
  }

  private open(): void {
    if (this.closed) throw new TalosError('DELIVERY_CLOSED', 'delivery service is closed')
  }

  private group(groupId: Uint8Array, create: boolean): MemoryLog | undefined {
    checkGroupId(groupId)
    const key = toHex(groupId)
    let log = this.groups.get(key)
    if (log === undefined && create) {
      log = new MemoryLog(this.maxLogBytes)
      this.groups.set(key, log)
    }
    return log
  }

  private mailbox(did: string): MemoryLog {
    checkMemberDid(did)
    let log = this.mailboxes.get(did)
    if (log === undefined) {
      log = new MemoryLog(this.maxLogBytes)
      this.mailboxes.set(did, log)
    }
    return log
  }

  async publish(groupId: Uint8Array, envelope: Uint8Array, options: PublishOptions): Promise<PublishReceipt> {
    this.open()
    checkPublishOptions(options)
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    const log = this.group(groupId, true)!
    const seq = options.kind === 'commit' ? log.appendCommit(envelope, options.epoch) : log.append('message', envelope)
    return { seq }
  }

  async fetch(groupId: Uint8Array, fromSeq: number, limit?: number): Promise<LogEntry[]> {
    this.open()
    checkSeq(fromSeq, 'fromSeq')
    const max = checkFetchLimit(limit)
    const log = this.group(groupId, false)
    const out: LogEntry[] = []
    if (log === undefined) return out
    let bytes = 0
    for (let seq = Math.max(1, fromSeq); seq <= log.lastSeq && out.length < max; seq++) {
      const e = log.get(seq)!
      // Always return at least one entry, so a reader can make progress.
      if (out.length > 0 && bytes + e.bytes.length > MAX_FETCH_BYTES) break
      bytes += e.bytes.length
      out.push(e)
    }
    return out
  }

  async head(groupId: Uint8Array): Promise<LogHead> {
    this.open()
    const log = this.group(groupId, false)
    return { lastSeq: log?.lastSeq ?? 0, lastCommit: log?.lastCommit }
  }

  async subscribe(groupId: Uint8Array, memberDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.open()
    checkMemberDid(memberDid)
    return this.track(this.group(groupId, true)!, memberDid, options)
  }

  async dropCursor(groupId: Uint8Array, memberDid: string): Promise<void> {
    this.open()
    checkMemberDid(memberDid)
    this.group(groupId, false)?.cursors.delete(memberDid)
  }

  async deleteGroup(groupId: Uint8Array): Promise<void> {
    this.open()
    const log = this.group(groupId, false)
    if (log === undefined) return
    this.groups.delete(toHex(groupId))
    log.markDeleted()
  }

  async sendDirect(recipientDid: string, envelope: Uint8Array): Promise<PublishReceipt> {
    this.open()
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    return { seq: this.mailbox(recipientDid).append('direct', envelope) }
  }

  async subscribeDirect(recipientDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.open()
    return this.track(this.mailbox(recipientDid), recipientDid, options)
  }

  private track(log: MemoryLog, reader: string, options: SubscribeOptions | null): Subscription {
    options ??= {}
    if (options.after !== undefined) checkSeq(options.after, 'after')
    const after = options.after ?? log.cursors.get(reader) ?? 0
    const sub = new MemorySubscription(log, reader, after, (s) => this.subscriptions.delete(s))
    this.subscriptions.add(sub)
    return sub
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subscriptions].map((s) => s.close()))
  }
}
