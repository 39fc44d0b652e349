/**
 * One in-memory log (a group's, or a DID's mailbox): entries numbered from 1
 * without gaps, the newest commit (for per-epoch exclusivity), durable reader
 * cursors, and wake-ups for readers waiting at the tail.
 *
 * Everything here is synchronous, so each append and its exclusivity check
 * happen in one turn of the event loop: two racing commits are serialised by
 * JS itself, no lock needed.
 */
import { TalosError } from '../../errors.js'
import { DeliveryConflictError, type CommitRef, type EntryKind, type LogEntry } from '../types.js'

export class MemoryLog {
  private readonly entries: LogEntry[] = []
  private bytes = 0
  private commit: CommitRef | undefined
  private readonly waiters = new Set<() => void>()
  /** Reader (DID) -> highest acked seq. */
  readonly cursors = new Map<string, number>()
  deleted = false

  constructor(private readonly maxBytes: number) {}

  get lastSeq(): number {
    return this.entries.length
  }

  get lastCommit(): CommitRef | undefined {
    return this.commit
  }

  append(kind: EntryKind, bytes: Uint8Array): number {
    if (this.bytes + bytes.length > this.maxBytes) {
      throw new TalosError('DELIVERY_LOG_FULL', `log holds ${this.bytes} bytes, limit ${this.maxBytes}`)
    }
    // A copy: the publisher may reuse its buffer.
    this.entries.push({ seq: this.entries.length + 1, kind, bytes: new Uint8Array(bytes) }) // not slice(): a view on a Buffer
    this.bytes += bytes.length
    this.wake()
    return this.entries.length
  }

  /** Appends a commit for `epoch` iff the previous commit was for `epoch - 1` (or there is none). */
  appendCommit(bytes: Uint8Array, epoch: number): number {
    const last = this.commit
    if (last !== undefined) {
      if (epoch <= last.epoch) throw DeliveryConflictError.forEpoch(epoch, last)
      if (epoch !== last.epoch + 1) {
        throw new TalosError(
          'DELIVERY_EPOCH_AHEAD',
          `commit for epoch ${epoch}, but the log's latest commit is for epoch ${last.epoch}`,
        )
      }
    }
    const seq = this.append('commit', bytes)
    this.commit = { seq, epoch }
    return seq
  }

  /** The entry at `seq` (a copy, so one reader cannot alter what another sees). */
  get(seq: number): LogEntry | undefined {
    const e = this.entries[seq - 1]
    return e && { seq: e.seq, kind: e.kind, bytes: e.bytes.slice() }
  }

  /** Calls `fn` once, at the next append or deletion. Returns an unregister function. */
  onAppend(fn: () => void): () => void {
    this.waiters.add(fn)
    return () => this.waiters.delete(fn)
  }

  markDeleted(): void {
    this.deleted = true
    this.wake()
  }

  private wake(): void {
    const ws = [...this.waiters]
    this.waiters.clear()
    for (const w of ws) w()
  }
}
