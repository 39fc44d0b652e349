/**
 * The client side of a subscription over the loopback socket. The server
 * pushes entries only against credits this side granted (a window of
 * WINDOW entries, topped up as entries are consumed), so a slow reader
 * bounds the memory both processes spend on it.
 *
 * Pushed entries are checked: they must continue the sequence exactly and
 * stay within the credits granted, or the connection is failed as malformed.
 */
import type { TalosError } from '../../errors.js'
import { SubscriptionBase } from '../subscription.js'
import type { LogEntry } from '../types.js'
import { malformed } from './wire.js'

export const WINDOW = 256

export interface SubscriptionLink {
  pull(subId: number, credits: number): Promise<void>
  ack(subId: number, seq: number): Promise<void>
  unsubscribe(subId: number): Promise<void>
  forget(subId: number): void
  /** Fails the whole connection (a malformed push). */
  fail(error: TalosError): void
}

export class ClientSubscription extends SubscriptionBase {
  private readonly buffer: LogEntry[] = []
  private lastReceived: number
  private credits = 0
  private consumed = 0
  private ended = false
  private error: TalosError | undefined
  private wake: (() => void) | undefined
  /** Acks are sent one request at a time; acks made meanwhile are merged (they are cumulative). */
  private ackWanted = 0
  private ackSent = 0
  private acking: Promise<void> | undefined

  constructor(
    private readonly link: SubscriptionLink,
    readonly subId: number,
    after: number,
    private readonly expectKind: (kind: LogEntry['kind']) => boolean,
  ) {
    super(after)
    this.lastReceived = after
  }

  /** Grants the initial window; called once the server confirmed the subscription. */
  async start(): Promise<void> {
    this.credits = WINDOW
    await this.link.pull(this.subId, WINDOW)
  }

  /** An entry pushed by the server. */
  receive(entry: LogEntry): void {
    if (this.closed || this.ended) return
    if (this.credits <= 0) return this.link.fail(malformed('push beyond granted credits'))
    if (entry.seq !== this.lastReceived + 1 || !this.expectKind(entry.kind)) {
      return this.link.fail(malformed(`push of seq ${entry.seq} (${entry.kind}) after ${this.lastReceived}`))
    }
    this.credits--
    this.lastReceived = entry.seq
    this.buffer.push(entry)
    this.notify()
  }

  /** The server ended the subscription, or the connection failed. */
  end(error?: TalosError): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    this.link.forget(this.subId)
    this.notify()
  }

  protected async pull(): Promise<LogEntry | undefined> {
    for (;;) {
      const entry = this.buffer.shift()
      if (entry !== undefined) {
        this.topUp()
        return entry
      }
      if (this.error !== undefined) throw this.error
      if (this.closed || this.ended) return undefined
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  private topUp(): void {
    if (this.ended || this.closed) return
    if (++this.consumed < WINDOW / 2) return
    const n = this.consumed
    this.consumed = 0
    this.credits += n
    // A failed pull means the connection failed, which ends this subscription anyway.
    this.link.pull(this.subId, n).catch(() => undefined)
  }

  /**
   * Does not wait for the server: like a JetStream ack, an ack is sent, not
   * confirmed (a lost one only causes a redelivery, which readers skip), so
   * a reader acking every entry is not held to one round trip per entry.
   */
  protected async sendAck(seq: number): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (seq <= this.ackWanted) return
    this.ackWanted = seq
    this.acking ??= this.flushAcks()
  }

  private async flushAcks(): Promise<void> {
    try {
      while (this.ackSent < this.ackWanted && this.error === undefined) {
        const seq = this.ackWanted
        await this.link.ack(this.subId, seq)
        this.ackSent = seq
      }
    } catch {
      // The connection failed; next() reports it.
    } finally {
      this.acking = undefined
    }
  }

  protected async onClose(): Promise<void> {
    this.notify()
    if (this.ended) return
    await this.acking // the last acks go out before the subscription does
    this.ended = true
    this.link.forget(this.subId)
    await this.link.unsubscribe(this.subId).catch(() => undefined)
  }

  private notify(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }
}
