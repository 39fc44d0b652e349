import { describe, expect, it } from 'vitest'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'

for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
  describe(`Client/Group over MemoryDelivery: ${protocol}`, () => {
    it('creates a group, exchanges messages, adds and removes members, all agree on the epoch', async () => {
      const { agents: a } = await agents(['alice', 'bob', 'carol', 'dave'])
      const alice = a.alice!.client
      const g = await alice.createGroup({ name: 'coordination-group', members: [did('bob'), did('carol')], protocol })
      expect(g.members().sort()).toEqual([did('alice'), did('bob'), did('carol')])
      const gb = await a.bob!.client.waitForGroup(g.id)
      const gc = await a.carol!.client.waitForGroup(g.id)
      expect(gb.protocol).toBe(protocol)
      await g.send(enc('Hello everyone!'))
      await gb.send(enc('hi from bob'))
      const [mb] = await take(gb, 1)
      expect(mb!.sender).toBe(did('alice'))
      expect(dec(mb!.plaintext)).toBe('Hello everyone!')
      expect(mb!.protocol).toBe(protocol)
      const mc = await take(gc, 2)
      expect(mc.map((m) => `${m.sender}:${dec(m.plaintext)}`)).toEqual([`${did('alice')}:Hello everyone!`, `${did('bob')}:hi from bob`])
      const ma = await take(g, 1)
      expect(dec(ma[0]!.plaintext)).toBe('hi from bob')

      await g.addMember(did('dave'))
      const gd = await a.dave!.client.waitForGroup(g.id)
      expect(gd.members().sort()).toEqual([did('alice'), did('bob'), did('carol'), did('dave')])
      await gd.send(enc('dave here'))
      for (const x of [g, gb, gc]) expect(dec((await take(x, 1))[0]!.plaintext)).toBe('dave here')

      if (protocol === 'coordinator') {
        // Only the hub (the creator) changes a coordinator group's membership.
        await expect(gb.removeMember(did('carol'))).rejects.toMatchObject({ code: 'GROUP_NOT_COORDINATOR' })
        await g.removeMember(did('carol'))
      } else {
        await gb.removeMember(did('carol'))
      }
      await g.sync()
      await gd.sync()
      for (const x of [g, gb, gd]) {
        expect(x.epoch).toBe(gb.epoch)
        expect(x.members().sort()).toEqual([did('alice'), did('bob'), did('dave')])
      }
      // carol sees her removal and the group ends for her
      await expect.poll(() => gc.state).toBe('removed')
      await expect(gc.send(enc('x'))).rejects.toMatchObject({ code: 'GROUP_NOT_A_MEMBER' })

      await g.send(enc('after carol'))
      expect(dec((await take(gd, 1))[0]!.plaintext)).toBe('after carol')
      await closeAll(Object.values(a))
    })
  })
}
