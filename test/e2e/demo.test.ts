/** `npm start` (examples/demo.ts) runs to completion on its own: three processes, the embedded service on loopback. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const DEMO = fileURLToPath(new URL('../../examples/demo.ts', import.meta.url))

describe('npm start', () => {
  it('the three-agent demo finishes by itself, agents agree on the epoch, audit trails verify', async () => {
    const env = { ...process.env }
    delete env['NATS_URL']
    const child = spawn(process.execPath, ['--import', 'tsx', DEMO], { stdio: ['ignore', 'pipe', 'pipe'], env })
    let out = ''
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(timer)
    expect(out).toContain('demo finished')
    expect(code).toBe(0)
    expect(out).toContain('capability valid')
    expect(out).toContain('[carol] group ended for me (removed)')
    expect(out.match(/verified: true/g)?.length).toBe(3)
    const auths = [...out.matchAll(/\[(alice|bob)\] epoch 3, members alice, bob, epoch authenticator ([0-9a-f]+)/g)].map((m) => m[2])
    expect(auths.length).toBe(2)
    expect(auths[0]).toBe(auths[1])
  }, 70_000)
})
