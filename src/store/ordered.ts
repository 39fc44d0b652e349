/**
 * Process, persist, then acknowledge — in that order, for every entry.
 *
 * A checkpoint { last_seq, state } is stored under one key. For each
 * delivered entry:
 *
 *   1. seq <= last_seq: it was applied before a crash that came before its
 *      ack. Ack it, apply nothing (never twice).
 *   2. otherwise compute the next state (`apply`, which must only stage:
 *      no side effect outside its return value),
 *   3. persist { seq, next state } with compare-and-swap on the version,
 *   4. only then ack.
 *
 * A crash before 3 loses nothing: the entry was not acked, so it is
 * delivered again and applied then. A crash between 3 and 4 loses nothing
 * either: it is delivered again and skipped by 1. So each entry changes the
 * persisted state exactly once, whatever the crash point.
 *
 * Effects outside the state (showing a message to the user) belong in
 * `afterPersist`, which runs after 3 and before 4: at least once if a crash
 * hits between it and the ack, never for an entry whose state was lost.
 * Anything that must be exactly-once goes into the state itself (an outbox).
 */
import { Reader, Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import type { Delivery, SubscribeOptions, Subscription } from '../delivery/types.js'
import type { StateStore } from './types.js'

export interface Checkpoint {
  /** Seq of the last entry whose effect is in `state`; 0 before any. */
  readonly lastSeq: number
  readonly state: Uint8Array | undefined
}

/** Stages the state after `delivery`. Throwing leaves everything as it was (nothing persisted or acked). */
export type Apply = (state: Uint8Array | undefined, delivery: Delivery) => Uint8Array | Promise<Uint8Array>
export type AfterPersist = (delivery: Delivery, state: Uint8Array) => void | Promise<void>

export type Outcome = 'applied' | 'duplicate'

function encodeCheckpoint(c: Checkpoint): Uint8Array {
  return new Writer((c.state?.length ?? 0) + 16).u64(c.lastSeq).optional(c.state, (w, s) => w.opaque(s)).finish()
}

function decodeCheckpoint(bytes: Uint8Array, key: string): Checkpoint {
  try {
    const r = new Reader(bytes)
    const lastSeq = r.u64()
    const state = r.optional((x) => x.opaque())
    r.assertDone('checkpoint')
    if (lastSeq > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('last_seq out of range')
    return { lastSeq: Number(lastSeq), state }
  } catch (e) {
    throw new TalosError('STORE_CORRUPT', `${key}: bad checkpoint: ${e instanceof Error ? e.message : String(e)}`)
  }
}

export class OrderedProcessor {
  private cached: { checkpoint: Checkpoint; version: number } | undefined

  constructor(
    private readonly store: StateStore,
    readonly key: string,
  ) {}

  /** The persisted checkpoint (read once, then tracked in memory). */
  async load(): Promise<Checkpoint> {
    if (this.cached === undefined) {
      const v = await this.store.get(this.key)
      this.cached = v === undefined
        ? { checkpoint: { lastSeq: 0, state: undefined }, version: 0 }
        : { checkpoint: decodeCheckpoint(v.bytes, this.key), version: v.version }
    }
    return this.cached.checkpoint
  }

  /** Options that make a subscription resume exactly after the checkpoint. */
  async resumeOptions(): Promise<SubscribeOptions> {
    await this.load()
    return this.cached!.version === 0 ? {} : { after: this.cached!.checkpoint.lastSeq }
  }

  /** Writes the first checkpoint, e.g. a member that joined through the commit at seq `lastSeq`. */
  async initialize(lastSeq: number, state: Uint8Array | undefined): Promise<void> {
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) throw new TalosError('STORE_INVALID_VALUE', 'lastSeq must be a safe integer >= 0')
    const checkpoint = { lastSeq, state }
    const version = await this.store.put(this.key, encodeCheckpoint(checkpoint), 0)
    this.cached = { checkpoint, version }
  }

  async handle(delivery: Delivery, apply: Apply, afterPersist?: AfterPersist): Promise<Outcome> {
    await this.load()
    const { checkpoint, version } = this.cached!
    if (delivery.seq <= checkpoint.lastSeq) {
      await delivery.ack()
      return 'duplicate'
    }
    if (version !== 0 && delivery.seq !== checkpoint.lastSeq + 1) {
      throw new TalosError(
        'STORE_SEQ_GAP',
        `${this.key}: entry ${delivery.seq} after checkpoint ${checkpoint.lastSeq}: entries in between would be lost`,
      )
    }
    const state = await apply(checkpoint.state, delivery)
    const next = { lastSeq: delivery.seq, state }
    let newVersion: number
    try {
      newVersion = await this.store.put(this.key, encodeCheckpoint(next), version)
    } catch (e) {
      // Someone else wrote the key (or the write failed): re-read before trusting the cache again.
      this.cached = undefined
      throw e
    }
    this.cached = { checkpoint: next, version: newVersion }
    await afterPersist?.(delivery, state)
    await delivery.ack()
    return 'applied'
  }
}

/**
 * Runs `handle` for every entry of `subscription` until it ends (or throws).
 * Open the subscription with `processor.resumeOptions()`.
 */
export async function processInOrder(
  subscription: Subscription,
  processor: OrderedProcessor,
  apply: Apply,
  afterPersist?: AfterPersist,
): Promise<{ applied: number; duplicates: number }> {
  let applied = 0
  let duplicates = 0
  for await (const delivery of subscription) {
    if ((await processor.handle(delivery, apply, afterPersist)) === 'applied') applied++
    else duplicates++
  }
  return { applied, duplicates }
}
