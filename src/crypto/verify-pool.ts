/**
 * Many signature verifications at once, shared with worker threads: what a
 * joiner does with every leaf of a ratchet tree (RFC 9420 §7.9.2, §12.4.3.1:
 * n Ed25519 verifications, ~90% of a Welcome join at n = 1024 here).
 *
 *   startVerifyMany(suite, items)                 -> PendingVerification
 *   startVerifyWithLabelMany(suite, label, items) -> PendingVerification
 *     .finish() -> Promise<boolean[]>   .cancel()
 *   verifyMany / verifyWithLabelMany: start + finish at once
 *
 * Each result is exactly what suite.verify / suite.verifyWithLabel returns
 * for that item: the workers run the same libsodium verify
 * (crypto_sign_verify_detached) as src/crypto/signature/ed25519.ts, one item
 * at a time; nothing is batched algebraically (a batch equation is
 * cofactored and can accept what the strict single verify rejects, which
 * members must never disagree on).
 *
 * Sharing: a batch is copied once into shared memory and handed to every
 * worker; the workers and the calling thread (in finish()) take items one at
 * a time from a shared counter (Atomics.add), so the split adapts by itself
 * to a slow or busy worker, to a worker still loading libsodium, and to a
 * caller doing other work between start and finish (the workers carry on
 * meanwhile). When the counter runs out, finish() does not wait for items a
 * worker has taken but not finished (a descheduled worker would stall it):
 * it verifies them itself. Verification is deterministic, so an item verified
 * twice has one answer; the first to finish records it (compare-and-swap).
 * finish() thus never waits on a worker, and a worker that fails or is
 * stopped mid-batch loses nothing.
 *
 * Only Ed25519 (suites 1 and 3) goes to workers; other schemes and batches
 * below PARALLEL_MIN stay on the calling thread. Workers start on first use
 * (or startVerifyWorkers / warmVerifyWorkers) and are unref'd: they never
 * keep the process alive.
 */
import { createRequire } from 'node:module'
import { signContent } from './labeled.js'
import type { CipherSuite } from './suite.js'
import { WorkerPool } from './worker-pool.js'

export interface VerifyItem {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

export interface LabeledVerifyItem {
  readonly publicKey: Uint8Array
  readonly content: Uint8Array
  readonly signature: Uint8Array
}

/** Verifications under way; finish() exactly once (or cancel()). */
export interface PendingVerification {
  /** Verifies what no worker has taken on the calling thread, waits for the rest; results in item order. */
  finish(): Promise<boolean[]>
  /** Gives the batch up: no further item is taken (the caller failed on an earlier check). */
  cancel(): void
}

/** Below this many items a batch stays on the calling thread (a worker round trip costs ~0.1-0.3 ms). */
export const PARALLEL_MIN = 64

/** Item states in the shared state array. */
const TODO = 0
const VALID = 1
const INVALID = 2

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const sodium = require(workerData.sodiumPath)
sodium.ready.then(() => {
  parentPort.on('message', (m) => {
    const n = m.state.length
    let count = 0
    for (;;) {
      const i = Atomics.add(m.next, 0, 1)
      if (i >= n) break
      if (Atomics.load(m.state, i) !== ${TODO}) continue
      let ok = false
      try {
        ok = sodium.crypto_sign_verify_detached(
          m.signatures.slice(i * 64, i * 64 + 64),
          m.messages.slice(m.offsets[i], m.offsets[i + 1]),
          m.publicKeys.slice(i * 32, i * 32 + 32),
        )
      } catch {
        ok = false
      }
      if (Atomics.compareExchange(m.state, i, ${TODO}, ok ? ${VALID} : ${INVALID}) === ${TODO}) count++
    }
    parentPort.postMessage({ count })
  })
  parentPort.postMessage({ ready: true })
})
`

/** Items verified so far by the calling thread and by workers in shared batches (tests, benchmarks). */
const counters = { calling: 0, workers: 0 }

const pool = new WorkerPool({
  maxDefault: 7,
  source: () => ({
    code: WORKER_SOURCE,
    workerData: { sodiumPath: createRequire(import.meta.url).resolve('libsodium-wrappers-sumo') },
  }),
  onMessage: (m) => {
    counters.workers += (m as { count?: number }).count ?? 0
  },
})

/**
 * A copy of the counters: how the shared batches were split, each item
 * counted once, for whoever recorded its result first (a worker's part counts
 * once it reports the batch done).
 */
export function verifyPoolCounters(): { calling: number; workers: number } {
  return { ...counters }
}

/**
 * Sets the worker count for later batches (0: always on the calling thread;
 * omitted: the default, one fewer than the cores, at most 7). Existing
 * workers are stopped.
 */
export function setVerifyWorkers(n?: number): void {
  pool.setCount(n)
}

/** Stops the workers (they are unref'd, so this is only needed to free them early). */
export function stopVerifyWorkers(): void {
  pool.stop()
}

/**
 * Starts the workers if they are not running, without waiting for them (a
 * caller that will soon verify a large batch, e.g. a joiner that has just
 * received a large Welcome: the workers load libsodium meanwhile).
 */
export function startVerifyWorkers(): void {
  pool.live()
}

/**
 * Starts the workers if needed and resolves, with the number of workers
 * ready, once each is up or has failed (an application may call it early so
 * that its first join already has the workers' help from the start).
 */
export function warmVerifyWorkers(): Promise<number> {
  return pool.warm()
}

function shared<T extends Uint8Array | Uint32Array | Int32Array>(make: new (b: SharedArrayBuffer) => T, bytes: number): T {
  return new make(new SharedArrayBuffer(Math.max(bytes, 4)))
}

/** A batch on the calling thread only: verified in finish(). */
function local(suite: CipherSuite, items: readonly VerifyItem[]): PendingVerification {
  let cancelled = false
  return {
    cancel: () => {
      cancelled = true
    },
    finish: async () => {
      if (cancelled) throw new Error('verify batch cancelled')
      return items.map((it) => suite.verify(it.publicKey, it.message, it.signature))
    },
  }
}

/** Starts suite.verify for every item, in parallel where it pays. finish() never throws for bad input (false, as verify). */
export function startVerifyMany(suite: CipherSuite, items: readonly VerifyItem[]): PendingVerification {
  const ed25519 = suite.id === 1 || suite.id === 3
  const workers = ed25519 && items.length >= PARALLEL_MIN ? pool.live() : []
  if (workers.length === 0) return local(suite, items)

  const n = items.length
  let total = 0
  for (const it of items) total += it.message.length
  const next = shared(Int32Array, 4)
  const state = shared(Uint8Array, n)
  const publicKeys = shared(Uint8Array, n * 32)
  const signatures = shared(Uint8Array, n * 64)
  const offsets = shared(Uint32Array, (n + 1) * 4)
  const messages = shared(Uint8Array, total)
  let pos = 0
  for (let i = 0; i < n; i++) {
    const it = items[i]!
    offsets[i] = pos
    // verify() rejects these sizes before any crypto; decided here, never sent.
    if (it.publicKey.length !== 32 || it.signature.length !== 64) state[i] = INVALID
    else {
      publicKeys.set(it.publicKey, i * 32)
      signatures.set(it.signature, i * 64)
      messages.set(it.message, pos)
      pos += it.message.length
    }
  }
  offsets[n] = pos

  pool.post(workers, { next, state, publicKeys, signatures, offsets, messages }) // a worker that fails to take it leaves its share to the others

  /** Verifies item i here: this answer is used, and recorded unless a worker recorded its (same) answer first. */
  const verifyHere = (i: number): number => {
    const it = items[i]!
    const r = suite.verify(it.publicKey, it.message, it.signature) ? VALID : INVALID
    if (Atomics.compareExchange(state, i, TODO, r) === TODO) counters.calling++
    return r
  }
  let settled = false
  return {
    cancel: () => {
      settled = true
      Atomics.store(next, 0, n) // nothing more is taken
    },
    finish: async () => {
      if (settled) throw new Error('verify batch already finished or cancelled')
      settled = true
      for (;;) {
        const i = Atomics.add(next, 0, 1)
        if (i >= n) break
        if (Atomics.load(state, i) === TODO) verifyHere(i)
      }
      // Items a worker has taken and not finished are verified here too (see the header): no waiting.
      const out = new Array<boolean>(n)
      for (let i = 0; i < n; i++) {
        const s = Atomics.load(state, i)
        out[i] = (s === TODO ? verifyHere(i) : s) === VALID
      }
      return out
    },
  }
}

/** Starts suite.verifyWithLabel for every item (SignContent built here), in parallel where it pays. */
export function startVerifyWithLabelMany(suite: CipherSuite, label: string, items: readonly LabeledVerifyItem[]): PendingVerification {
  const prepared: VerifyItem[] = []
  const oversized: number[] = []
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!
    let message: Uint8Array
    try {
      message = signContent(label, it.content)
    } catch {
      oversized.push(i) // cannot carry a valid signature (verifyWithLabel returns false too)
      message = new Uint8Array(0)
    }
    prepared.push({ publicKey: it.publicKey, message, signature: it.signature })
  }
  const pending = startVerifyMany(suite, prepared)
  return {
    cancel: pending.cancel,
    finish: async () => {
      const out = await pending.finish()
      for (const i of oversized) out[i] = false
      return out
    },
  }
}

/** suite.verify for every item, in parallel where it pays. Never throws for bad input (false, as verify). */
export function verifyMany(suite: CipherSuite, items: readonly VerifyItem[]): Promise<boolean[]> {
  return startVerifyMany(suite, items).finish()
}

/** suite.verifyWithLabel for every item, in parallel where it pays. */
export function verifyWithLabelMany(suite: CipherSuite, label: string, items: readonly LabeledVerifyItem[]): Promise<boolean[]> {
  return startVerifyWithLabelMany(suite, label, items).finish()
}
