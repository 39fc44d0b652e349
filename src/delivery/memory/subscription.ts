/**
 * A subscription to a MemoryLog. It reads the log directly by seq, so it is
 * in order and gap-free by construction; acks move the reader's durable
 * cursor in the log (cumulatively, never backwards).
 */
import { SubscriptionBase } from '../subscription.js'
import type { LogEntry } from '../types.js'
import type { MemoryLog } from './log.js'

export class MemorySubscription extends SubscriptionBase {
  private cancelWait: (() => void) | undefined

  constructor(
    private readonly log: MemoryLog,
    private readonly reader: string,
    after: number,
    private readonly onClosed: (s: MemorySubscription) => void,
  ) {
    super(after)
  }

  protected async pull(): Promise<LogEntry | undefined> {
    for (;;) {
      if (this.closed || this.log.deleted) return undefined
      if (this.log.lastSeq > this.delivered) return this.log.get(this.delivered + 1)
      await new Promise<void>((resolve) => {
        const unregister = this.log.onAppend(resolve)
        this.cancelWait = () => {
          unregister()
          resolve()
        }
      })
      this.cancelWait = undefined
    }
  }

  protected async sendAck(seq: number): Promise<void> {
    const current = this.log.cursors.get(this.reader) ?? 0
    if (seq > current) this.log.cursors.set(this.reader, seq)
  }

  protected async onClose(): Promise<void> {
    this.cancelWait?.()
    this.onClosed(this)
  }
}
