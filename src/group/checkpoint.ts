/**
 * A group's checkpoint in the StateStore: { last_seq, record }, written with
 * compare-and-swap on the key's version.
 *
 * The same discipline as src/store/ordered.ts (apply, persist state + seq,
 * then ack; a redelivered seq <= last_seq is acknowledged and skipped), with
 * one addition the group layer needs: `save` persists a new record WITHOUT
 * advancing last_seq. A send advances the sender's MLS/hybrid ratchets, and a
 * commit is written ahead of publishing; both must be durable before the
 * bytes leave the process, yet neither consumed a log entry.
 *
 * Encoding: uint64 last_seq || opaque record<V> (TLS presentation language),
 * identical in shape to OrderedProcessor's checkpoint.
 */
import { Reader, Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import type { StateStore } from '../store/types.js'

export interface CheckpointValue {
  readonly lastSeq: number
  readonly record: Uint8Array
}

function encode(v: CheckpointValue): Uint8Array {
  return new Writer(v.record.length + 16).u64(v.lastSeq).opaque(v.record).finish()
}

function decode(bytes: Uint8Array, key: string): CheckpointValue {
  try {
    const r = new Reader(bytes)
    const lastSeq = r.u64()
    const record = r.opaque()
    r.assertDone('checkpoint')
    if (lastSeq > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('last_seq out of range')
    return { lastSeq: Number(lastSeq), record }
  } catch (e) {
    throw new TalosError('GROUP_STATE_CORRUPT', `${key}: bad checkpoint: ${e instanceof Error ? e.message : String(e)}`)
  }
}

export class Checkpoint {
  private version = 0
  private seq = 0

  private constructor(
    private readonly store: StateStore,
    readonly key: string,
  ) {}

  /** The stored checkpoint, or undefined if there is none. */
  static async load(store: StateStore, key: string): Promise<{ checkpoint: Checkpoint; value: CheckpointValue } | undefined> {
    const v = await store.get(key)
    if (v === undefined) return undefined
    const value = decode(v.bytes, key)
    const c = new Checkpoint(store, key)
    c.version = v.version
    c.seq = value.lastSeq
    return { checkpoint: c, value }
  }

  /** Creates the first checkpoint; GROUP_EXISTS if the key is already there. */
  static async create(store: StateStore, key: string, lastSeq: number, record: Uint8Array): Promise<Checkpoint> {
    const c = new Checkpoint(store, key)
    try {
      c.version = await store.put(key, encode({ lastSeq, record }), 0)
    } catch (e) {
      if (e instanceof TalosError && e.code === 'STORE_CONFLICT') throw new TalosError('GROUP_EXISTS', `${key} already exists`)
      throw e
    }
    c.seq = lastSeq
    return c
  }

  get lastSeq(): number {
    return this.seq
  }

  /** Persists `record` as the state after entry `seq` (seq > lastSeq). */
  async advance(seq: number, record: Uint8Array): Promise<void> {
    if (seq <= this.seq) throw new TalosError('GROUP_INTERNAL', `checkpoint cannot go back from ${this.seq} to ${seq}`)
    this.version = await this.store.put(this.key, encode({ lastSeq: seq, record }), this.version)
    this.seq = seq
  }

  /** Persists `record` at the current lastSeq. */
  async save(record: Uint8Array): Promise<void> {
    this.version = await this.store.put(this.key, encode({ lastSeq: this.seq, record }), this.version)
  }

  async remove(): Promise<void> {
    await this.store.delete(this.key, this.version)
  }
}
