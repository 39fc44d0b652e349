/**
 * `npm start`: three agents, each in its own process (examples/agent.ts),
 * form a hybrid group, talk, add and then remove a member, agree on a
 * capability by consensus, and print their audit trails.
 *
 * Transport: this process serves its embedded in-memory delivery service on a
 * loopback port (serveDelivery); with NATS_URL set, the agents use NATS
 * JetStream at that URL instead. Agent state lives in temporary FileStores.
 * Finishes on its own (a watchdog stops everything after 55 s).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryDelivery, serveDelivery, type DeliveryServer } from '../src/delivery/index.js'
import { AgentProcess, type AgentEvent } from './driver.js'

const ALICE = 'did:talos:alice'
const BOB = 'did:talos:bob'
const CAROL = 'did:talos:carol'
const short = (did: string): string => did.replace('did:talos:', '')

const started = Date.now()
const say = (line: string): void => console.log(`${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s  ${line}`)

function onEvent(a: AgentProcess, e: AgentEvent): void {
  if (e.type === 'message') say(`[${short(a.did)}] <- ${short(String(e['sender']))} (epoch ${e['epoch']}): ${e['text']}`)
  else if (e.type === 'joined') say(`[${short(a.did)}] joined group ${String(e['group']).slice(0, 8)}… at epoch ${e['epoch']}`)
  else if (e.type === 'ended') say(`[${short(a.did)}] group ended for me (${e['state']})`)
  else if (e.type === 'rejected') say(`[${short(a.did)}] rejected entry ${e['seq']}: ${e['code']}`)
}

const agents: AgentProcess[] = []
const dirs: string[] = []
let server: DeliveryServer | undefined
let service: MemoryDelivery | undefined

async function cleanup(): Promise<void> {
  await Promise.all(agents.map((a) => a.stop().catch(() => a.kill())))
  await server?.close()
  await service?.close()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
}

const watchdog = setTimeout(() => {
  console.error('demo: did not finish in 55 s, stopping')
  void cleanup().finally(() => process.exit(1))
}, 55_000)

try {
  let url: string
  if (process.env['NATS_URL']) {
    url = process.env['NATS_URL']
    say(`delivery: NATS JetStream at ${url.replace(/\/\/[^@/]*@/g, '//')}`) // without any user:password in the URL
  } else {
    service = new MemoryDelivery()
    server = await serveDelivery(service)
    url = server.url
    say(`delivery: embedded in-memory service served on 127.0.0.1:${server.port}`)
  }
  for (const did of [ALICE, BOB, CAROL]) dirs.push(await mkdtemp(join(tmpdir(), `talos-demo-${short(did)}-`)))
  const [alice, bob, carol] = await Promise.all([ALICE, BOB, CAROL].map((did, i) => AgentProcess.start(did, url, dirs[i]!, onEvent)))
  agents.push(alice!, bob!, carol!)
  say('three agent processes up; KeyPackages and identity keys are in the directory')

  const { group } = await alice!.request<{ group: string }>('create', { name: 'coordination-group', members: [BOB], protocol: 'hybrid' })
  say(`[alice] created hybrid group ${group.slice(0, 8)}… with bob`)
  await bob!.request('wait', { group })

  await alice!.request('send', { group, text: 'Hello bob! Shall we split the analysis?' })
  await bob!.messages(1)
  await bob!.request('send', { group, text: 'Yes: I take the data pass, you take the write-up.' })
  await alice!.messages(1)

  say('[alice] adding carol (MLS commit, Welcome through her mailbox, new epoch)')
  await alice!.request('add', { group, did: CAROL })
  await carol!.request('wait', { group })
  await carol!.request('send', { group, text: 'Hi both, carol here. I can review.' })
  await Promise.all([alice!.messages(2), bob!.messages(2)])

  say('[alice] asking the group for tools/shared_resource, consensus required')
  const cap = await alice!.request<{ status: string; approvals: string[] }>('grant', { group, scope: 'tools/shared_resource' })
  say(`[alice] capability ${cap.status} (approved by ${cap.approvals.map(short).join(', ')})`)

  say('[alice] removing carol (commit; her keys are rotated out)')
  await alice!.request('remove', { group, did: CAROL })
  await carol!.until(() => carol!.events.some((e) => e.type === 'ended'), 20_000, 'removal')
  await alice!.request('send', { group, text: 'Back to the two of us. Thanks carol!' })
  await bob!.messages(3)

  const states = await Promise.all([alice!, bob!, carol!].map((a) => a.request<{ member: boolean; epoch?: string; members?: string[]; auth?: string }>('state', { group })))
  for (const [i, s] of states.entries()) {
    say(`[${short(agents[i]!.did)}] ${s.member ? `epoch ${s.epoch}, members ${s.members!.map(short).join(', ')}, epoch authenticator ${s.auth!.slice(0, 16)}…` : 'not a member'}`)
  }
  if (states[0]!.auth !== states[1]!.auth) throw new Error('alice and bob disagree on the epoch')

  for (const a of agents) {
    const audit = await a.request<{ verified: boolean; entries: Record<string, string | string[]>[] }>('audit')
    console.log(`\naudit trail of ${short(a.did)} (hash-chained, Ed25519-signed; verified: ${audit.verified})`)
    for (const e of audit.entries) {
      const who = e['type'] === 'GROUP_MESSAGE' ? `to ${(e['recipients'] as string[]).map(short).join(',')} content ${e['contentHash']}…` : e['member'] ? `member ${short(String(e['member']))}` : ''
      console.log(`  #${e['seq']} ${String(e['type']).padEnd(14)} epoch ${String(e['epoch']).padEnd(2)} by ${short(String(e['sender'])).padEnd(6)} ${who}`)
    }
  }
  console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  await cleanup()
  clearTimeout(watchdog)
} catch (e) {
  console.error('demo failed:', e)
  await cleanup()
  clearTimeout(watchdog)
  process.exitCode = 1
}
