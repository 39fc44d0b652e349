/**
 * The delivery URL carries the loopback service's auth token (and a NATS URL
 * may carry user:password). A process's command line is readable by every
 * local user (ps, /proc/<pid>/cmdline), so the driver must not put it there.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryDelivery, serveDelivery } from '../../src/delivery/index.js'
import { AgentProcess } from '../../examples/driver.js'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined)
})

describe('examples/driver', () => {
  it('starts an agent without the delivery URL or its token on the command line', async () => {
    const service = new MemoryDelivery()
    const server = await serveDelivery(service)
    cleanup.push(() => service.close(), () => server.close())
    const dir = await mkdtemp(join(tmpdir(), 'talos-argv-'))
    cleanup.push(() => rm(dir, { recursive: true, force: true }))
    const token = server.url.slice(server.url.lastIndexOf('/') + 1)
    expect(token.length).toBeGreaterThan(16)

    const agent = await AgentProcess.start('did:talos:alice', server.url, dir)
    cleanup.push(() => agent.stop())
    // It is up: it reached the service, so it got the URL some other way.
    expect(agent.events.some((e) => e.type === 'ready')).toBe(true)
    const argv = agent.child.spawnargs.join(' ')
    expect(argv).not.toContain(token)
    expect(argv).not.toContain(server.url)
    if (process.platform === 'linux') {
      const cmdline = await readFile(`/proc/${agent.child.pid}/cmdline`, 'utf8')
      expect(cmdline).toContain('agent.ts')
      expect(cmdline).not.toContain(token)
    }
  }, 60_000)
})
