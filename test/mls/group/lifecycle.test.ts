/**
 * Whole-group flows through the public API: create (§11), add by Welcome
 * (§12.4.3.1), application messages both ways (§6.3), Update and Remove
 * proposals committed by reference (§12.1.2, §12.1.3), empty Commits,
 * partial Commits without a path, exporters; every member's epoch
 * authenticator and tree hash agree after each step, for several suites and
 * both handshake framings.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../helpers/vectors.js'
import { didOf } from '../../../src/mls/keys/index.js'
import { commitAndDeliver, expectInSync, joinWith, keyPackageFor, makeGroup } from './helpers.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

describe('group lifecycle', () => {
  for (const suite of [1, 2, 3, 5, 7]) {
    for (const handshake of ['public', 'private'] as const) {
      it(`suite ${suite}, ${handshake} handshakes: add, message, update, remove`, async () => {
        const [a, b, c] = await makeGroup(3, suite, { handshake })
        // Application messages both ways.
        const m1 = a!.send(enc.encode('hello from a'))
        for (const g of [b!, c!]) {
          const r = await g.processMessage(m1)
          expect(r.content.kind).toBe('application')
          if (r.content.kind === 'application') {
            expect(dec.decode(r.content.data)).toBe('hello from a')
            expect(r.content.sender).toBe(a!.ownLeafIndex)
          }
        }
        const m2 = c!.send(enc.encode('hi from c'), enc.encode('ad'))
        const r2 = await a!.processMessage(m2)
        expect(r2.content.kind === 'application' && dec.decode(r2.content.data)).toBe('hi from c')

        // b proposes an Update, c commits it by reference.
        const up = await b!.proposeUpdate()
        await a!.processMessage(up.message)
        await c!.processMessage(up.message)
        const epochBefore = a!.epoch
        await commitAndDeliver(c!, [a!, b!])
        expect(a!.epoch).toBe(epochBefore + 1n)
        expectInSync([a!, b!, c!])

        // a removes c; b processes; c learns it was removed.
        const out = await a!.commit({ remove: [c!.ownLeafIndex] })
        a!.mergePendingCommit()
        await b!.processMessage(out.commit)
        const rc = await c!.processMessage(out.commit)
        expect(rc.content.kind === 'commit' && rc.content.removedUs).toBe(true)
        expect(c!.active).toBe(false)
        expectInSync([a!, b!])
        expect(a!.memberLeaves()).toEqual([0, 1])
        expect(a!.members().map((m) => didOf(m.credential))).toEqual(['did:talos:m0', 'did:talos:m1'])

        // Messages still flow; exporters agree.
        const m3 = b!.send(enc.encode('after remove'))
        const r3 = await a!.processMessage(m3)
        expect(r3.content.kind === 'application' && dec.decode(r3.content.data)).toBe('after remove')
        expect(toHex(a!.exporter('test', enc.encode('ctx'), 32))).toBe(toHex(b!.exporter('test', enc.encode('ctx'), 32)))
        expect(toHex(a!.safeExportSecret(7))).toBe(toHex(b!.safeExportSecret(7)))
        expect(() => a!.safeExportSecret(7)).toThrow(expect.objectContaining({ code: 'MLS_EXPORT_CONSUMED' }))
      })
    }
  }

  it('a joiner added later by another member, with the tree out of band', async () => {
    const [a, b] = await makeGroup(2, 3)
    const kp = await keyPackageFor('did:talos:dora', 3)
    const out = await b!.commit({ add: [kp.message], groupInfo: { ratchetTree: false } })
    b!.mergePendingCommit()
    await a!.processMessage(out.commit)
    await expect(joinWith(out.welcome!, kp)).rejects.toMatchObject({ code: 'MLS_MISSING_RATCHET_TREE' })
    const d = await joinWith(out.welcome!, kp, undefined, b!.ratchetTree())
    expectInSync([a!, b!, d])
    const msg = d.send(enc.encode('dora here'))
    expect((await a!.processMessage(msg)).content.kind).toBe('application')
  })

  it('partial Commit (Add without path) and empty full Commits', async () => {
    const [a, b] = await makeGroup(2, 1)
    const kp = await keyPackageFor('did:talos:eve', 1)
    const out = await a!.commit({ add: [kp.message], path: 'when-required' })
    a!.mergePendingCommit()
    await b!.processMessage(out.commit)
    const e = await joinWith(out.welcome!, kp)
    expectInSync([a!, b!, e])
    for (let i = 0; i < 3; i++) await commitAndDeliver([a!, b!, e][i % 3]!, [a!, b!, e].filter((_, j) => j !== i % 3))
    expectInSync([a!, b!, e])
  })

  it('a commit another member made first wins; our pending commit is dropped', async () => {
    const [a, b] = await makeGroup(2, 1)
    await a!.commit()
    const theirs = await b!.commit()
    b!.mergePendingCommit()
    await a!.processMessage(theirs.commit)
    expect(a!.hasPendingCommit).toBe(false)
    expectInSync([a!, b!])
  })

  it('our own Commit echoed back by the Delivery Service merges the pending commit', async () => {
    const [a, b] = await makeGroup(2, 1)
    const out = await a!.commit()
    const r = await a!.processMessage(out.commit)
    expect(r.content.kind === 'commit' && r.content.committer).toBe(a!.ownLeafIndex)
    expect(a!.hasPendingCommit).toBe(false)
    await b!.processMessage(out.commit)
    expectInSync([a!, b!])
  })

  it('late application messages from the previous epoch still decrypt (retention 1)', async () => {
    const [a, b] = await makeGroup(2, 1)
    const late = a!.send(enc.encode('late'))
    await commitAndDeliver(a!, [b!])
    const r = await b!.processMessage(late)
    expect(r.content.kind === 'application' && r.content.epoch).toBe(1n)
    const older = a!.send(enc.encode('two epochs old'))
    await commitAndDeliver(a!, [b!])
    await commitAndDeliver(a!, [b!])
    await expect(b!.processMessage(older)).rejects.toMatchObject({ code: 'MLS_WRONG_EPOCH' })
  })
})
