/**
 * The committer's choice among cached proposals (§12.2 SHOULDs): a Remove
 * wins over an Update of the same leaf, duplicate Removes count once, a
 * ReInit waits when other proposals are pending; an invalid proposal is
 * refused at receipt and never blocks the next Commit.
 */
import { describe, expect, it } from 'vitest'
import { reinitProposal } from '../../../src/mls/group/index.js'
import { ProposalType } from '../../../src/mls/wire/index.js'
import { commitAndDeliver, expectInSync, makeGroup } from './helpers.js'

describe('proposal selection by the committer', () => {
  it('Remove beats Update of the same leaf; duplicate Removes count once', async () => {
    const [a, b, c, d] = await makeGroup(4, 1)
    const all = [a!, b!, c!, d!]
    const deliver = async (msg: Uint8Array, except: typeof a) => {
      for (const g of all) if (g !== except) await g.processMessage(msg)
    }
    await deliver((await c!.proposeUpdate()).message, c)
    await deliver(a!.propose({ proposalType: ProposalType.remove, remove: { removed: c!.ownLeafIndex } }).message, a)
    await deliver(b!.propose({ proposalType: ProposalType.remove, remove: { removed: c!.ownLeafIndex } }).message, b)
    await commitAndDeliver(d!, [a!, b!, c!])
    expect(c!.active).toBe(false)
    expectInSync([a!, b!, d!])
    expect(a!.memberLeaves()).not.toContain(c!.ownLeafIndex)
  })

  it('a pending ReInit waits while other proposals are pending', async () => {
    const [a, b] = await makeGroup(3, 1)
    const r = a!.propose(reinitProposal(new Uint8Array([1, 2, 3]), 1))
    await b!.processMessage(r.message)
    const u = await a!.proposeUpdate()
    await b!.processMessage(u.message)
    await commitAndDeliver(b!, [a!])
    expect(a!.active).toBe(true)
    expectInSync([a!, b!])
  })

  it('an invalid proposal of our own is refused before it enters our cache', async () => {
    const [a, b] = await makeGroup(2, 1)
    expect(() => a!.propose({ proposalType: ProposalType.remove, remove: { removed: 5 } })).toThrow(
      expect.objectContaining({ code: 'MLS_REMOVE_BLANK_LEAF' }),
    )
    const forged = a!.propose({ proposalType: ProposalType.remove, remove: { removed: b!.ownLeafIndex } })
    await commitAndDeliver(b!, [a!]) // b has not seen it: a's cached proposal is dropped with the epoch
    void forged
    expectInSync([a!, b!])
  })
})
