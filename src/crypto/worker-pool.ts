/**
 * The life cycle of a small pool of worker threads that help the calling
 * thread with CPU-bound batches (verify-pool.ts: Ed25519 verifications,
 * x25519-pool.ts: X25519 scalar multiplications).
 *
 * The pools share one protocol shape: a batch is copied into shared memory,
 * posted to every live worker, and the workers and the calling thread take
 * items from a shared counter; the calling thread never waits on a worker
 * (it does what is left itself). So a worker here only has to exist: this
 * class starts workers lazily from an eval'd CommonJS source, records when
 * each has loaded (`ready`) or died (`broken`), lets callers await readiness
 * (warm), and stops them. Workers are unref'd and never keep a process alive.
 * A pool that keeps failing to start is not restarted forever (MAX_STARTS).
 *
 * The source must post `{ ready: true }` once it can take batches; any other
 * message is handed to `onMessage` (the pools' per-batch reports).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export interface PoolWorker {
  readonly worker: Worker
  ready: boolean
  broken: boolean
  /** warm() calls awaiting this worker (it is ref'd while > 0). */
  held: number
}

export interface WorkerPoolOptions {
  /** The worker's CommonJS source and its workerData, built on first start (may throw: no workers then). */
  readonly source: () => { code: string; workerData?: unknown }
  /** Upper bound of the default count (the default is one fewer than the cores, at least 0). */
  readonly maxDefault: number
  /** Reports other than `{ ready: true }`. */
  readonly onMessage?: (m: unknown) => void
}

const MAX_STARTS = 3

export class WorkerPool {
  private pool: PoolWorker[] | undefined
  private starts = 0
  private count: number

  constructor(private readonly opts: WorkerPoolOptions) {
    this.count = this.defaultCount()
  }

  private defaultCount(): number {
    return Math.min(this.opts.maxDefault, Math.max(0, availableParallelism() - 1))
  }

  /** Sets the worker count for later batches (0: calling thread only; omitted: the default); stops the current workers. */
  setCount(n?: number): void {
    this.count = n === undefined ? this.defaultCount() : Math.max(0, Math.min(16, Math.floor(n)))
    this.stop()
    this.starts = 0
  }

  /** Stops the workers (they are unref'd, so this only frees them early). */
  stop(): void {
    const p = this.pool
    this.pool = undefined
    for (const w of p ?? []) {
      w.broken = true
      void w.worker.terminate()
    }
  }

  private startAll(): PoolWorker[] {
    this.starts++
    const out: PoolWorker[] = []
    try {
      const { code, workerData } = this.opts.source()
      for (let i = 0; i < this.count; i++) {
        const worker = new Worker(code, { eval: true, workerData })
        const w: PoolWorker = { worker, ready: false, broken: false, held: 0 }
        worker.on('message', (m: { ready?: boolean }) => {
          if (m?.ready === true) w.ready = true
          else this.opts.onMessage?.(m)
        })
        const drop = () => {
          w.broken = true
        }
        worker.on('error', drop)
        worker.on('exit', drop)
        // After the listeners: on Node 20 adding a 'message' listener refs the worker again, and a
        // process that started the pool without warm() never exited.
        worker.unref()
        out.push(w)
      }
    } catch {
      // No worker threads here (or the source cannot be built): the calling thread does everything.
      for (const w of out) void w.worker.terminate()
      return []
    }
    return out
  }

  /** The live workers, starting the pool if needed (readiness not awaited: a loading worker joins in late). */
  live(): PoolWorker[] {
    if (this.count === 0) return []
    if ((this.pool === undefined || this.pool.every((w) => w.broken)) && this.starts < MAX_STARTS) this.pool = this.startAll()
    return (this.pool ?? []).filter((w) => !w.broken)
  }

  /** Starts the workers if needed and resolves, with the number ready, once each is up or has failed. */
  async warm(): Promise<number> {
    const workers = this.live()
    const up = Promise.all(
      workers.map(
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
            // Listeners added after startAll's run after them: `ready`/`broken` are already set.
            w.worker.on('message', check)
            w.worker.on('error', check)
            w.worker.on('exit', check)
          }),
      ),
    )
    // The workers are unref'd: held while awaited (counted, for overlapping calls), or a process with
    // nothing else to do would exit here.
    for (const w of workers) if (w.held++ === 0) w.worker.ref()
    try {
      await up
    } finally {
      for (const w of workers) if (--w.held === 0) w.worker.unref()
    }
    return workers.filter((w) => w.ready && !w.broken).length
  }

  /** Posts a batch to every live worker; a worker that cannot take it is marked broken (the others and the caller cover). */
  post(workers: readonly PoolWorker[], message: unknown): void {
    for (const w of workers) {
      try {
        w.worker.postMessage(message)
      } catch {
        w.broken = true
      }
    }
  }
}
