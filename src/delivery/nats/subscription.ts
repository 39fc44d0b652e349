/**
 * A subscription on a JetStream durable pull consumer (ack policy "all":
 * acking seq N acks every earlier delivery, matching our cumulative acks).
 *
 * A durable consumer alone does not give "resume in order after a crash":
 * entries a dead session received but never acked stay pending on the
 * server until ack_wait expires, and meanwhile the consumer hands newer
 * entries to the next session first. So this class does not trust the
 * consumer's order. It yields stream seqs strictly one after another:
 *
 *   - entries up to what the consumer had already delivered when the
 *     subscription opened, and any hole the consumer skips over, are read
 *     from the stream by seq (STREAM.MSG.GET) — the "catch-up" path;
 *   - entries the consumer sends that are at or below what was already
 *     yielded (late redeliveries) are dropped, and acked only if the reader
 *     has acked that far;
 *   - a seq the stream no longer holds is DELIVERY_GAP, never skipped.
 *
 * Bytes are copied out of the NATS client's read buffers (which it reuses).
 *
 * Acks go to the newest consumer-delivered message at or below the acked
 * seq. Entries read on the catch-up path have no ack handle; the server's
 * cursor then lags until a later entry is acked, which is safe: the cursor
 * is only ever at or below what the reader acknowledged.
 */
import type { ConsumerMessages, JsMsg, StoredMsg } from '@nats-io/jetstream'
import { TalosError } from '../../errors.js'
import { SubscriptionBase } from '../subscription.js'
import type { EntryKind, LogEntry } from '../types.js'

export interface NatsSubscriptionDeps {
  readonly messages: ConsumerMessages
  /** Reads one stream entry by seq (null if the stream does not hold it). */
  readonly getBySeq: (seq: number) => Promise<StoredMsg | null>
  readonly kindOf: (subject: string) => EntryKind
  /** Round trip to the server, so acks sent before it have arrived. */
  readonly flush: () => Promise<void>
}

export class NatsSubscription extends SubscriptionBase {
  private readonly iter: AsyncIterator<JsMsg>
  /** Entries up to here come from the stream directly. */
  private catchUpTo: number
  /** A consumer message that arrived ahead of a hole, to be yielded once the hole is filled. */
  private held: JsMsg | undefined
  /** Consumer-delivered messages yielded but not yet acked, ascending. */
  private handles: JsMsg[] = []
  private acked: number

  constructor(
    private readonly deps: NatsSubscriptionDeps,
    after: number,
    catchUpTo: number,
  ) {
    super(after)
    this.iter = deps.messages[Symbol.asyncIterator]()
    this.catchUpTo = catchUpTo
    this.acked = after
  }

  protected async pull(): Promise<LogEntry | undefined> {
    for (;;) {
      if (this.closed) return undefined
      const want = this.delivered + 1
      if (want <= this.catchUpTo) return this.fromStream(want)
      if (this.held !== undefined) {
        const m = this.held
        this.held = undefined
        if (m.seq === want) return this.accept(m)
        continue
      }
      let r: IteratorResult<JsMsg>
      try {
        r = await this.iter.next()
      } catch (e) {
        throw new TalosError('DELIVERY_UNAVAILABLE', `NATS consumer: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        })
      }
      if (r.done) return undefined
      const m = r.value
      if (m.seq < want) {
        // A redelivery of something already yielded (e.g. from a crashed session).
        if (m.seq <= this.acked) {
          try {
            m.ack()
          } catch {
            // Best effort: the entry is already handled; a lost ack only means another redelivery.
          }
        }
        continue
      }
      if (m.seq > want) {
        this.catchUpTo = m.seq - 1
        this.held = m
        continue
      }
      return this.accept(m)
    }
  }

  private accept(m: JsMsg): LogEntry {
    this.handles.push(m)
    return { seq: m.seq, kind: this.deps.kindOf(m.subject), bytes: new Uint8Array(m.data) }
  }

  private async fromStream(seq: number): Promise<LogEntry> {
    let sm: StoredMsg | null
    try {
      sm = await this.deps.getBySeq(seq)
    } catch (e) {
      throw new TalosError('DELIVERY_UNAVAILABLE', `NATS get seq ${seq}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      })
    }
    if (sm === null) throw new TalosError('DELIVERY_GAP', `the log no longer holds seq ${seq}`)
    return { seq, kind: this.deps.kindOf(sm.subject), bytes: new Uint8Array(sm.data) }
  }

  protected async sendAck(seq: number): Promise<void> {
    if (seq <= this.acked) return
    this.acked = seq
    let newest: JsMsg | undefined
    while (this.handles.length > 0 && this.handles[0]!.seq <= seq) newest = this.handles.shift()
    try {
      newest?.ack()
    } catch (e) {
      throw new TalosError('DELIVERY_UNAVAILABLE', `NATS ack: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
  }

  protected async onClose(): Promise<void> {
    await this.deps.flush().catch(() => undefined)
    this.handles = []
    this.held = undefined
    // stop(), not close(): close() waits for the iterator to be drained, which nobody may be doing.
    this.deps.messages.stop()
  }
}
