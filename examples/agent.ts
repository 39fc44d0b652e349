/**
 * One agent in its own process, driven over Node's IPC channel by a parent
 * (examples/demo.ts, test/e2e/). It is what an agent framework would do with
 * talos-group, minus the LLM:
 *
 *   TALOS_DELIVERY_URL=<delivery url> node --import tsx examples/agent.ts <did> <state dir>
 *
 *   delivery url   talos-delivery://127.0.0.1:<port>/<token>  (the parent's embedded service)
 *                  nats://host:port                           (NATS JetStream)
 *   state dir      a FileStore: restarting the process with the same dir resumes the agent
 *
 * The URL comes in the environment, not argv: it holds the service's auth
 * token (or NATS credentials), and any local user can read a command line.
 * It is removed from process.env once read so nothing this process spawns
 * inherits it (/proc/<pid>/environ keeps the initial copy, readable only by
 * this user and root).
 *
 * Requests (parent -> agent): { id, op, ...args }; replies: { type: 'reply', id, ok, result | error }.
 * Events (agent -> parent): { type: 'ready' | 'message' | 'joined' | 'rejected' | 'log' }.
 * Received messages are reported (written to the IPC channel) before the
 * next one is taken from the group, so a message counts as consumed only
 * once the parent has it: the parent plays the application's durable record.
 */
import { Client, type Group } from '../src/group/index.js'
import { connectDelivery, NatsDelivery, type DeliveryService } from '../src/delivery/index.js'
import { FileStore } from '../src/store/index.js'
import { AuditEventType } from '../src/audit/index.js'
import { isTalosError } from '../src/errors.js'

type Request = { id: number; op: string; [k: string]: unknown }

const [did, dir] = process.argv.slice(2) as [string, string]
const url = process.env['TALOS_DELIVERY_URL'] ?? ''
delete process.env['TALOS_DELIVERY_URL']
if (url === '') {
  console.error('agent: TALOS_DELIVERY_URL is not set')
  process.exit(2)
}
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const send = (m: object): void => {
  process.send?.(m)
}
/** Resolves once `m` is written to the IPC channel (the parent reads it even if we die right after). */
const sendDurably = (m: object): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) resolve()
    else process.send(m, undefined, {}, () => resolve())
  })

const delivery: DeliveryService = url.startsWith('nats://') ? await NatsDelivery.connect({ servers: url }) : await connectDelivery(url)
const store = await FileStore.open(dir)
const client = await Client.create({ did, delivery, store, capabilityPolicy: () => 'approve' })
const reading = new Set<string>()

client.on('joined', (g) => send({ type: 'joined', group: g.id, epoch: String(g.epoch) }))
client.on('rejected', (r) => send({ type: 'rejected', seq: r.seq, code: r.error.code, message: r.error.message }))

function read(g: Group, after: number | undefined): void {
  if (reading.has(g.id)) return
  reading.add(g.id)
  void (async () => {
    for await (const m of g.messages(after === undefined ? {} : { after })) {
      // The parent is this agent's durable record: the message counts as handled (and the
      // next one is taken, which consumes it) only once the parent has it.
      await sendDurably({ type: 'message', group: g.id, sender: m.sender, text: dec(m.plaintext), epoch: String(m.epoch), seq: m.seq, index: m.index })
    }
    send({ type: 'ended', group: g.id, state: g.state })
  })()
}

function group(id: unknown): Group {
  const g = client.group(String(id))
  if (g === undefined) throw Object.assign(new Error(`no group ${String(id)}`), { code: 'GROUP_NOT_A_MEMBER' })
  return g
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'create': {
      const g = await client.createGroup({ name: String(req['name']), members: req['members'] as string[], protocol: req['protocol'] as 'hybrid' })
      read(g, undefined)
      return { group: g.id, epoch: String(g.epoch) }
    }
    case 'wait': {
      const g = await client.waitForGroup(String(req['group']))
      read(g, req['after'] as number | undefined)
      return { epoch: String(g.epoch) }
    }
    case 'send':
      return { seq: (await group(req['group']).send(enc(String(req['text'])))).seq }
    case 'add':
      await group(req['group']).addMember(String(req['did']))
      return {}
    case 'remove':
      await group(req['group']).removeMember(String(req['did']))
      return {}
    case 'update':
      await group(req['group']).update()
      return {}
    case 'state': {
      const g = client.group(String(req['group']))
      if (g === undefined) return { member: false }
      await g.sync()
      return { member: true, epoch: String(g.epoch), members: g.members().sort(), auth: Buffer.from(g.epochAuthenticator()).toString('hex') }
    }
    case 'grant': {
      const cap = await client.grantGroupCapability({ groupId: String(req['group']), scope: String(req['scope']), requireConsensus: true })
      const s = await cap.settled()
      return { status: s.status, approvals: cap.approvals.map((a) => a.approver) }
    }
    case 'audit': {
      const entries = await client.auditEntries()
      const verified = await client.verifyAudit()
      return {
        verified: verified.ok,
        entries: entries.map((e) => ({
          seq: String(e.seq),
          type: AuditEventType[e.event!.type],
          sender: e.event!.sender,
          member: e.event!.member,
          recipients: e.event!.recipients,
          epoch: String(e.event!.epoch),
          contentHash: Buffer.from(e.event!.contentHash).toString('hex').slice(0, 16),
          hash: Buffer.from(e.prevHash).toString('hex').slice(0, 12),
        })),
      }
    }
    case 'exit':
      setImmediate(() => void shutdown(0))
      return {}
    default:
      throw Object.assign(new Error(`unknown op ${req.op}`), { code: 'GROUP_INVALID_ARGUMENT' })
  }
}

async function shutdown(code: number): Promise<void> {
  await client.close().catch(() => undefined)
  await delivery.close().catch(() => undefined)
  await store.close().catch(() => undefined)
  process.exit(code)
}

process.on('message', (req: Request) => {
  handle(req).then(
    (result) => send({ type: 'reply', id: req.id, ok: true, result }),
    (e: unknown) =>
      send({ type: 'reply', id: req.id, ok: false, error: { code: isTalosError(e) ? e.code : ((e as { code?: string }).code ?? 'ERROR'), message: String((e as Error)?.message ?? e) } }),
  )
})
process.on('disconnect', () => void shutdown(0))

send({ type: 'ready', did, groups: client.groups().map((g) => g.id) })
