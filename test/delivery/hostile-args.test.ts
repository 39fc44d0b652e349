/**
 * Whatever a caller passes (wrong types, NaN, huge numbers, null), the
 * delivery services and stores answer with a value or a TalosError: never a
 * TypeError or RangeError from deep inside.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TalosError } from '../../src/errors.js'
import { MemoryDelivery } from '../../src/delivery/memory/service.js'
import { connectDelivery } from '../../src/delivery/socket/client.js'
import { serveDelivery, type DeliveryServer } from '../../src/delivery/socket/server.js'
import type { DeliveryService } from '../../src/delivery/types.js'
import { NatsDelivery } from '../../src/delivery/nats/service.js'
import { MemoryStore } from '../../src/store/memory.js'
import { startNatsServer, type NatsServerHandle } from '../helpers/nats.js'

const anything = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(NaN),
  fc.constant(Infinity),
  fc.constant(2 ** 60),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 300 }),
  fc.constant('did:talos:ok'),
  fc.uint8Array({ maxLength: 40 }),
  fc.constant({ kind: 'commit', epoch: -1 }),
  fc.constant({ kind: 'message' }),
  fc.constant({ after: 'x' }),
  fc.array(fc.uint8Array({ maxLength: 4 }), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
)

async function onlyTalos(p: () => Promise<unknown>): Promise<void> {
  try {
    const r = await p()
    // A subscription opened by a random call must not leak.
    if (r && typeof r === 'object' && 'close' in r && typeof r.close === 'function') await r.close()
  } catch (e) {
    if (!(e instanceof TalosError)) throw new Error(`non-TalosError: ${String(e)}`)
  }
}

const calls = (d: DeliveryService): Array<(a: unknown, b: unknown, c: unknown) => Promise<unknown>> => [
  (a, b, c) => d.publish(a as never, b as never, c as never),
  (a, b, c) => d.fetch(a as never, b as never, c as never),
  (a) => d.head(a as never),
  (a, b, c) => d.subscribe(a as never, b as never, c as never),
  (a, b) => d.dropCursor(a as never, b as never),
  (a, b) => d.sendDirect(a as never, b as never),
  (a, b) => d.subscribeDirect(a as never, b as never),
  (a, b, c) => d.directory.setLastResort(a as never, b as never, c as never),
  (a, b, c) => d.directory.addOneTime(a as never, b as never, c as never),
  (a, b) => d.directory.claim(a as never, b as never),
  (a, b) => d.directory.countOneTime(a as never, b as never),
]

describe('hostile arguments', () => {
  const memory = new MemoryDelivery()
  let server: DeliveryServer
  let socket: DeliveryService
  let natsServer: NatsServerHandle
  let nats: DeliveryService
  beforeAll(async () => {
    server = await serveDelivery(new MemoryDelivery())
    socket = await connectDelivery(server.url)
    natsServer = await startNatsServer()
    nats = await NatsDelivery.connect({ servers: natsServer.url })
  })
  afterAll(async () => {
    await nats?.close()
    await natsServer?.stop()
    await socket.close()
    await server.close()
    await memory.close()
  })

  it.each([
    ['in-memory', () => memory, 400],
    ['loopback socket', () => socket, 400],
    ['NATS', () => nats, 150],
  ])('%s: every method answers a value or a TalosError', async (_name, service, numRuns) => {
    const d = service()
    await fc.assert(
      fc.asyncProperty(fc.nat(10), anything, anything, anything, async (i, a, b, c) => {
        await onlyTalos(() => calls(d)[i]!(a, b, c))
      }),
      { numRuns },
    )
    // And the service still works afterwards.
    expect((await d.publish(new Uint8Array([1]), new Uint8Array([1]), { kind: 'message' })).seq).toBeGreaterThan(0)
  })

  it('StateStore: every method answers a value or a TalosError', async () => {
    const s = new MemoryStore()
    await fc.assert(
      fc.asyncProperty(fc.nat(3), anything, anything, anything, async (i, a, b, c) => {
        const ops = [
          () => s.get(a as never),
          () => s.put(a as never, b as never, c as never),
          () => s.delete(a as never, b as never),
          () => s.list(a as never),
        ]
        await onlyTalos(ops[i]!)
      }),
      { numRuns: 300 },
    )
  })
})
