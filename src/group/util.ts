/**
 * Small helpers of the group layer: a FIFO mutex (one state transition at a
 * time per group), hex, a bounded wait for "processed up to seq", and the
 * check of on() arguments.
 */
import { sha256 } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { toHex } from '../delivery/limits.js'

export class Mutex {
  private tail: Promise<void> = Promise.resolve()

  /** Runs `fn` after every earlier caller finished (FIFO), whatever they threw. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}

export { toHex } from '../delivery/limits.js'

/** A fixed-length store-key token for a DID or a group id (hex of SHA-256, truncated to 128 bits). */
export function token(v: Uint8Array | string): string {
  return toHex(sha256(typeof v === 'string' ? new TextEncoder().encode(v) : v)).slice(0, 32)
}

export { constantTimeEqual as bytesEqual } from '../crypto/sodium.js'

/**
 * on(event, listener) arguments: a known event (an own key of `listeners`,
 * so not '__proto__' or 'toString') and a function. Checked when added, as
 * a bad listener would otherwise fail only when the event fires.
 */
export function checkListener(listeners: object, event: unknown, listener: unknown): void {
  if (typeof event !== 'string' || !Object.prototype.hasOwnProperty.call(listeners, event)) {
    throw new TalosError('GROUP_INVALID_ARGUMENT', `unknown event ${JSON.stringify(String(event)).slice(0, 40)}`)
  }
  if (typeof listener !== 'function') throw new TalosError('GROUP_INVALID_ARGUMENT', 'a listener is a function')
}

/** Resolves waiters once a monotonically growing counter reaches their target. */
export class Progress {
  private value = 0
  private waiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = []
  private failure: unknown

  get current(): number {
    return this.value
  }

  advance(v: number): void {
    if (v <= this.value) return
    this.value = v
    const ready = this.waiters.filter((w) => w.target <= v)
    this.waiters = this.waiters.filter((w) => w.target > v)
    for (const w of ready) w.resolve()
  }

  /** Resolves when the counter reaches `target`; rejects with the failure once `fail` was called. */
  wait(target: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (target <= this.value) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }))
  }

  fail(e: unknown): void {
    this.failure = e
    const w = this.waiters
    this.waiters = []
    for (const x of w) x.reject(e)
  }
}
