/**
 * The worker pools' life cycle (src/crypto/worker-pool.ts): a process that
 * starts a pool and never warms or stops it still ends on its own.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('worker pools and process exit', () => {
  it('a process that started the verify pool without warming it ends on its own', () => {
    // Regression: the workers were unref'd before their 'message' listeners were added, which on
    // Node 20 refs them again: a member that joined a large group (startVerifyWorkers) never exited.
    const src = (f: string) => fileURLToPath(new URL(`../../src/crypto/${f}`, import.meta.url))
    const dir = mkdtempSync(join(tmpdir(), 'worker-pool-'))
    try {
      const script = join(dir, 'run.mts')
      writeFileSync(
        script,
        [
          `import { startVerifyWorkers } from ${JSON.stringify(src('verify-pool.ts'))}`,
          `startVerifyWorkers()`,
          `await new Promise((r) => setTimeout(r, 300))`,
          `console.log(JSON.stringify({ done: true }))`,
        ].join('\n'),
      )
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 })
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout.trim())).toEqual({ done: true })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
