import { describe, expect, it } from 'vitest'
import { TalosError } from '../../src/errors.js'
import { MemoryDelivery } from '../../src/delivery/memory/service.js'
import { deliveryContract } from './contract.js'

deliveryContract('in-memory', async () => {
  const service = new MemoryDelivery()
  return {
    // One process: every "client" is a view of the same instance whose close() affects only that view.
    connect: async () => {
      let closed = false
      return new Proxy(service, {
        get: (t, k) => {
          if (k === 'close') return async () => void (closed = true)
          const v = Reflect.get(t, k, t)
          if (typeof v !== 'function') return v
          return (...args: unknown[]) =>
            closed ? Promise.reject(new TalosError('DELIVERY_CLOSED', 'closed view')) : v.apply(t, args)
        },
      })
    },
    close: () => service.close(),
  }
})

describe('MemoryDelivery limits', () => {
  it('refuses to grow a log beyond maxLogBytes (DELIVERY_LOG_FULL), keeping what it holds', async () => {
    const d = new MemoryDelivery({ maxLogBytes: 10 })
    const g = new Uint8Array([1])
    await d.publish(g, new Uint8Array(6), { kind: 'message' })
    await expect(d.publish(g, new Uint8Array(5), { kind: 'message' })).rejects.toMatchObject({ code: 'DELIVERY_LOG_FULL' })
    await d.publish(g, new Uint8Array(4), { kind: 'message' })
    expect((await d.head(g)).lastSeq).toBe(2)
  })

  it('hands out copies: a reader mutating its bytes does not change the log', async () => {
    const d = new MemoryDelivery()
    const g = new Uint8Array([2])
    const env = new Uint8Array([1, 2, 3])
    await d.publish(g, env, { kind: 'message' })
    env[0] = 9
    const [e] = await d.fetch(g, 1)
    e!.bytes[1] = 9
    expect([...(await d.fetch(g, 1))[0]!.bytes]).toEqual([1, 2, 3])
  })
})
