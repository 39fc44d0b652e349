/**
 * The point of the loopback server: an agent in another process uses the
 * embedded in-memory service of this one. A real child process (node + tsx)
 * talks to it over 127.0.0.1.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { randomBytes } from '../../src/crypto/sodium.js'
import { MemoryDelivery } from '../../src/delivery/memory/service.js'
import { serveDelivery } from '../../src/delivery/socket/server.js'

const CHILD = fileURLToPath(new URL('./fixtures/agent-process.ts', import.meta.url))
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('in-memory delivery served to another process', () => {
  it('a child process reads the log, answers, and its commit races ours under the same exclusivity', async () => {
    const service = new MemoryDelivery()
    const server = await serveDelivery(service)
    const g = randomBytes(16)
    await service.publish(g, enc('c0'), { kind: 'commit', epoch: 0 })
    for (let i = 1; i <= 3; i++) await service.publish(g, enc(`ping ${i}`), { kind: 'message' })

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, server.url, Buffer.from(g).toString('hex')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)

    const log = (await service.fetch(g, 1)).map((e) => `${e.kind}:${dec(e.bytes)}`)
    expect(log).toEqual([
      'commit:c0',
      'message:ping 1',
      'message:ping 2',
      'message:ping 3',
      'message:pong 1',
      'message:pong 2',
      'message:pong 3',
      'commit:child commit',
    ])
    // The child's commit took epoch 1: ours for the same epoch loses.
    await expect(service.publish(g, enc('ours'), { kind: 'commit', epoch: 1 })).rejects.toMatchObject({ code: 'DELIVERY_CONFLICT' })
    await server.close()
    await service.close()
  })
})
