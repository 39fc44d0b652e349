/**
 * Starts a private nats-server for a test file: loopback only, a random free
 * port chosen by the server itself (`-p -1`, so there is no probe-then-bind
 * race), JetStream on, its store in a fresh temp directory. `stop()` kills it
 * and removes the directory.
 *
 * The binary comes from Debian's `nats-server` package. If it is missing the
 * helper throws, so NATS tests FAIL with a clear message rather than being
 * skipped: a CI machine without the server must not look green.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

const CANDIDATES = ['/usr/bin/nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server']

export function findNatsServer(): string {
  const fromEnv = process.env['NATS_SERVER_BIN']
  if (fromEnv && existsSync(fromEnv)) return fromEnv
  for (const c of CANDIDATES) if (existsSync(c)) return c
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server')
  }
  throw new Error(
    'nats-server binary not found (looked at $NATS_SERVER_BIN, ' +
      CANDIDATES.join(', ') +
      ' and $PATH). Install it with `apt-get install -y nats-server` (Debian package); the NATS delivery tests need it.',
  )
}

const READY_TIMEOUT_MS = 20_000

export async function startNatsServer(): Promise<NatsServerHandle> {
  const bin = findNatsServer()
  const storeDir = mkdtempSync(join(tmpdir(), 'talos-nats-'))
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let port = 0
      const timer = setTimeout(() => reject(new Error(`nats-server did not become ready:\n${log}`)), READY_TIMEOUT_MS)
      const onData = (chunk: Buffer): void => {
        log += chunk.toString('utf8')
        const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log)
        if (m) port = Number(m[1])
        if (port > 0 && log.includes('Server is ready')) {
          clearTimeout(timer)
          resolve(port)
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`nats-server exited early (code ${code}):\n${log}`))
      })
    })
    return { url: `nats://127.0.0.1:${port}`, port, stop: () => stopChild(child, storeDir) }
  } catch (e) {
    await stopChild(child, storeDir)
    throw e
  }
}

async function stopChild(child: ChildProcess, storeDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  rmSync(storeDir, { recursive: true, force: true })
}
