/**
 * End-to-end group throughput: messages per second through the whole stack
 * (Client/Group -> protocol -> envelope -> delivery service -> every other
 * member's ordered, persisted processing -> its messages() iterator), for
 * n = 16 members, per protocol, per delivery service.
 *
 *   one run   every member sends M/n messages (members in parallel, each
 *             member's sends one after another), and the clock stops when
 *             every member has taken from messages() all M - M/n messages of
 *             the others
 *   msg/s     M / elapsed: group messages delivered to the whole group
 *   deliv/s   M x (n-1) / elapsed: decryptions handed to applications
 *
 * Each member has its own MemoryStore (state persisted per entry and per
 * send, as in production, minus the disk) and its own connection to the
 * delivery service. Backends: in-memory (one process), the in-memory service
 * over the loopback socket, NATS JetStream ($NATS_URL, else a private
 * nats-server). Protocols: those the Client offers (GROUP_PROTOCOLS minus the
 * ones it refuses).
 *
 * Run: `npx tsx bench/e2e.ts [--quick] [--n 16]`. Standalone like
 * bench/delivery.ts (its backends hold sockets and a child process, which
 * the suite harness cannot tear down). Writes bench/results/e2e.json.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client, GROUP_PROTOCOLS, SUPPORTED_PROTOCOLS, type Group, type GroupProtocol } from '../src/group/index.js'
import { MemoryDelivery, NatsDelivery, connectDelivery, serveDelivery, type DeliveryService } from '../src/delivery/index.js'
import { MemoryStore } from '../src/store/index.js'
import { startNatsServer } from '../test/helpers/nats.js'
import { RESULTS_DIR, machine, machineLine } from './harness.js'

interface Backend {
  readonly name: string
  /** A connection for one member. */
  connect(): Promise<DeliveryService>
  close(): Promise<void>
}

async function backends(): Promise<Backend[]> {
  const out: Backend[] = []
  const memory = new MemoryDelivery()
  out.push({ name: 'in-memory', connect: async () => memory, close: () => memory.close() })
  const served = new MemoryDelivery()
  const server = await serveDelivery(served)
  const sockets: DeliveryService[] = []
  out.push({
    name: 'loopback socket',
    connect: async () => {
      const d = await connectDelivery(server.url)
      sockets.push(d)
      return d
    },
    close: async () => {
      for (const d of sockets) await d.close()
      await server.close()
      await served.close()
    },
  })
  const external = process.env['NATS_URL']
  const nats = external ? undefined : await startNatsServer()
  const url = external ?? nats!.url
  const conns: DeliveryService[] = []
  out.push({
    name: 'NATS JetStream',
    connect: async () => {
      const d = await NatsDelivery.connect({ servers: url })
      conns.push(d)
      return d
    },
    close: async () => {
      for (const d of conns) await d.close()
      await nats?.stop()
    },
  })
  return out
}

interface Row {
  backend: string
  protocol: GroupProtocol
  n: number
  messages: number
  seconds: number
  messagesPerSec: number
  deliveriesPerSec: number
}

let runId = 0

async function run(backend: Backend, protocol: GroupProtocol, n: number, perMember: number): Promise<Row> {
  const tag = `b${Date.now().toString(36)}r${runId++}`
  const clients: Client[] = []
  for (let i = 0; i < n; i++) {
    clients.push(await Client.create({ did: `did:talos:${tag}m${i}`, delivery: await backend.connect(), store: new MemoryStore(), keyPackages: 1 }))
  }
  const creator = clients[0]!
  const g0 = await creator.createGroup({ name: 'bench', members: clients.slice(1).map((c) => c.did), protocol })
  const groups: Group[] = [g0, ...(await Promise.all(clients.slice(1).map((c) => c.waitForGroup(g0.id))))]
  await Promise.all(groups.map((g) => g.sync()))
  const payload = new Uint8Array(256).fill(7)
  const expected = perMember * (n - 1)

  const t0 = performance.now()
  const readers = groups.map(async (g) => {
    let got = 0
    if (expected === 0) return
    for await (const _ of g.messages()) {
      void _
      if (++got === expected) break
    }
  })
  const senders = groups.map(async (g) => {
    for (let i = 0; i < perMember; i++) await g.send(payload)
  })
  await Promise.all([...senders, ...readers])
  const seconds = (performance.now() - t0) / 1000

  for (const c of clients) await c.close()
  const messages = perMember * n
  return {
    backend: backend.name,
    protocol,
    n,
    messages,
    seconds,
    messagesPerSec: messages / seconds,
    deliveriesPerSec: (messages * (n - 1)) / seconds,
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const nIdx = args.indexOf('--n')
  const n = nIdx >= 0 ? Number(args[nIdx + 1]) : 16
  const perMember = quick ? 5 : 25
  const protocols = GROUP_PROTOCOLS.filter((p) => SUPPORTED_PROTOCOLS.includes(p))
  const rows: Row[] = []
  const list = await backends()
  try {
    for (const b of list) {
      for (const p of protocols) {
        process.stderr.write(`e2e: ${b.name} / ${p} / n=${n} ...`)
        const r = await run(b, p, n, perMember)
        process.stderr.write(` ${r.messagesPerSec.toFixed(0)} msg/s\n`)
        rows.push(r)
      }
    }
  } finally {
    for (const b of list) await b.close()
  }
  const m = machine()
  const table = [
    `### End to end, n = ${n} (${quick ? 'quick' : 'default'}: ${perMember} messages per member, 256-byte payloads)`,
    '',
    '| delivery | protocol | messages | seconds | msg/s (to whole group) | deliveries/s |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.backend} | ${r.protocol} | ${r.messages} | ${r.seconds.toFixed(2)} | ${r.messagesPerSec.toFixed(0)} | ${r.deliveriesPerSec.toFixed(0)} |`,
    ),
    '',
    machineLine(m),
  ].join('\n')
  process.stdout.write(`\n${table}\n`)
  writeFileSync(join(RESULTS_DIR, 'e2e.json'), JSON.stringify({ suite: 'e2e', mode: quick ? 'quick' : 'default', machine: m, results: rows }, null, 2) + '\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
