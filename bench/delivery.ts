/**
 * Raw delivery throughput: opaque envelopes through each DeliveryService,
 * with no group protocol on top (the group-level bench measures that).
 *
 *   publish seq     one publish at a time, each awaited: latency-bound
 *   publish+consume a batch published with up to 256 publishes in flight
 *                   while a member's subscription reads and acks every entry;
 *                   one op = the whole batch, from first publish to last ack
 *
 * Backends: in-memory (same process), in-memory over the loopback socket
 * (serveDelivery/connectDelivery, one process here but a real TCP hop), and
 * NATS JetStream (the server at $NATS_URL, else a private nats-server).
 *
 * Run: `npx tsx bench/delivery.ts [--quick]` (prints messages per second).
 * Not a suite of bench/run.ts yet: its backends hold sockets and a child
 * process open, and the harness has no teardown hook to close them.
 */
import { randomBytes } from '../src/crypto/sodium.js'
import { MemoryDelivery } from '../src/delivery/memory/service.js'
import { NatsDelivery } from '../src/delivery/nats/service.js'
import { connectDelivery } from '../src/delivery/socket/client.js'
import { serveDelivery } from '../src/delivery/socket/server.js'
import type { DeliveryService } from '../src/delivery/types.js'
import { startNatsServer } from '../test/helpers/nats.js'

const ENVELOPE = randomBytes(1024)
const IN_FLIGHT = 256

interface Backend {
  readonly name: string
  readonly publisher: DeliveryService
  readonly subscriber: DeliveryService
  close(): Promise<void>
}

async function backends(): Promise<Backend[]> {
  const memory = new MemoryDelivery()
  const served = new MemoryDelivery()
  const server = await serveDelivery(served)
  const [pub, sub] = [await connectDelivery(server.url), await connectDelivery(server.url)]
  const external = process.env['NATS_URL']
  const nats = external ? undefined : await startNatsServer()
  const url = external ?? nats!.url
  const [npub, nsub] = [await NatsDelivery.connect({ servers: url }), await NatsDelivery.connect({ servers: url })]
  return [
    { name: 'in-memory', publisher: memory, subscriber: memory, close: () => memory.close() },
    {
      name: 'loopback socket',
      publisher: pub,
      subscriber: sub,
      close: async () => {
        await pub.close()
        await sub.close()
        await server.close()
        await served.close()
      },
    },
    {
      name: 'NATS JetStream',
      publisher: npub,
      subscriber: nsub,
      close: async () => {
        await npub.close()
        await nsub.close()
        await nats?.stop()
      },
    },
  ]
}

/** Publishes `n` envelopes with up to IN_FLIGHT outstanding. */
async function publishBatch(d: DeliveryService, groupId: Uint8Array, n: number): Promise<void> {
  const inFlight = new Set<Promise<unknown>>()
  for (let i = 0; i < n; i++) {
    const p: Promise<unknown> = d.publish(groupId, ENVELOPE, { kind: "message" }).then(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

/** One batch end to end: a fresh group, a subscriber acking every entry, the publisher pipelining. */
async function publishAndConsume(b: Backend, n: number): Promise<void> {
  const groupId = randomBytes(16)
  const sub = await b.subscriber.subscribe(groupId, 'did:talos:bench-reader')
  const reading = (async () => {
    for (let i = 0; i < n; i++) {
      const r = await sub.next()
      if (r.done) throw new Error('subscription ended early')
      await r.value.ack()
    }
  })()
  await publishBatch(b.publisher, groupId, n)
  await reading
  await sub.close()
  await b.publisher.deleteGroup(groupId)
}

/** Messages per second per backend, measured directly (no timing assertion anywhere). */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const n = quick ? 500 : 5000
  const all = await backends()
  try {
    for (const b of all) {
      const seqN = Math.min(n, 2000)
      const g = randomBytes(16)
      let t = performance.now()
      for (let i = 0; i < seqN; i++) await b.publisher.publish(g, ENVELOPE, { kind: 'message' })
      const seqRate = seqN / ((performance.now() - t) / 1000)
      await publishAndConsume(b, Math.min(n, 200)) // warm-up
      t = performance.now()
      await publishAndConsume(b, n)
      const e2eRate = n / ((performance.now() - t) / 1000)
      process.stdout.write(
        `${b.name.padEnd(16)} publish (sequential): ${Math.round(seqRate).toLocaleString('en').padStart(9)} msg/s   ` +
          `publish+consume+ack (${n} x 1 KiB): ${Math.round(e2eRate).toLocaleString('en').padStart(9)} msg/s\n`,
      )
    }
  } finally {
    for (const b of all) await b.close()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
