/**
 * Concurrent commits: the delivery service lets exactly one commit per epoch
 * land; the loser gets DELIVERY_CONFLICT, processes the winner from the log
 * and retries on the new epoch. Nobody forks: every member ends in the same
 * epoch with the same epoch authenticator and the same member list.
 */
import { describe, expect, it } from 'vitest'
import { MemoryDelivery } from '../../src/delivery/index.js'
import type { Group } from '../../src/group/index.js'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'
import { commitBarrier } from './wrappers.js'

async function agree(groups: Group[]): Promise<void> {
  for (const g of groups) await g.sync()
  const [first, ...rest] = groups
  for (const g of rest) {
    expect(g.epoch).toBe(first!.epoch)
    expect(g.epochAuthenticator()).toEqual(first!.epochAuthenticator())
    expect(g.members().sort()).toEqual(first!.members().sort())
  }
}

for (const protocol of ['mls', 'hybrid', 'sender-keys'] as const) {
  describe(`concurrent commits (${protocol})`, () => {
    it('two members add different agents at once: one lands, the loser retries on the new epoch, both end up added', async () => {
      const race = commitBarrier(new MemoryDelivery())
      const { agents: a } = await agents(['alice', 'bob', 'carol', 'dave', 'erin'], race.delivery)
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      const gc = await a.carol!.client.waitForGroup(g.id)
      const epoch = g.epoch
      const landedBefore = race.landed()
      race.arm(2)
      await Promise.all([g.addMember(did('dave')), gb.addMember(did('erin'))])
      expect(race.conflicts()).toBe(1)
      expect(race.landed() - landedBefore).toBe(2)
      const gd = await a.dave!.client.waitForGroup(g.id)
      const ge = await a.erin!.client.waitForGroup(g.id)
      await agree([g, gb, gc, gd, ge])
      expect(g.epoch).toBe(epoch + 2n)
      expect(g.members().length).toBe(5)
      await ge.send(enc('erin here'))
      for (const x of [g, gb, gc, gd]) expect(dec((await take(x, 1))[0]!.plaintext)).toBe('erin here')
      await closeAll(Object.values(a))
    })

    it('two members remove the same member at once: one commit lands, the other becomes a no-op', async () => {
      const race = commitBarrier(new MemoryDelivery())
      const { agents: a } = await agents(['alice', 'bob', 'carol'], race.delivery)
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      await a.carol!.client.waitForGroup(g.id)
      const epoch = g.epoch
      race.arm(2)
      await Promise.all([g.removeMember(did('carol')), gb.removeMember(did('carol'))])
      expect(race.conflicts()).toBe(1)
      await agree([g, gb])
      expect(g.epoch).toBe(epoch + 1n)
      expect(g.members().sort()).toEqual([did('alice'), did('bob')])
      await closeAll(Object.values(a))
    })

    it('three members commit at once (add, remove, update): all three land in some order, no fork', async () => {
      const race = commitBarrier(new MemoryDelivery())
      const { agents: a } = await agents(['alice', 'bob', 'carol', 'dave', 'erin'], race.delivery)
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol'), did('dave')], protocol })
      const gb = await a.bob!.client.waitForGroup(g.id)
      const gc = await a.carol!.client.waitForGroup(g.id)
      await a.dave!.client.waitForGroup(g.id)
      const epoch = g.epoch
      race.arm(3)
      await Promise.all([g.addMember(did('erin')), gb.removeMember(did('dave')), gc.update()])
      expect(race.conflicts()).toBeGreaterThanOrEqual(2)
      const ge = await a.erin!.client.waitForGroup(g.id)
      await agree([g, gb, gc, ge])
      expect(g.epoch).toBe(epoch + 3n)
      expect(g.members().sort()).toEqual([did('alice'), did('bob'), did('carol'), did('erin')])
      await closeAll(Object.values(a))
    })
  })
}
