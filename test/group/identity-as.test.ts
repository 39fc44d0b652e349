/**
 * The AuthenticationService judges every DID-to-key binding in the
 * sender-keys and coordinator protocols too, as MLS has it judge every leaf
 * (RFC 9420 §5.3.1): the keys an invitation names for its members (the
 * inviter's included: before, an invitation signed by whatever key it gave
 * the inviter was accepted), the keys a commit adds, and the identity key a
 * prekey bundle publishes for a DID we add.
 */
import { describe, expect, it } from 'vitest'
import type { RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { didOf, type AuthenticationService } from '../../src/mls/keys/credential.js'
import { agents, closeAll, did } from './helpers.js'

/** Accepts every well-formed did:talos except `refused`. */
const refusing =
  (refused: string): AuthenticationService =>
  (credential) => {
    const d = didOf(credential)
    return d !== undefined && d !== refused
  }

describe.each(['sender-keys', 'coordinator'] as const)('%s: the AuthenticationService', (protocol) => {
  it('refusing the inviter: the invitation is rejected (GROUP_IDENTITY_REJECTED) and no group is kept', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice'], delivery)
    const { agents: b } = await agents(['bob'], delivery, { authService: refusing(did('alice')) })
    const bob = b.bob!.client
    const rejected: RejectedEntry[] = []
    bob.on('rejected', (r) => rejected.push(r))
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
    await expect.poll(() => rejected.length, { timeout: 20_000 }).toBe(1)
    expect(rejected[0]!.error.code).toBe('GROUP_IDENTITY_REJECTED')
    expect(bob.groups().some((x) => x.id === g.id)).toBe(false)
    await closeAll([...Object.values(a), ...Object.values(b)])
  }, 60_000)

  it("refusing a key a commit adds: that member rejects the commit (GROUP_IDENTITY_REJECTED)", async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice', 'carol'], delivery)
    const { agents: b } = await agents(['bob'], delivery, { authService: refusing(did('carol')) })
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
    const gb = await b.bob!.client.waitForGroup(g.id)
    const rejected: RejectedEntry[] = []
    gb.on('rejected', (r) => rejected.push(r))
    await g.addMember(did('carol'))
    await expect.poll(() => rejected.length, { timeout: 20_000 }).toBe(1)
    expect(rejected[0]!.error.code).toBe('GROUP_IDENTITY_REJECTED')
    expect(gb.members()).not.toContain(did('carol'))
    await closeAll([...Object.values(a), ...Object.values(b)])
  }, 60_000)

  it('refusing a DID we would add: createGroup fails before anything is sent', async () => {
    const delivery = new MemoryDelivery()
    const { agents: c } = await agents(['carol'], delivery)
    const { agents: a } = await agents(['alice'], delivery, { authService: refusing(did('carol')) })
    await expect(a.alice!.client.createGroup({ name: 'g', members: [did('carol')], protocol })).rejects.toMatchObject({
      code: 'GROUP_IDENTITY_REJECTED',
    })
    await closeAll([...Object.values(a), ...Object.values(c)])
  }, 60_000)
})
