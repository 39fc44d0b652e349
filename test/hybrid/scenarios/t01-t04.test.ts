/**
 * HYBRID.md §8 T1–T4 on a real MLS group of 4 (suite 0x0003), in copath,
 * pairwise and plain MLS mode. The T16 deletion audit runs inside the
 * harness after every step (mls-group.ts); each test also checks it ran.
 */
import { describe, expect, it } from 'vitest'
import { rekeyTargets } from '../../../src/hybrid/index.js'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import { A, B, C, D, MODES, MlsSim, indices, type MlsRecord } from '../harness/mls-group.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('T1–T4 on a real MLS group', () => {
  for (const mode of MODES) {
    it(`T1 (${mode}): snapshot B after A1..A5; A6 (no rekey) is exposed, A1..A5 are not`, async () => {
      const g = await MlsSim.create(mode)
      const sent: MlsRecord[] = []
      for (let i = 1; i <= 5; i++) sent.push(await g.broadcast(A, `A${i}`))
      const snap = g.snapshot(B)
      const a6 = await g.send(A, 'A6')
      if (mode !== 'mls') expect(a6.message!.type).toBe(HybridMessageType.DATA)
      expect(await g.exposed(snap, [...sent, a6])).toEqual([a6.index])
      if (mode !== 'mls') expect(g.audits).toBeGreaterThan(20)
    })

    it(`T2 (${mode}): messages B missed are exposed; once delivered or expired, a new snapshot exposes neither`, async () => {
      const g = await MlsSim.create(mode)
      const a: MlsRecord[] = []
      for (let i = 1; i <= 5; i++) a.push(await g.broadcast(A, `A${i}`, i === 3 || i === 4 ? [B] : []))
      expect(await g.exposed(g.snapshot(B), a)).toEqual(indices([a[2]!, a[3]!]))
      // A3 arrives late: its skipped key is used and deleted in both layers.
      expect((await g.deliver(a[2]!, B)).kind).toBe('messages')
      expect(await g.exposed(g.snapshot(B), a)).toEqual([a[3]!.index])
      await g.advance(24 * 3_600_000 + 1)
      const after = await g.exposure(g.snapshot(B), [a[3]!])
      if (mode === 'mls') {
        // Plain MLS keeps A4's skipped key (no time bound): exposed until the epoch is gone.
        expect(after.get(a[3]!.index)).toEqual({ mls: true, hybrid: true })
        await g.selfCommit(C)
        expect(await g.exposed(g.snapshot(B), [a[3]!])).toEqual([a[3]!.index]) // the retired epoch (pastEpochRetention 1) still opens it
        await g.selfCommit(D)
        expect(await g.exposed(g.snapshot(B), [a[3]!])).toEqual([])
      } else {
        // The MLS layer still holds A4's key; the hybrid layer's expired: not exposed.
        expect(after.get(a[3]!.index)).toEqual({ mls: true, hybrid: false })
      }
    })

    it(`T3 (${mode}): a mid-epoch snapshot of C exposes none of the chain-0 messages it received; E_e is in no state`, async () => {
      const g = await MlsSim.create(mode)
      const a1 = await g.send(A, 'A1')
      const b1 = await g.send(B, 'B1')
      const a2 = await g.send(A, 'A2')
      for (const r of [a1, b1, a2]) for (const to of [B, C, D]) if (to !== r.sender) await g.deliver(r, to)
      if (mode !== 'mls') expect([a1, b1, a2].every((r) => r.message!.step === 0)).toBe(true)
      const snap = g.snapshot(C)
      expect(await g.exposed(snap, [a1, b1, a2])).toEqual([])
      if (mode !== 'mls') {
        const bytes = hex(g.stateBytes(C))
        expect(g.seedHexes().length).toBe(1)
        for (const s of g.seedHexes()) expect(bytes.includes(s)).toBe(false)
        // The exporter tree no longer yields component 0xF001 this epoch.
        expect(() => g.member(C).group.safeExportSecret(0xf001)).toThrow(expect.objectContaining({ code: 'MLS_EXPORT_CONSUMED' }))
      }
    })

    it(`T4 (${mode}): snapshot A; A6 is exposed; A7..A9 after A's rekey are ${mode === 'mls' ? 'exposed too (plain MLS)' : 'not'}`, async () => {
      const g = await MlsSim.create(mode)
      for (let i = 1; i <= 5; i++) await g.broadcast(A, `A${i}`)
      const snap = g.snapshot(A)
      const a6 = await g.broadcast(A, 'A6')
      await g.advance(2000)
      await g.broadcast(B, 'B1') // A hears from B: its next send rekeys (ping-pong rule)
      const later = [await g.broadcast(A, 'A7'), await g.broadcast(A, 'A8'), await g.broadcast(A, 'A9')]
      if (mode === 'mls') {
        expect(await g.exposed(snap, [a6, ...later])).toEqual(indices([a6, ...later]))
      } else {
        expect(later[0]!.message!.type).toBe(HybridMessageType.DATA_REKEY)
        expect(rekeyTargets(later[0]!.message!)?.mode).toBe(mode)
        const e = await g.exposure(snap, [a6, ...later])
        // The MLS layer of A's later messages is open to A's snapshot (one ratchet per sender); the hybrid layer is not.
        expect(later.map((r) => e.get(r.index))).toEqual(later.map(() => ({ mls: true, hybrid: false })))
        expect(await g.exposed(snap, [a6, ...later])).toEqual([a6.index])
      }
    })
  }
})
