/**
 * X25519 scalar multiplications of one operation, shared with worker
 * threads. An MLS Commit at n = 1024 does ~30 of them (a key pair per path
 * node, then an ephemeral key pair and a DH per HPKE seal), a receiver up to
 * log n (the public key of every path node it derives, RFC 9420 §12.4.2
 * step 6), and a hybrid copath rekey one seal per copath node. Each is
 * ~35-40 µs of native OpenSSL here and independent of the others, so
 * spreading a batch over cores cuts the operation's latency (its CPU time
 * stays the same).
 *
 *   x25519Many(jobs, here) -> results, synchronously, in job order
 *     job  { privateKey }                  -> { publicKey }           X25519(sk, 9)
 *     job  { privateKey, peer }            -> { publicKey, shared }   and X25519(sk, peer)
 *     here(job, i): the calling thread's own computation of job i (throws its typed errors)
 *
 * Protocol (as verify-pool.ts): the batch is copied once into shared memory
 * and posted to every worker; workers and the calling thread take jobs from a
 * shared counter; once the counter runs out, the calling thread computes
 * every job still unfinished itself (after the short wait below). A worker
 * writes its result into the job's slot, then publishes it by winning the
 * job's state (TODO -> DONE); the calling thread claims a job it computes
 * (TODO -> MINE), and a worker that loses that race wipes the slot it wrote
 * (the calling thread never reads a slot it did not see DONE, and its own
 * wipe of the batch may come before or after the worker's). The only wait:
 * at the end of a batch the calling thread gives jobs a worker is computing
 * LAST_JOBS_WAIT_MS in all before computing them too.
 *
 * Results are the same whoever computes them: X25519 is deterministic and
 * both sides use OpenSSL through node:crypto (JWK import, then export or
 * diffieHellman). A job a worker cannot do (malformed peer key, all-zero
 * shared secret, anything thrown) is marked FAILED for the calling thread, whose
 * `here` raises the proper TalosError; errors surface in job order (the
 * lowest failing index), as a sequential loop would raise them.
 *
 * Secrets: private keys and shared secrets cross in the shared buffer, which
 * is zeroed before x25519Many returns or throws; each side zeroes its own
 * copies (the JWK strings OpenSSL is fed are unzeroable garbage on both
 * sides, as in node-keys.ts). Batches below PARALLEL_MIN jobs, or with no
 * live worker, stay on the calling thread (`jobs.map(here)`).
 */
import { WorkerPool, type PoolWorker } from './worker-pool.js'

export interface X25519Job {
  readonly privateKey: Uint8Array
  /** A peer public key: also compute the shared secret X25519(privateKey, peer). */
  readonly peer?: Uint8Array | undefined
}

export interface X25519Result {
  readonly publicKey: Uint8Array
  /** Set when the job had a peer; the caller's to zero. */
  readonly shared?: Uint8Array | undefined
}

/** Below this many jobs a batch stays on the calling thread (a worker's wake-up is worth ~1-2 jobs). */
export const PARALLEL_MIN = 4
/** Jobs per shared batch (a larger batch is run in slices); bounds the shared buffer. */
const MAX_BATCH = 256
const SLOT = 128 // sk | peer | public key out | shared secret out

const TODO = 0
const DONE = 2
const MINE = 3
/** A job the worker could not do (its error is the calling thread's to raise). */
const FAILED = 4
/**
 * How long the calling thread, out of jobs to take, waits in all for jobs a
 * worker is still computing before computing them itself: about two jobs'
 * time. A busy machine (no free core for the worker) would otherwise have
 * every batch end with a job computed twice; a descheduled worker costs at
 * most this much.
 */
const LAST_JOBS_WAIT_MS = 0.1

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createPrivateKey, createPublicKey, diffieHellman } = require('node:crypto')
const b64u = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
parentPort.on('message', (m) => {
  const { ctl, state, data, n } = m
  let count = 0
  for (;;) {
    const i = Atomics.add(ctl, 0, 1)
    if (i >= n) break
    if (Atomics.load(state, i) !== ${TODO}) continue
    const o = i * ${SLOT}
    let sk, pk, shared
    try {
      sk = data.slice(o, o + 32)
      const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(sk), x: '' }, format: 'jwk' })
      pk = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x, 'base64url')
      if (data[o + 127] === 1) {
        const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(data.slice(o + 32, o + 64)) }, format: 'jwk' })
        shared = diffieHellman({ privateKey: key, publicKey: peer })
        let acc = 0
        for (let k = 0; k < 32; k++) acc |= shared[k]
        if (acc === 0 || shared.length !== 32) throw new Error('zero')
      }
      if (pk.length !== 32) throw new Error('size')
      // Result first, then the claim; a job the calling thread claimed meanwhile gets its slot wiped again.
      data.set(pk, o + 64)
      if (shared !== undefined) data.set(shared, o + 96)
      if (Atomics.compareExchange(state, i, ${TODO}, ${DONE}) === ${TODO}) count++
      else data.fill(0, o + 64, o + ${SLOT})
    } catch {
      Atomics.compareExchange(state, i, ${TODO}, ${FAILED}) // the calling thread computes it and raises the error
    } finally {
      if (sk !== undefined) sk.fill(0)
      if (shared !== undefined) shared.fill(0)
    }
  }
  parentPort.postMessage({ count })
})
parentPort.postMessage({ ready: true })
`

/** Jobs done so far by the calling thread and by workers in shared batches (tests, benchmarks). */
const counters = { calling: 0, workers: 0 }

const pool = new WorkerPool({
  maxDefault: 3,
  source: () => ({ code: WORKER_SOURCE }),
  onMessage: (m) => {
    counters.workers += (m as { count?: number }).count ?? 0
  },
})

/** A copy of the counters (a worker's part counts once it reports the batch done). */
export function x25519PoolCounters(): { calling: number; workers: number } {
  return { ...counters }
}

/** Sets the worker count (0: calling thread only; omitted: one fewer than the cores, at most 3); stops the current workers. */
export function setX25519Workers(n?: number): void {
  pool.setCount(n)
}

/** Stops the workers early (they are unref'd). */
export function stopX25519Workers(): void {
  pool.stop()
}

/** Starts the workers if needed; resolves with the number ready. */
export function warmX25519Workers(): Promise<number> {
  return pool.warm()
}

/** Runs every job, in parallel where it pays; results in job order. Throws the lowest-index job's error (from `here`). */
export function x25519Many(jobs: readonly X25519Job[], here: (job: X25519Job, index: number) => X25519Result): X25519Result[] {
  // Small batches, or no worker ready yet (live() starts them: a loading worker helps from a later batch).
  const workers = jobs.length < PARALLEL_MIN ? [] : pool.live().filter((w) => w.ready)
  if (workers.length === 0) return local(jobs, here)
  const out: X25519Result[] = []
  try {
    for (let from = 0; from < jobs.length; from += MAX_BATCH) {
      // `here` is called with the job's index in `jobs`, not in the slice.
      for (const r of runShared(jobs.slice(from, from + MAX_BATCH), (j, i) => here(j, from + i), workers)) out.push(r)
    }
    return out
  } catch (e) {
    for (const r of out) r.shared?.fill(0)
    throw e
  }
}

function local(jobs: readonly X25519Job[], here: (job: X25519Job, index: number) => X25519Result): X25519Result[] {
  const out: X25519Result[] = []
  try {
    for (let i = 0; i < jobs.length; i++) {
      out.push(here(jobs[i]!, i))
      counters.calling++
    }
    return out
  } catch (e) {
    for (const r of out) r.shared?.fill(0)
    throw e
  }
}

function runShared(jobs: readonly X25519Job[], here: (job: X25519Job, index: number) => X25519Result, workers: readonly PoolWorker[]): X25519Result[] {
  const n = jobs.length
  const ctl = new Int32Array(new SharedArrayBuffer(4))
  const state = new Int32Array(new SharedArrayBuffer(4 * n))
  const data = new Uint8Array(new SharedArrayBuffer(SLOT * n))
  const results = new Array<X25519Result | undefined>(n)
  const errors = new Array<unknown>(n)
  try {
    for (let i = 0; i < n; i++) {
      const j = jobs[i]!
      // Jobs of the wrong shape are never sent: `here` judges them.
      if (j.privateKey.length !== 32 || (j.peer !== undefined && j.peer.length !== 32)) {
        state[i] = MINE
        continue
      }
      data.set(j.privateKey, i * SLOT)
      if (j.peer !== undefined) {
        data.set(j.peer, i * SLOT + 32)
        data[i * SLOT + 127] = 1 // a flag byte in the shared-secret slot, overwritten by the result
      }
    }
    pool.post(workers, { ctl, state, data, n })

    const mine = (i: number): void => {
      try {
        results[i] = here(jobs[i]!, i)
        counters.calling++
      } catch (e) {
        errors[i] = e
      }
    }
    for (;;) {
      const i = Atomics.add(ctl, 0, 1)
      if (i >= n) break
      if (Atomics.compareExchange(state, i, TODO, MINE) === TODO) mine(i)
    }
    // Jobs a worker took and has not finished: a short bounded wait, then they are done here; then
    // everything in job order.
    const deadline = performance.now() + LAST_JOBS_WAIT_MS
    for (let i = 0; i < n; i++) {
      while (Atomics.load(state, i) === TODO && performance.now() < deadline) {
        /* spin: the worker is computing job i */
      }
      const s = Atomics.compareExchange(state, i, TODO, MINE)
      if (s === TODO || (s === FAILED && Atomics.compareExchange(state, i, FAILED, MINE) === FAILED)) {
        mine(i)
        continue
      }
      if (s === DONE) {
        const o = i * SLOT
        results[i] = { publicKey: data.slice(o + 64, o + 96), shared: jobs[i]!.peer !== undefined ? data.slice(o + 96, o + 128) : undefined }
      } else if (results[i] === undefined && errors[i] === undefined) {
        mine(i) // shape rejected before sending
      }
    }
    for (let i = 0; i < n; i++) if (errors[i] !== undefined) throw errors[i]
    return results as X25519Result[]
  } catch (e) {
    for (const r of results) r?.shared?.fill(0)
    throw e
  } finally {
    Atomics.store(ctl, 0, n) // nothing more is taken
    data.fill(0)
  }
}
