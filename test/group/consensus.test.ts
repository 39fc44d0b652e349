/**
 * Group capabilities with consensus through the client: valid once every
 * member approved through the group channel; a refusal makes it refused; a
 * membership change before it completes voids it; verification is a pure
 * function anyone can run on (grant, approvals, group view).
 */
import { describe, expect, it } from 'vitest'
import { verifyGroupCapability } from '../../src/capabilities/index.js'
import type { CapabilityPolicy, GroupProtocol } from '../../src/group/index.js'
import { agents, closeAll, did } from './helpers.js'

const policy: Record<string, CapabilityPolicy> = {
  bob: () => 'approve',
  carol: (r) => (r.scope === 'tools/dangerous' ? 'refuse' : 'approve'),
  dave: () => undefined, // decides by hand
}

async function setup(protocol: GroupProtocol) {
  const names = ['alice', 'bob', 'carol', 'dave', 'erin']
  const out = await agents(['alice', 'erin'])
  for (const n of ['bob', 'carol', 'dave']) {
    const x = await agents([n], out.delivery, { capabilityPolicy: policy[n] })
    out.agents[n] = x.agents[n]!
  }
  const a = out.agents
  const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
  const gb = await a.bob!.client.waitForGroup(g.id)
  const gc = await a.carol!.client.waitForGroup(g.id)
  void names
  return { a, g, gb, gc }
}

for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
  describe(`capabilities with consensus (${protocol})`, () => {
    it('becomes valid once every member approved; every member and an outsider verify it the same', async () => {
      const { a, g, gb, gc } = await setup(protocol)
      const cap = await a.alice!.client.grantGroupCapability({ groupId: g.id, scope: 'tools/shared_resource', requireConsensus: true })
      expect(cap.status().status).toBe('pending')
      const s = await cap.settled()
      expect(s.status).toBe('valid')
      expect(cap.approvals.map((x) => x.approver).sort()).toEqual([did('bob'), did('carol')])
      // pure verification: same answer from anyone with the grant, the approvals and the group view
      expect(verifyGroupCapability(cap.grant, cap.approvals, g.capabilityView()).status).toBe('valid')
      await gb.sync()
      await gc.sync()
      await expect.poll(() => gb.capabilityList()[0]?.status.status).toBe('valid')
      // without consensus: valid at once
      const open = await a.alice!.client.grantGroupCapability({ groupId: g.idBytes, scope: 'tools/read', requireConsensus: false })
      expect(open.status().status).toBe('valid')
      await closeAll(Object.values(a))
    })

    it('a member who refuses makes the grant refused', async () => {
      const { a, g } = await setup(protocol)
      const cap = await a.alice!.client.grantGroupCapability({ groupId: g.id, scope: 'tools/dangerous', requireConsensus: true })
      const s = await cap.settled()
      expect(s).toMatchObject({ status: 'refused', by: [did('carol')] })
      await closeAll(Object.values(a))
    })

    it('a membership change before consensus voids the pending grant; late approvals do not revive it', async () => {
      const { a, g } = await setup(protocol)
      await g.addMember(did('dave'))
      const gd = await a.dave!.client.waitForGroup(g.id)
      const cap = await a.alice!.client.grantGroupCapability({ groupId: g.id, scope: 'tools/shared_resource', requireConsensus: true })
      await expect.poll(() => cap.status().status === 'pending' && cap.approvals.length === 2).toBe(true)
      expect(cap.status()).toMatchObject({ status: 'pending', missing: [did('dave')] })
      await g.addMember(did('erin'))
      expect((await cap.settled()).status).toBe('void')
      await gd.sync()
      await gd.answerCapability(cap.id, 'approve')
      await g.sync()
      expect(cap.status().status).toBe('void')
      await closeAll(Object.values(a))
    })
  })
}
