/**
 * Persistence (HYBRID.md §6, §7): the Protobuf state round-trips exactly
 * (apart from the restore flag that forces the next send to rekey), restoring
 * checks the state against the group view, and hostile state bytes only ever
 * raise a TalosError.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TalosError } from '../../src/errors.js'
import { HybridSession } from '../../src/hybrid/index.js'
import { encodeProto } from '../../src/codec/proto.js'
import { decodeStateRecord } from '../../src/hybrid/state-codec.js'
import { HybridStateRecord } from '../../src/proto/hybrid.js'
import { SimGroup } from './harness/group.js'

async function busyGroup(): Promise<SimGroup> {
  const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'pairwise' })
  await g.broadcast(0, 'a0')
  await g.broadcast(0, 'a1', [1])
  await g.broadcast(0, 'a2')
  g.clock.advance(2000)
  await g.broadcast(1, 'b0 (rekey)')
  await g.broadcast(0, 'a3 (rekey)')
  await g.broadcast(2, 'c0 (rekey)')
  return g
}

describe('hybrid state persistence', () => {
  it('restore(serialize(s)) serializes to the same bytes, except the restore flag', async () => {
    const g = await busyGroup()
    for (const leaf of g.tree.memberList) {
      const bytes = g.member(leaf).serialize()
      const r = HybridSession.restore(bytes, { current: g.tree.view(leaf) }, g.options)
      const a = decodeStateRecord(bytes)
      const b = decodeStateRecord(r.serialize())
      expect(b.current!.send!.restored).toBe(true)
      b.current!.send!.restored = a.current!.send!.restored
      expect(b).toEqual(a)
    }
    // B holds a skipped key (a1) and a receive chain per sender.
    const b = decodeStateRecord(g.member(1).serialize()).current!
    expect(b.skipped.map((k) => [k.sender, k.step, k.n])).toEqual([[0, 0, 1]])
    expect(b.receive.map((r) => r.sender)).toEqual([0, 2])
  })

  it('a state is refused for another member, group or epoch', async () => {
    const g = await busyGroup()
    const bytes = g.member(0).serialize()
    expect(() => HybridSession.restore(bytes, { current: g.tree.view(1) }, g.options)).toThrow(expect.objectContaining({ code: 'HYBRID_INVALID_STATE' }))
    const other = await SimGroup.create({ leafWidth: 4, epoch: 2n })
    expect(() => HybridSession.restore(bytes, { current: other.tree.view(0) }, g.options)).toThrow(expect.objectContaining({ code: 'HYBRID_INVALID_STATE' }))
  })

  it('mutated state bytes: restored or a TalosError, nothing else', async () => {
    const g = await busyGroup()
    const bytes = g.member(1).serialize()
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat({ max: 50 }), (flips, cut) => {
        const bad = bytes.slice(0, Math.max(0, bytes.length - cut))
        for (const [p, x] of flips) if (bad.length > 0) bad[p % bad.length]! ^= x
        try {
          HybridSession.restore(bad, { current: g.tree.view(1) }, g.options)
        } catch (e) {
          expect(e).toBeInstanceOf(TalosError)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('skipped keys of one chain must come in ascending n (the store relies on it): a duplicate or a reordering is refused', async () => {
    const g = await busyGroup()
    const rec = decodeStateRecord(g.member(1).serialize())
    const cur = rec.current!
    const k = cur.skipped[0]!
    const variants = [
      [k, { ...k, seq: k.seq + 1n }], // the same (sender, step, n) twice
      [{ ...k, n: k.n + 1 }, { ...k, seq: k.seq + 1n }], // n goes down within the chain
    ]
    for (const skipped of variants) {
      const bytes = encodeProto(HybridStateRecord, { ...rec, current: { ...cur, skipped, skippedSeq: k.seq + 2n } })
      expect(() => HybridSession.restore(bytes, { current: g.tree.view(1) }, g.options)).toThrow(expect.objectContaining({ code: 'HYBRID_INVALID_STATE' }))
    }
    // The same keys in a valid order restore.
    const ok = encodeProto(HybridStateRecord, { ...rec, current: { ...cur, skipped: [k, { ...k, n: k.n + 1, seq: k.seq + 1n }], skippedSeq: k.seq + 2n } })
    expect(() => HybridSession.restore(ok, { current: g.tree.view(1) }, g.options)).not.toThrow()
  })
})

describe('caller-owned bytes', () => {
  it('create keeps its own copy of a view\'s groupId given as a Node Buffer (Buffer#slice is a view)', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'pairwise' })
    const view = g.tree.view(0)
    const original = Uint8Array.from(view.groupId)
    const groupId = Buffer.from(original)
    const s = HybridSession.create(Object.assign(Object.create(view) as typeof view, { groupId }), g.options)
    groupId.fill(0xff)
    expect([...decodeStateRecord(s.serialize()).current!.groupId]).toEqual([...original])
  })
})
