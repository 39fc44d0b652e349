/**
 * The worker pools' life cycle (src/crypto/worker-pool.ts): a process that
 * starts a pool and never warms or stops it still ends on its own (the
 * verify pool, and the X25519 pool that CipherSuite batches start).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = (f: string) => fileURLToPath(new URL(`../../src/crypto/${f}`, import.meta.url))

/** Runs a module of these lines in a fresh node process; its exit status and last line of output. */
function runAlone(lines: string[]): { status: number | null; stderr: string; last: unknown } {
  const dir = mkdtempSync(join(tmpdir(), 'worker-pool-'))
  try {
    const script = join(dir, 'run.mts')
    writeFileSync(script, lines.join('\n'))
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 })
    const out = r.stdout.trim()
    return { status: r.status, stderr: r.stderr, last: out === '' ? undefined : JSON.parse(out.split('\n').pop()!) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('worker pools and process exit', () => {
  it('a process that started the verify pool without warming it ends on its own', () => {
    // Regression: the workers were unref'd before their 'message' listeners were added, which on
    // Node 20 refs them again: a member that joined a large group (startVerifyWorkers) never exited.
    const r = runAlone([
      `import { startVerifyWorkers } from ${JSON.stringify(src('verify-pool.ts'))}`,
      `startVerifyWorkers()`,
      `await new Promise((r) => setTimeout(r, 300))`,
      `console.log(JSON.stringify({ done: true }))`,
    ])
    expect(r.status, r.stderr).toBe(0)
    expect(r.last).toEqual({ done: true })
  })

  it('so does one whose X25519 batches started that pool (with the verify pool started too)', () => {
    const r = runAlone([
      `import { startVerifyWorkers } from ${JSON.stringify(src('verify-pool.ts'))}`,
      `import { getCipherSuite } from ${JSON.stringify(src('index.ts'))}`,
      `startVerifyWorkers()`,
      `const cs = getCipherSuite(3)`,
      `const ikms = Array.from({ length: 8 }, (_, i) => new Uint8Array(32).fill(i))`,
      `let n = 0`,
      `for (let r = 0; r < 200; r++) n += (await cs.deriveHpkeKeyPairs(ikms)).length`,
      `console.log(JSON.stringify({ n }))`,
    ])
    expect(r.status, r.stderr).toBe(0)
    expect(r.last).toEqual({ n: 1600 })
  })
})
