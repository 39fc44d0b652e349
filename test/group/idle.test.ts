/**
 * Idle members (HYBRID.md §9, src/group/idle.ts): activity tracked from
 * authenticated log entries on an injected clock, persisted across a restart;
 * with evictIdleAfterMs, exactly the designated member evicts the idle ones
 * through an ordinary commit (audited as an idle eviction), never itself; an
 * offline evictor becomes idle and the next member evicts it with the rest.
 * Disabled by default. Every protocol the Client supports.
 */
import { describe, expect, it } from 'vitest'
import { Client, type Group } from '../../src/group/index.js'
import { AuditEventType, RemovalReason } from '../../src/audit/index.js'
import type { DeliveryService } from '../../src/delivery/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { MAX_EVICT_IDLE_AFTER_MS } from '../../src/group/idle.js'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { Envelope } from '../../src/proto/envelope.js'
import { agents, closeAll, did, enc, type Agent } from './helpers.js'

const E = 60_000
const T0 = 1_700_000_000_000

/** One clock for every client of a test: it moves only when the test says so. */
function fakeClock(): { now: () => number; set: (t: number) => void } {
  let t = T0
  return { now: () => t, set: (v) => void (t = v) }
}

/** Every group applied the whole log, and nothing more is coming (the hub's relays included). */
async function settle(delivery: DeliveryService, groups: Group[]): Promise<void> {
  for (;;) {
    const before = (await delivery.head(groups[0]!.idBytes)).lastSeq
    for (const g of groups) await g.sync()
    if ((await delivery.head(groups[0]!.idBytes)).lastSeq === before) return
  }
}

/** 'error' events of these groups (a member that is not allowed to commit trying to would show here). */
function errorsOf(groups: Group[]): string[] {
  const out: string[] = []
  for (const g of groups) g.on('error', (e) => out.push(e.code))
  return out
}

async function removals(a: Agent): Promise<{ sender: string; member: string; reason: RemovalReason; epoch: bigint }[]> {
  return (await a.client.auditEntries())
    .map((e) => e.event!)
    .filter((e) => e.type === AuditEventType.MEMBER_REMOVED)
    .map((e) => ({ sender: e.sender, member: e.member, reason: e.reason, epoch: e.epoch }))
}

for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
  describe(`idle members (${protocol})`, () => {
    it('tracks activity over messages, capability answers and commits; removed members are dropped; survives a restart', async () => {
      const clock = fakeClock()
      const { delivery, agents: a } = await agents(['alice', 'bob', 'carol', 'dave'], new MemoryDelivery(), { now: clock.now })
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      let gc = await a.carol!.client.waitForGroup(g.id)
      await settle(delivery, [g, gb, gc])
      for (const x of [g, gb, gc]) expect(x.idleMembers().map((m) => m.idleMs)).toEqual([0, 0, 0])

      clock.set(T0 + 1000)
      await gb.send(enc('b1'))
      await settle(delivery, [g, gb, gc])
      clock.set(T0 + 2000)
      const cap = await g.grantCapability('deploy', false)
      await settle(delivery, [g, gb, gc])
      clock.set(T0 + 2500)
      await gc.answerCapability(cap.id, 'approve')
      await settle(delivery, [g, gb, gc])
      clock.set(T0 + 3000)
      const seen = [
        { did: did('bob'), idleMs: 2000 },
        { did: did('alice'), idleMs: 1000 },
        { did: did('carol'), idleMs: 500 },
      ]
      for (const x of [g, gb, gc]) expect(x.idleMembers()).toEqual(seen)
      expect(g.idleMembers(1000)).toEqual(seen.slice(0, 2))

      // Commits: the committer is active, an added member counts from its joining, a removed one is dropped.
      clock.set(T0 + 4000)
      await g.addMember(did('dave'))
      const gd = await a.dave!.client.waitForGroup(g.id)
      await settle(delivery, [g, gb, gc, gd])
      clock.set(T0 + 5000)
      expect(g.idleMembers()).toEqual([
        { did: did('bob'), idleMs: 4000 },
        { did: did('carol'), idleMs: 2500 },
        { did: did('alice'), idleMs: 1000 },
        { did: did('dave'), idleMs: 1000 },
      ])
      // Only the hub commits in a coordinator group.
      await (protocol === 'coordinator' ? g : gc).removeMember(did('dave'))
      await settle(delivery, [g, gb, gc])
      clock.set(T0 + 6000)
      const after =
        protocol === 'coordinator'
          ? [
              { did: did('bob'), idleMs: 5000 },
              { did: did('carol'), idleMs: 3500 },
              { did: did('alice'), idleMs: 1000 },
            ]
          : [
              { did: did('bob'), idleMs: 5000 },
              { did: did('alice'), idleMs: 2000 },
              { did: did('carol'), idleMs: 1000 },
            ]
      for (const x of [g, gb, gc]) expect(x.idleMembers()).toEqual(after)

      // A restart neither resets nor loses it.
      await a.carol!.client.close()
      clock.set(T0 + 7000)
      const carol2 = await Client.create({ did: did('carol'), delivery, store: a.carol!.store, keyPackages: 4, now: clock.now })
      gc = await carol2.waitForGroup(g.id)
      expect(gc.idleMembers()).toEqual(after.map((m) => ({ ...m, idleMs: m.idleMs + 1000 })))
      await carol2.close()
      await closeAll([a.alice!, a.bob!, a.dave!])
    })

    it('entries the protocol rejects (replays, re-attributions to another member) are no activity', async () => {
      const clock = fakeClock()
      const { delivery, agents: a } = await agents(['alice', 'bob', 'carol'], new MemoryDelivery(), { now: clock.now })
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
      const [gb, gc] = await Promise.all(['bob', 'carol'].map((n) => a[n]!.client.waitForGroup(g.id)))
      await settle(delivery, [g, gb!, gc!])
      clock.set(T0 + 1000)
      const { seq } = await gb!.send(enc('b'))
      await g.send(enc('a'))
      await settle(delivery, [g, gb!, gc!])
      const rejected: number[] = []
      for (const x of [g, gc!]) x.on('rejected', (r) => rejected.push(r.seq))
      clock.set(T0 + 5000)
      for (const e of (await delivery.fetch(g.idBytes, seq)).filter((x) => x.kind === 'message')) {
        await delivery.publish(g.idBytes, e.bytes, { kind: 'message' })
        const env = decodeProto(Envelope, e.bytes)
        await delivery.publish(g.idBytes, encodeProto(Envelope, { ...env, senderDid: did('bob') }), { kind: 'message' })
      }
      await settle(delivery, [g, gb!, gc!])
      expect(rejected.length).toBeGreaterThan(0)
      const seen = [
        { did: did('carol'), idleMs: 5000 },
        { did: did('alice'), idleMs: 4000 },
        { did: did('bob'), idleMs: 4000 },
      ]
      for (const x of [g, gc!]) expect(x.idleMembers()).toEqual(seen)
      await closeAll(Object.values(a))
    })

    it('eviction is disabled by default: idle members are reported, not removed', async () => {
      const clock = fakeClock()
      const { delivery, agents: a } = await agents(['alice', 'bob'], new MemoryDelivery(), { now: clock.now })
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      await settle(delivery, [g, gb])
      await a.bob!.client.close()
      const epoch = g.epoch
      clock.set(T0 + 10 * MAX_EVICT_IDLE_AFTER_MS)
      await g.send(enc('anyone?'))
      await g.sync()
      expect(g.epoch).toBe(epoch)
      expect(g.members()).toContain(did('bob'))
      expect(g.idleMembers(MAX_EVICT_IDLE_AFTER_MS)).toEqual([{ did: did('bob'), idleMs: 10 * MAX_EVICT_IDLE_AFTER_MS }])
      await closeAll([a.alice!])
    })

    if (protocol === 'coordinator') {
      it('only the hub evicts (even when it is idle itself), and never itself', async () => {
        const clock = fakeClock()
        const { delivery, agents: a } = await agents(['alice', 'bob', 'carol', 'dave'], new MemoryDelivery(), { now: clock.now, evictIdleAfterMs: E })
        const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol'), did('dave')], protocol })
        const [gb, gc, gd] = await Promise.all(['bob', 'carol', 'dave'].map((n) => a[n]!.client.waitForGroup(g.id)))
        const errors = errorsOf([g, gb!, gc!, gd!])
        for (const x of [gb!, gc!, gd!]) await x.send(enc('hello'))
        await settle(delivery, [g, gb!, gc!, gd!])
        await a.dave!.client.close()
        clock.set(T0 + E / 2)
        for (const x of [gb!, gc!]) await x.send(enc('still here'))
        await settle(delivery, [g, gb!, gc!])
        const epoch = g.epoch
        clock.set(T0 + E + 1)
        // alice (the hub) never sent anything of her own: idle, yet the only member that may evict.
        expect(gb!.idleMembers(E).map((m) => m.did)).toEqual([did('alice'), did('dave')])
        for (const x of [gb!, gc!]) await x.sync()
        expect(gb!.epoch).toBe(epoch)
        await g.sync()
        await settle(delivery, [g, gb!, gc!])
        for (const x of [g, gb!, gc!]) expect(x.members()).toEqual([did('alice'), did('bob'), did('carol')])
        expect(g.epoch).toBe(epoch + 1n)
        expect(await removals(a.alice!)).toEqual([{ sender: did('alice'), member: did('dave'), reason: RemovalReason.IDLE, epoch: epoch + 1n }])
        expect(await removals(a.bob!)).toEqual([{ sender: did('alice'), member: did('dave'), reason: RemovalReason.REMOVAL_REASON_UNSPECIFIED, epoch: epoch + 1n }])
        expect(errors).toEqual([])
        await closeAll([a.alice!, a.bob!, a.carol!])
      })
    } else {
      it('the designated member alone evicts; an offline evictor becomes idle and the next member evicts it with the rest', async () => {
        const clock = fakeClock()
        const { delivery, agents: a } = await agents(['alice', 'bob', 'carol', 'dave'], new MemoryDelivery(), { now: clock.now, evictIdleAfterMs: E })
        const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol'), did('dave')], protocol })
        const [gb, gc, gd] = await Promise.all(['bob', 'carol', 'dave'].map((n) => a[n]!.client.waitForGroup(g.id)))
        const errors = errorsOf([g, gb!, gc!, gd!])
        for (const x of [g, gb!, gc!, gd!]) await x.send(enc('hello'))
        await settle(delivery, [g, gb!, gc!, gd!])
        expect(g.members()).toEqual([did('alice'), did('bob'), did('carol'), did('dave')])

        // 1. dave goes away; alice, first in order and active, evicts him; bob and carol do not act.
        await a.dave!.client.close()
        clock.set(T0 + E / 2)
        for (const x of [g, gb!, gc!]) await x.send(enc('still here'))
        await settle(delivery, [g, gb!, gc!])
        const e0 = g.epoch
        clock.set(T0 + E + 1)
        for (const x of [gb!, gc!]) await x.sync()
        expect(gb!.epoch).toBe(e0)
        expect(gb!.members()).toContain(did('dave'))
        await g.sync()
        await settle(delivery, [g, gb!, gc!])
        for (const x of [g, gb!, gc!]) {
          expect(x.members()).toEqual([did('alice'), did('bob'), did('carol')])
          expect(x.epoch).toBe(e0 + 1n)
        }
        expect(await removals(a.alice!)).toEqual([{ sender: did('alice'), member: did('dave'), reason: RemovalReason.IDLE, epoch: e0 + 1n }])
        expect(await removals(a.bob!)).toEqual([{ sender: did('alice'), member: did('dave'), reason: RemovalReason.REMOVAL_REASON_UNSPECIFIED, epoch: e0 + 1n }])

        // 2. carol, then alice (the designated evictor) go away. While alice is not yet idle, nobody acts
        //    (she would, but she is offline); once she is, bob, next in order, evicts both in one commit.
        const t1 = T0 + E + 1
        clock.set(t1 + 1000)
        for (const x of [gb!, gc!]) await x.send(enc('before carol leaves'))
        await settle(delivery, [g, gb!, gc!])
        await a.carol!.client.close()
        clock.set(t1 + 2000)
        await g.send(enc('before alice leaves'))
        await settle(delivery, [g, gb!])
        await a.alice!.client.close()
        clock.set(t1 + 1000 + E + 1)
        await gb!.send(enc('bob keeps talking'))
        await gb!.sync()
        expect(gb!.idleMembers(E).map((m) => m.did)).toEqual([did('carol')])
        expect(gb!.epoch).toBe(e0 + 1n)
        clock.set(t1 + 2000 + E + 1)
        await gb!.sync()
        expect(gb!.members()).toEqual([did('bob')])
        expect(gb!.epoch).toBe(e0 + 2n)
        expect((await removals(a.bob!)).slice(1)).toEqual([
          { sender: did('bob'), member: did('alice'), reason: RemovalReason.IDLE, epoch: e0 + 2n },
          { sender: did('bob'), member: did('carol'), reason: RemovalReason.IDLE, epoch: e0 + 2n },
        ])
        // bob never evicts himself, though he is now idle in turn.
        clock.set(t1 + 2000 + 3 * E)
        await gb!.sync()
        expect(gb!.members()).toEqual([did('bob')])
        expect(gb!.state).toBe('active')
        expect(errors).toEqual([])
        await closeAll([a.bob!])
      })
    }
  })
}

describe('idle eviction options', () => {
  it('evictIdleAfterMs and now are checked: GROUP_INVALID_ARGUMENT', async () => {
    const delivery = new MemoryDelivery()
    for (const evictIdleAfterMs of [0, -1, 999, 1.5, MAX_EVICT_IDLE_AFTER_MS + 1, Number.NaN, Infinity, '60000', null]) {
      await expect(
        Client.create({ did: did('x'), delivery, store: new MemoryStore(), evictIdleAfterMs: evictIdleAfterMs as number }),
      ).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })
    }
    await expect(Client.create({ did: did('x'), delivery, store: new MemoryStore(), now: 5 as unknown as () => number })).rejects.toMatchObject({
      code: 'GROUP_INVALID_ARGUMENT',
    })
    const c = await Client.create({ did: did('x'), delivery, store: new MemoryStore(), keyPackages: 1, evictIdleAfterMs: MAX_EVICT_IDLE_AFTER_MS })
    const g = await c.createGroup({ name: 'g', members: [], protocol: 'mls' })
    for (const bad of [-1, 1.5, Number.NaN, '5']) expect(() => g.idleMembers(bad as number)).toThrow(expect.objectContaining({ code: 'GROUP_INVALID_ARGUMENT' }))
    await c.close()
  })
})
