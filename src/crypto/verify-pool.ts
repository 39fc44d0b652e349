/**
 * Many signature verifications at once, spread over worker threads: what a
 * joiner does with every leaf of a ratchet tree (RFC 9420 §7.9.2, §12.4.3.1:
 * n Ed25519 verifications, ~70% of a Welcome join at n = 1024 here).
 *
 *   verifyMany(suite, items)                      -> Promise<boolean[]>
 *   verifyWithLabelMany(suite, label, items)      -> Promise<boolean[]>
 *
 * Each result is exactly what suite.verify / suite.verifyWithLabel returns
 * for that item: the workers run the same libsodium verify
 * (crypto_sign_verify_detached) as src/crypto/signature/ed25519.ts, one item
 * at a time; nothing is batched algebraically (a batch equation is
 * cofactored and can accept what the strict single verify rejects, which
 * members must never disagree on).
 *
 * Only Ed25519 (suites 1 and 3) goes to workers; other schemes, small
 * batches, and any batch while the pool is starting or broken are verified
 * on the calling thread. The calling thread always verifies a share itself.
 * Workers are started on first use (their readiness is not awaited: until
 * they are up, batches run on the calling thread), unref'd so they never keep
 * the process alive, and a failed worker falls back to the calling thread.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { signContent } from './labeled.js'
import type { CipherSuite } from './suite.js'

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

/** Below this many items a batch stays on the calling thread (a worker round trip costs ~0.1-0.3 ms). */
export const PARALLEL_MIN = 64

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const sodium = require(workerData.sodiumPath)
sodium.ready.then(() => {
  parentPort.on('message', (m) => {
    const n = m.offsets.length - 1
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      try {
        out[i] = sodium.crypto_sign_verify_detached(
          m.signatures.subarray(i * 64, i * 64 + 64),
          m.messages.subarray(m.offsets[i], m.offsets[i + 1]),
          m.publicKeys.subarray(i * 32, i * 32 + 32),
        ) ? 1 : 0
      } catch {
        out[i] = 0
      }
    }
    parentPort.postMessage({ id: m.id, out }, [out.buffer])
  })
  parentPort.postMessage({ ready: true })
})
`

interface PoolWorker {
  readonly worker: Worker
  ready: boolean
  broken: boolean
  readonly pending: Map<number, { resolve: (r: Uint8Array) => void; reject: (e: unknown) => void }>
}

let pool: PoolWorker[] | undefined
let nextId = 1

/** Worker count: one fewer than the cores (the calling thread takes a share), at most 7; 0 disables. */
let workerCount = Math.min(7, Math.max(0, availableParallelism() - 1))

/** Sets the worker count for later batches (0: always on the calling thread). Existing workers are stopped. */
export function setVerifyWorkers(n: number): void {
  workerCount = Math.max(0, Math.min(16, Math.floor(n)))
  stopVerifyWorkers()
}

/** Stops the workers (they are unref'd, so this is only needed to free them early). */
export function stopVerifyWorkers(): void {
  const p = pool
  pool = undefined
  for (const w of p ?? []) {
    w.broken = true
    for (const { reject } of w.pending.values()) reject(new Error('verify worker stopped'))
    w.pending.clear()
    void w.worker.terminate()
  }
}

function startPool(): PoolWorker[] {
  const sodiumPath = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo')
  const out: PoolWorker[] = []
  for (let i = 0; i < workerCount; i++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sodiumPath } })
    worker.unref()
    const w: PoolWorker = { worker, ready: false, broken: false, pending: new Map() }
    const fail = (e: unknown) => {
      w.broken = true
      for (const { reject } of w.pending.values()) reject(e)
      w.pending.clear()
    }
    worker.on('message', (m: { ready?: boolean; id?: number; out?: Uint8Array }) => {
      if (m.ready === true) {
        w.ready = true
        return
      }
      const p = m.id === undefined ? undefined : w.pending.get(m.id)
      if (p === undefined || m.out === undefined) return
      w.pending.delete(m.id!)
      p.resolve(m.out)
    })
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('verify worker exited')))
    out.push(w)
  }
  return out
}

/**
 * Starts the workers if needed and resolves, with the number of workers
 * ready, once each is up or has failed (an application may call it at start
 * so that its first join already runs in parallel).
 */
export async function warmVerifyWorkers(): Promise<number> {
  if (workerCount === 0) return 0
  if (pool === undefined || pool.every((w) => w.broken)) pool = startPool()
  const p = pool
  await Promise.all(
    p.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.ready || w.broken) return resolve()
          const check = () => {
            if (w.ready || w.broken) {
              w.worker.off('message', check)
              w.worker.off('error', check)
              w.worker.off('exit', check)
              resolve()
            }
          }
          // Listeners added after startPool's run after them: `ready`/`broken` are already set.
          w.worker.on('message', check)
          w.worker.on('error', check)
          w.worker.on('exit', check)
        }),
    ),
  )
  return p.filter((w) => w.ready && !w.broken).length
}

function readyWorkers(): PoolWorker[] {
  if (workerCount === 0) return []
  if (pool === undefined || pool.every((w) => w.broken)) pool = startPool()
  return pool.filter((w) => w.ready && !w.broken)
}

function verifyRange(suite: CipherSuite, items: readonly VerifyItem[], from: number, to: number, out: boolean[]): void {
  for (let i = from; i < to; i++) {
    const it = items[i]!
    out[i] = suite.verify(it.publicKey, it.message, it.signature)
  }
}

/** Packs items [from, to) for a worker; items of the wrong sizes are left out (false), never sent. */
function pack(items: readonly VerifyItem[], from: number, to: number) {
  const n = to - from
  const publicKeys = new Uint8Array(n * 32)
  const signatures = new Uint8Array(n * 64)
  const offsets = new Uint32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) total += items[from + i]!.message.length
  const messages = new Uint8Array(total)
  let pos = 0
  for (let i = 0; i < n; i++) {
    const it = items[from + i]!
    offsets[i] = pos
    if (it.publicKey.length === 32 && it.signature.length === 64) {
      publicKeys.set(it.publicKey, i * 32)
      signatures.set(it.signature, i * 64)
    } // else: all-zero key and signature, which libsodium rejects (small-order key); the result is forced to false below
    messages.set(it.message, pos)
    pos += it.message.length
  }
  offsets[n] = pos
  return { publicKeys, signatures, messages, offsets }
}

function runOnWorker(w: PoolWorker, items: readonly VerifyItem[], from: number, to: number): Promise<Uint8Array> {
  const id = nextId++
  const msg = { id, ...pack(items, from, to) }
  return new Promise<Uint8Array>((resolve, reject) => {
    w.pending.set(id, { resolve, reject })
    try {
      w.worker.postMessage(msg, [msg.publicKeys.buffer, msg.signatures.buffer, msg.messages.buffer, msg.offsets.buffer])
    } catch (e) {
      w.pending.delete(id)
      reject(e)
    }
  })
}

/** suite.verify for every item, in parallel where it pays. Never throws for bad input (false, as verify). */
export async function verifyMany(suite: CipherSuite, items: readonly VerifyItem[]): Promise<boolean[]> {
  const out = new Array<boolean>(items.length).fill(false)
  const ed25519 = suite.id === 1 || suite.id === 3
  const workers = ed25519 && items.length >= PARALLEL_MIN ? readyWorkers() : []
  if (workers.length === 0) {
    verifyRange(suite, items, 0, items.length, out)
    return out
  }
  // Equal shares for the workers and the calling thread.
  const shares = workers.length + 1
  const size = Math.ceil(items.length / shares)
  const jobs = workers.map((w, k) => {
    const from = (k + 1) * size
    const to = Math.min(items.length, from + size)
    return { from, to, done: from < to ? runOnWorker(w, items, from, to) : Promise.resolve(new Uint8Array(0)) }
  })
  verifyRange(suite, items, 0, Math.min(size, items.length), out)
  for (const job of jobs) {
    let r: Uint8Array | undefined
    try {
      r = await job.done
    } catch {
      r = undefined // a worker failed: its share is verified here
    }
    if (r === undefined || r.length !== job.to - job.from) {
      verifyRange(suite, items, job.from, job.to, out)
      continue
    }
    for (let i = job.from; i < job.to; i++) {
      const it = items[i]!
      out[i] = r[i - job.from] === 1 && it.publicKey.length === 32 && it.signature.length === 64
    }
  }
  return out
}

/** suite.verifyWithLabel for every item (SignContent built here), in parallel where it pays. */
export async function verifyWithLabelMany(suite: CipherSuite, label: string, items: readonly LabeledVerifyItem[]): Promise<boolean[]> {
  const prepared: VerifyItem[] = []
  const oversized = new Set<number>()
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!
    let message: Uint8Array
    try {
      message = signContent(label, it.content)
    } catch {
      oversized.add(i) // cannot carry a valid signature (verifyWithLabel returns false too)
      message = new Uint8Array(0)
    }
    prepared.push({ publicKey: it.publicKey, message, signature: it.signature })
  }
  const out = await verifyMany(suite, prepared)
  for (const i of oversized) out[i] = false
  return out
}
