/**
 * HYBRID.md §5–§6 policy behaviour on the test tree: rekey triggers, skipped
 * key bounds and expiry, pairwise receive-key announcements and their bounds,
 * the epoch grace.
 */
import { describe, expect, it } from 'vitest'
import { HybridSession, rekeyTargets, resolvePolicy } from '../../src/hybrid/index.js'
import { decodeStateRecord } from '../../src/hybrid/state-codec.js'
import { HybridMessageType } from '../../src/proto/hybrid.js'
import { ManualClock, SimGroup, parseMessage, text } from './harness/group.js'
import { MemoryTree } from './harness/memory-tree.js'

const te = new TextEncoder()
const state = (s: HybridSession) => decodeStateRecord(s.serialize()).current!

describe('rekey triggers (§6)', () => {
  it('50 messages, 1 hour, at most one rekey per second, ping-pong only up to 256 members', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    for (let i = 0; i < 50; i++) expect((await g.send(0, `m${i}`)).message.type).toBe(HybridMessageType.DATA)
    expect((await g.send(0, 'rate limited')).message.type).toBe(HybridMessageType.DATA) // < 1 s since the epoch began
    g.clock.advance(1000)
    expect((await g.send(0, 'm51')).message.type).toBe(HybridMessageType.DATA_REKEY)
    g.clock.advance(3_600_000)
    expect((await g.send(0, 'an hour later')).message.type).toBe(HybridMessageType.DATA_REKEY)
    const big = await SimGroup.create({ leafWidth: 4 }, { pingPongMaxMembers: 3 })
    await big.broadcast(1, 'b')
    big.clock.advance(2000)
    expect((await big.send(0, 'no ping-pong in a "large" group')).message.type).toBe(HybridMessageType.DATA)
    expect(() => resolvePolicy({ maxForwardDistance: -1 })).toThrow(expect.objectContaining({ code: 'HYBRID_INVALID_POLICY' }))
  })

  it('self-commit advice after 200 sends or 24 h in the epoch', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { selfCommitAfterMessages: 3 })
    for (let i = 0; i < 2; i++) await g.send(0, `m${i}`)
    expect(g.member(0).selfCommitDue()).toBe(false)
    await g.send(0, 'm2')
    expect(g.member(0).selfCommitDue()).toBe(true)
    expect(g.member(1).selfCommitDue()).toBe(false)
    g.clock.advance(24 * 3_600_000)
    expect(g.member(1).selfCommitDue()).toBe(true)
  })

  it('auto mode: pairwise up to 16 members, copath above', async () => {
    for (const [n, mode] of [[16, 'pairwise'], [17, 'copath']] as const) {
      const g = await SimGroup.create({ leafWidth: 32, members: [...Array(n).keys()] })
      await g.broadcast(1, 'b')
      g.clock.advance(2000)
      const m = (await g.broadcast(0, 'rekey')).message
      expect(rekeyTargets(m)?.mode).toBe(mode)
      expect(rekeyTargets(m)?.entries.length).toBe(mode === 'pairwise' ? n - 1 : 5)
    }
  })
})

describe('skipped keys (§6)', () => {
  it('at most 100 per (sender, chain), the newest kept; 2000 per group, the oldest evicted', async () => {
    const tree = await MemoryTree.build({ leafWidth: 4 })
    const clock = new ManualClock()
    const opts = { policy: { rekeyAfterMessages: 1 << 30, maxSkippedPerGroup: 150 }, deps: { now: clock.now } }
    const senders = [0, 2].map((l) => HybridSession.create(tree.view(l), opts))
    const rx = HybridSession.create(tree.view(1), opts)
    const frames: Uint8Array[][] = [[], []]
    for (let i = 0; i < 300; i++) for (const k of [0, 1]) frames[k]!.push(await senders[k]!.encrypt(te.encode(`${k}/${i}`)))
    await rx.receive(0, 1n, frames[0]![250]!) // skips 250: keeps 150..249
    expect(state(rx).skipped.length).toBe(100)
    expect(state(rx).skipped[0]!.n).toBe(150)
    await rx.receive(2, 1n, frames[1]![100]!) // 100 more: the group bound (150) evicts the 50 oldest
    const st = state(rx)
    expect(st.skipped.length).toBe(150)
    expect(st.skipped.filter((k) => k.sender === 0).length).toBe(50)
    await expect(rx.receive(0, 1n, frames[0]![150]!)).rejects.toMatchObject({ code: 'HYBRID_DUPLICATE' }) // evicted
    expect((await rx.receive(0, 1n, frames[0]![249]!)).kind).toBe('messages')
  })

  it('expire after 2 rekey steps of their sender', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'copath' })
    const late = await g.broadcast(0, 'a0', [1])
    await g.broadcast(0, 'a1')
    for (let i = 0; i < 2; i++) {
      g.clock.advance(2000)
      await g.broadcast(1, `b${i}`)
      await g.broadcast(0, `rekey ${i}`)
    }
    expect(state(g.member(1)).skipped.length).toBe(0)
    await expect(g.deliver(late, 1)).rejects.toMatchObject({ code: 'HYBRID_STALE_STEP' })
  })
})

describe('pairwise receive keys (§5)', () => {
  it('a used receive key is replaced by an announced new version; at most 5 versions, none older than 7 days', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'pairwise' })
    await g.broadcast(1, 'b0')
    for (let round = 1; round <= 7; round++) {
      g.clock.advance(2000)
      const rk = await g.broadcast(0, `a rekey ${round}`) // seals to B's latest announced key
      const forB = rk.message.pairwise.find((e) => e.leaf === 1)!
      expect(forB.keyVersion).toBe(round - 1)
      const b = await g.broadcast(1, `b announces ${round}`) // B's key was used: B announces the next one
      expect(b.message.announcement?.version).toBe(round)
    }
    const versions = state(g.member(1)).ownKeys.map((k) => k.version)
    expect(versions).toEqual([3, 4, 5, 6, 7])
    g.clock.advance(8 * 24 * 3_600_000)
    await g.broadcast(1, 'b after a week') // announces v8 (an hour passed); v3..v7 are too old
    expect(state(g.member(1)).ownKeys.map((k) => k.version)).toEqual([8])
  })

  it('a member that only receives still drops its receive keys past 7 days (all but the latest)', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'pairwise' })
    await g.broadcast(1, 'b0')
    for (let round = 1; round <= 3; round++) {
      g.clock.advance(2000)
      await g.broadcast(0, `a rekey ${round}`)
      await g.broadcast(1, `b announces ${round}`)
    }
    expect(state(g.member(1)).ownKeys.map((k) => k.version)).toEqual([1, 2, 3])
    g.clock.advance(8 * 24 * 3_600_000)
    await g.broadcast(0, 'a after a week') // B only receives: its housekeeping drops v1, v2
    expect(state(g.member(1)).ownKeys.map((k) => k.version)).toEqual([3])
  })
})

describe('epoch grace (§6)', () => {
  it('previous epoch usable for 1 epoch and 10 minutes', async () => {
    const clock = new ManualClock()
    const e1 = await MemoryTree.build({ leafWidth: 4, epoch: 1n })
    const e2 = await MemoryTree.build({ leafWidth: 4, epoch: 2n })
    const e3 = await MemoryTree.build({ leafWidth: 4, epoch: 3n })
    const opts = { deps: { now: clock.now } }
    const a = HybridSession.create(e1.view(0), opts)
    const b = HybridSession.create(e1.view(1), opts)
    const old1 = await a.encrypt(te.encode('epoch 1, first'))
    const old2 = await a.encrypt(te.encode('epoch 1, second'))
    const old3 = await a.encrypt(te.encode('epoch 1, third'))
    await b.enterEpoch(e2.view(1))
    const r = await b.receive(0, 1n, old1)
    expect(r.kind === 'messages' && text(r.messages[0]!.plaintext)).toBe('epoch 1, first')
    clock.advance(10 * 60_000 + 1)
    await expect(b.receive(0, 1n, old2)).rejects.toMatchObject({ code: 'HYBRID_EPOCH_EXPIRED' })
    const c = HybridSession.create(e1.view(2), opts)
    await c.enterEpoch(e2.view(2))
    await c.enterEpoch(e3.view(2))
    await expect(c.receive(0, 1n, old3)).rejects.toMatchObject({ code: 'HYBRID_EPOCH_EXPIRED' })
    await b.expire()
    expect(decodeStateRecord(b.serialize()).previous).toBeUndefined()
    void parseMessage
  })
})
