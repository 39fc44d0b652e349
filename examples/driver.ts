/**
 * Parent side of examples/agent.ts: spawns an agent process, sends it
 * requests over IPC, collects what it reports. Used by the demo and by the
 * multi-process tests (test/e2e/).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url))
/**
 * The environment variable that hands the agent its delivery URL. The URL
 * holds the loopback service's auth token (or a NATS user:password), and a
 * command line is readable by every local user (ps, /proc/<pid>/cmdline);
 * a process's environment only by its own user and root.
 */
export const DELIVERY_URL_ENV = 'TALOS_DELIVERY_URL'

export interface ReceivedEvent {
  readonly type: 'message'
  readonly group: string
  readonly sender: string
  readonly text: string
  readonly epoch: string
  readonly seq: number
  readonly index: number
}

export interface AgentEvent {
  readonly type: string
  readonly [k: string]: unknown
}

export class AgentProcess {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly received: ReceivedEvent[] = []
  readonly events: AgentEvent[] = []
  private waiters: { check: () => boolean; resolve: () => void }[] = []
  private exited: Promise<number | null>
  private constructor(
    readonly did: string,
    readonly child: ChildProcess,
    private readonly onEvent: (a: AgentProcess, e: AgentEvent) => void,
  ) {
    child.on('message', (m: AgentEvent) => this.dispatch(m))
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal === null ? code : -1)))
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`${did} exited`))
      this.pending.clear()
      this.wake()
    })
  }

  /** Starts `did` with its state in `dir`; resolves once it published its keys and resumed its groups. */
  static async start(did: string, url: string, dir: string, onEvent: (a: AgentProcess, e: AgentEvent) => void = () => {}): Promise<AgentProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', AGENT, did, dir], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [DELIVERY_URL_ENV]: url },
    })
    const a = new AgentProcess(did, child, onEvent)
    await a.until(() => a.events.some((e) => e.type === 'ready'), 30_000, 'ready')
    return a
  }

  private dispatch(m: AgentEvent): void {
    if (m.type === 'reply') {
      const p = this.pending.get(m['id'] as number)
      if (p !== undefined) {
        this.pending.delete(m['id'] as number)
        if (m['ok']) p.resolve(m['result'])
        else {
          const err = m['error'] as { code: string; message: string }
          p.reject(Object.assign(new Error(`${this.did}: ${err.code}: ${err.message}`), { code: err.code }))
        }
      }
    } else {
      if (m.type === 'message') this.received.push(m as unknown as ReceivedEvent)
      this.events.push(m)
      this.onEvent(this, m)
    }
    this.wake()
  }

  private wake(): void {
    const keep: typeof this.waiters = []
    for (const w of this.waiters) (w.check() ? w.resolve() : keep.push(w))
    this.waiters = keep
  }

  /** Resolves when `check()` holds (checked on every event); rejects after `ms` or if the process exits first. */
  until(check: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.did}: timed out waiting for ${what}`)), ms)
      const done = (): void => {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.push({ check, resolve: done })
      void this.exited.then(() => {
        if (!check()) {
          clearTimeout(timer)
          reject(new Error(`${this.did} exited while waiting for ${what}`))
        }
      })
    })
  }

  /** Sends a request; rejects if the agent exits or does not answer within `ms`. */
  request<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}, ms = 60_000): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.did}: no answer to ${op} within ${ms} ms`))
      }, ms)
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer)
          ;(resolve as (v: unknown) => void)(v)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      if (!this.child.connected) {
        this.pending.delete(id)
        reject(new Error(`${this.did} is not running`))
        return
      }
      this.child.send({ id, op, ...args })
    })
  }

  /** Waits for `n` messages in total. */
  messages(n: number, ms = 30_000): Promise<void> {
    return this.until(() => this.received.length >= n, ms, `${n} messages`)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exited
  }

  /** Asks the agent to exit, and kills it if it has not after `ms`. */
  async stop(ms = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms)
    await this.request('exit').catch(() => undefined)
    await this.exited
    clearTimeout(timer)
  }
}
