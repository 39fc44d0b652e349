/**
 * HYBRID.md §8 T5–T9 on a real MLS group (suite 0x0003), copath, pairwise
 * and plain MLS; the T16 audit runs after every step inside the harness.
 */
import { describe, expect, it } from 'vitest'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import { A, B, C, D, MODES, MlsSim, indices, type MlsRecord } from '../harness/mls-group.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('T5–T9 on a real MLS group', () => {
  for (const mode of MODES) {
    it(`T5 (${mode}): snapshot B (receiver); C rekeys, B announces, C rekeys: C4 is ${mode === 'pairwise' ? 'confidential' : 'exposed'}; B's self-commit heals all modes`, async () => {
      const g = await MlsSim.create(mode)
      const snap = g.snapshot(B)
      const c: MlsRecord[] = [await g.broadcast(C, 'C1')]
      await g.broadcast(D, 'D1')
      await g.advance(2000)
      c.push(await g.broadcast(C, 'C2'), await g.broadcast(C, 'C3'))
      const b1 = await g.broadcast(B, 'B1')
      await g.advance(2000)
      c.push(await g.broadcast(C, 'C4'))
      if (mode !== 'mls') {
        expect(c.map((r) => r.message!.type)).toEqual([1, 2, 1, 2].map((t) => (t === 1 ? HybridMessageType.DATA : HybridMessageType.DATA_REKEY)))
        // pairwise: B's leaf key (version 0) was used by C2's rekey, so B1 announces HRK[B,1]
        expect(b1.message!.announcement?.version).toBe(mode === 'pairwise' ? 1 : undefined)
      }
      const exposed = await g.exposed(snap, c)
      expect(exposed).toEqual(mode === 'pairwise' ? indices(c.slice(0, 3)) : indices(c))
      if (mode === 'pairwise') expect((await g.exposure(snap, [c[3]!])).get(c[3]!.index)).toEqual({ mls: true, hybrid: false })
      // B's self-commit (new leaf and path keys) heals the receiver compromise in every mode.
      await g.selfCommit(B)
      const c5 = await g.broadcast(C, 'C5')
      expect(await g.exposed(snap, [c5])).toEqual([])
    })

    it(`T6 (${mode}): snapshot B; B self-commits; everything in the new epoch is confidential`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A0')
      const snap = g.snapshot(B)
      await g.selfCommit(B)
      const later = [await g.broadcast(A, 'A1'), await g.broadcast(B, 'B1'), await g.broadcast(C, 'C1'), await g.broadcast(D, 'D1'), await g.broadcast(A, 'A2')]
      expect(later.every((r) => r.epoch === snap.epoch + 1n)).toBe(true)
      expect(await g.exposed(snap, later)).toEqual([])
    })

    it(`T7 (${mode}): B removed; B's final state opens nothing sent after the removal`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(B, 'B0')
      await g.broadcast(A, 'A0')
      await g.remove(A, [B])
      expect(g.member(B).active).toBe(false)
      expect(g.member(B).group.active).toBe(false)
      const snap = g.snapshot(B) // B processed its own removal: its final state
      const later = [await g.broadcast(A, 'A1'), await g.broadcast(C, 'C1'), await g.broadcast(D, 'D1')]
      expect(await g.exposed(snap, later)).toEqual([])
    })

    it(`T8 (${mode}): D added; D cannot decrypt earlier epochs and holds no earlier-epoch value`, async () => {
      const g = await MlsSim.create(mode, { members: 3 })
      const before = [await g.broadcast(A, 'A1'), await g.broadcast(B, 'B1'), await g.broadcast(C, 'C1'), await g.broadcast(A, 'A2')]
      const e = g.epoch
      expect(await g.add(A)).toEqual([D])
      for (const r of before) await expect(g.member(D).group.processMessage(r.mls)).rejects.toMatchObject({ name: 'TalosError' })
      expect(await g.exposed(g.snapshot(D), before)).toEqual([])
      if (mode !== 'mls') {
        const o = g.oracleOf(e)
        const bytes = hex(g.stateBytes(D))
        const values = [o.epochSeed, ...[A, B, C].flatMap((l) => o.path(l).map((x) => o.seed(x)))]
        for (const r of before) values.push(o.chainKey(r.sender, r.message!.step, r.message!.n), o.messageKey(r.sender, r.message!.step, r.message!.n).key)
        for (const v of values) expect(bytes.includes(hex(v))).toBe(false)
      }
      // and D takes part in the new epoch
      await g.broadcast(D, 'D1')
      await g.broadcast(A, 'A3')
    })

    it(`T9 (${mode}): snapshots of A and later B in one epoch; A rekeys, B announces, A rekeys again`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A1')
      const snapA = g.snapshot(A)
      await g.broadcast(C, 'C1') // A's next send rekeys (ping-pong)
      await g.advance(2000)
      const snapB = g.snapshot(B)
      const first = [await g.broadcast(A, 'A2'), await g.broadcast(A, 'A3')]
      const b1 = await g.broadcast(B, 'B1')
      await g.advance(2000)
      const second = [await g.broadcast(A, 'A4'), await g.broadcast(A, 'A5')]
      if (mode !== 'mls') {
        expect([first[0]!.message!.type, second[0]!.message!.type]).toEqual([HybridMessageType.DATA_REKEY, HybridMessageType.DATA_REKEY])
        expect(b1.message!.announcement?.version).toBe(mode === 'pairwise' ? 1 : undefined)
      }
      const exposed = await g.exposed(snapA, [...first, ...second], snapB)
      if (mode === 'pairwise') {
        // The first rekey was sealed to B's leaf key (in B's snapshot); the second to HRK[B,1], announced after it.
        expect(exposed).toEqual(indices(first))
      } else {
        // copath: the documented limit -- B's snapshot keeps opening A's rekeys until B's next commit. MLS: A's snapshot alone.
        expect(exposed).toEqual(indices([...first, ...second]))
      }
      // Neither snapshot alone exposes the hybrid layer after the first rekey.
      if (mode !== 'mls') expect(await g.exposed(snapA, [...first, ...second])).toEqual([])
    })
  }
})
