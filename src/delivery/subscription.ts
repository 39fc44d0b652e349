/**
 * The async-iterator plumbing every Subscription shares: `next()` calls are
 * serialised (a second caller waits for the first, so entries can never be
 * handed out twice or out of order), `return()` closes, and each entry gets
 * an `ack()` bound to its seq. Implementations supply `pull`, `ack` and
 * `onClose`; `pull` must resolve `undefined` promptly once closed.
 */
import { TalosError } from '../errors.js'
import type { Delivery, LogEntry, Subscription } from './types.js'

export abstract class SubscriptionBase implements Subscription {
  protected closed = false
  private queue: Promise<unknown> = Promise.resolve()
  /** Highest seq handed out so far: acks beyond it are refused. */
  protected delivered: number

  constructor(after: number) {
    this.delivered = after
  }

  get position(): number {
    return this.delivered
  }

  /** Next entry in order, or undefined once the subscription is closed. */
  protected abstract pull(): Promise<LogEntry | undefined>
  protected abstract sendAck(seq: number): Promise<void>
  protected abstract onClose(): Promise<void>

  next(): Promise<IteratorResult<Delivery>> {
    const run = this.queue.then(() => this.nextInOrder())
    // The queue must survive a rejected pull, or every later next() would reject too.
    this.queue = run.catch(() => undefined)
    return run
  }

  private async nextInOrder(): Promise<IteratorResult<Delivery>> {
    if (this.closed) return { done: true, value: undefined }
    const entry = await this.pull()
    if (entry === undefined || this.closed) return { done: true, value: undefined }
    if (entry.seq !== this.delivered + 1) {
      // Implementations guarantee contiguity; this is the last line of defence.
      throw new TalosError('DELIVERY_GAP', `expected seq ${this.delivered + 1}, got ${entry.seq}`)
    }
    this.delivered = entry.seq
    const seq = entry.seq
    return {
      done: false,
      value: { seq, kind: entry.kind, bytes: entry.bytes, ack: () => this.ack(seq) },
    }
  }

  async ack(seq: number): Promise<void> {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || seq > this.delivered) {
      throw new TalosError('DELIVERY_INVALID_ACK', `cannot ack seq ${String(seq)}: delivered up to ${this.delivered}`)
    }
    if (this.closed) throw new TalosError('DELIVERY_CLOSED', 'subscription is closed')
    await this.sendAck(seq)
  }

  async return(): Promise<IteratorResult<Delivery>> {
    await this.close()
    return { done: true, value: undefined }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.onClose()
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
