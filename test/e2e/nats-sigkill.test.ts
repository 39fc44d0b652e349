/**
 * Multi-process evidence over NATS JetStream: three agent processes
 * (examples/agent.ts) in a hybrid group, then in a sender-keys group (the
 * two persistence paths: MLS + hybrid state, and two-party sessions + sender
 * keys + prekeys); bob is killed with SIGKILL while
 * alice and carol are sending, alice commits a key update while he is down,
 * and bob is restarted from his FileStore.
 *
 * Asserts: bob ends up with every message alice and carol sent, each exactly
 * once and in each sender's order; his messages after the restart reach both
 * others exactly once; all three agree on the epoch and its authenticator.
 *
 * bob's application records the seq of the last message it handled (here:
 * the test, which receives it over IPC) and resumes with messages({ after }),
 * the documented way to make the hand-off to the application exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentProcess, type ReceivedEvent } from '../../examples/driver.js'
import { startNatsServer, type NatsServerHandle } from '../helpers/nats.js'


let nats: NatsServerHandle | undefined
const procs: AgentProcess[] = []
const dirs: string[] = []

beforeAll(async () => {
  nats = await startNatsServer()
})

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')))
  await nats?.stop()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const texts = (list: ReceivedEvent[], sender?: string): string[] => list.filter((m) => sender === undefined || m.sender === sender).map((m) => m.text)

describe.each(['hybrid', 'sender-keys'] as const)('SIGKILL and restart over NATS (%s)', (protocol) => {
  it('a member killed mid-conversation and restarted from its store loses nothing, repeats nothing, and agrees on the epoch', async () => {
    // Fresh DIDs per run: the NATS directory outlives the agents of the previous run.
    const [ALICE, BOB, CAROL] = ['alice', 'bob', 'carol'].map((n) => `did:talos:${n}-${protocol}`) as [string, string, string]
    const url = nats!.url
    const mine: string[] = []
    for (const n of ['alice', 'bob', 'carol']) mine.push(await mkdtemp(join(tmpdir(), `talos-e2e-${n}-`)))
    dirs.push(...mine)
    // Anything an agent rejects is printed: it is the first thing to look at if this test fails.
    const report = (a: AgentProcess, e: { type: string; [k: string]: unknown }): void => {
      if (e.type === 'rejected') console.error(`${a.did} rejected entry ${String(e['seq'])}: ${String(e['code'])} ${String(e['message'])}`)
    }
    const [alice, bob1, carol] = await Promise.all([ALICE, BOB, CAROL].map((d, i) => AgentProcess.start(d, url, mine[i]!, report)))
    procs.push(alice!, bob1!, carol!)

    const { group } = await alice!.request<{ group: string }>('create', { name: 'e2e', members: [BOB, CAROL], protocol })
    await Promise.all([bob1!.request('wait', { group }), carol!.request('wait', { group })])

    const N = 25
    const aliceSent: string[] = []
    const carolSent: string[] = []
    const sending = (async () => {
      for (let i = 0; i < N; i++) {
        const a = `alice ${i}`
        const c = `carol ${i}`
        await Promise.all([alice!.request('send', { group, text: a }), carol!.request('send', { group, text: c })])
        aliceSent.push(a)
        carolSent.push(c)
      }
    })()

    // Kill bob once he is in the middle of the stream.
    await bob1!.messages(12)
    await bob1!.kill('SIGKILL')
    const beforeCrash = [...bob1!.received]
    const resumeAfter = Math.max(...beforeCrash.map((m) => m.seq))

    await alice!.request('update', { group })
    await sending

    const bob2 = await AgentProcess.start(BOB, url, mine[1]!, report)
    procs.push(bob2)
    expect(bob2.events.find((e) => e.type === 'ready')!['groups']).toEqual([group])
    await bob2.request('wait', { group, after: resumeAfter })
    await bob2.messages(2 * N - beforeCrash.length)
    for (let i = 0; i < 3; i++) await bob2.request('send', { group, text: `bob ${i}` })

    const bobGot = [...beforeCrash, ...bob2.received]
    // every message exactly once, each sender's order kept
    expect(texts(bobGot, ALICE)).toEqual(aliceSent)
    expect(texts(bobGot, CAROL)).toEqual(carolSent)
    expect(bobGot.length).toBe(2 * N)
    const ids = bobGot.map((m) => `${m.seq}/${m.index}`)
    expect(new Set(ids).size).toBe(ids.length)

    await alice!.until(() => texts(alice!.received, BOB).length === 3, 30_000, "bob's messages")
    await carol!.until(() => texts(carol!.received, BOB).length === 3, 30_000, "bob's messages")
    for (const p of [alice!, carol!]) {
      expect(texts(p.received, BOB)).toEqual(['bob 0', 'bob 1', 'bob 2'])
    }
    expect(texts(alice!.received, CAROL)).toEqual(carolSent)
    expect(texts(carol!.received, ALICE)).toEqual(aliceSent)

    const states = await Promise.all([alice!, bob2, carol!].map((p) => p.request<{ epoch: string; auth: string; members: string[] }>('state', { group })))
    expect(new Set(states.map((s) => s.epoch)).size).toBe(1)
    expect(new Set(states.map((s) => s.auth)).size).toBe(1)
    expect(states[0]!.epoch).toBe('2')
    expect(states[0]!.members).toEqual([ALICE, BOB, CAROL])

    await Promise.all([alice!, bob2, carol!].map((p) => p.stop()))
  }, 90_000)
})
