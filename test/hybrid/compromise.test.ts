/**
 * HYBRID.md §8 scenarios that need no MLS group state machine, run on the
 * in-memory tree (group of 4): T1, T2, T3, T4, T14, with the deletion audit
 * (T16) after every step. T11 and T12 are in limits.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { CipherSuite } from '../../src/crypto/index.js'
import { HybridSession, rekeyTargets } from '../../src/hybrid/index.js'
import { HybridMessageType } from '../../src/proto/hybrid.js'
import { exposed, exposedByScan, snapshot } from './harness/attack.js'
import { auditDeletion } from './harness/audit.js'
import { SimGroup, type WireRecord } from './harness/group.js'
import { Oracle } from './harness/oracle.js'
import { recordSeals } from './harness/seal-recorder.js'

const A = 0
const B = 1
const C = 2
const D = 3

function audit(g: SimGroup, o: Oracle): void {
  for (const leaf of g.tree.memberList) {
    expect(auditDeletion(g, o, leaf, g.member(leaf).serialize()), `member ${leaf}`).toEqual([])
  }
}

const idx = (recs: readonly WireRecord[]): number[] => recs.map((r) => r.index)

describe('compromise scenarios on the test tree', () => {
  it('T1: snapshot B after A1..A5; A6 without rekey is exposed, A1..A5 are not', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const o = new Oracle(g)
    const sent: WireRecord[] = []
    for (let i = 1; i <= 5; i++) {
      sent.push(await g.broadcast(A, `A${i}`))
      audit(g, o)
    }
    const snap = snapshot(g, B)
    const a6 = await g.send(A, 'A6')
    expect(a6.message.type).toBe(HybridMessageType.DATA)
    const ex = await exposed(g, snap, [...sent, a6])
    expect([...ex]).toEqual([a6.index])
    // the key scan alone finds it too (B's chain key for A, run forward)
    expect([...(await exposedByScan(g, snap, [...sent, a6]))]).toEqual([a6.index])
    audit(g, o)
  })

  it('the audit and the scan are not vacuous: live values are found, an injected consumed value is reported', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const o = new Oracle(g)
    for (let i = 1; i <= 3; i++) await g.broadcast(A, `A${i}`)
    const state = g.member(B).serialize()
    const live = o.chainKey(A, 0, 3) // B's receive chain for A now holds CK[0,3]
    expect(Buffer.from(state).indexOf(Buffer.from(live))).toBeGreaterThan(-1)
    const consumed = o.chainKey(A, 0, 2)
    const tampered = new Uint8Array([...state, ...consumed])
    expect(auditDeletion(g, o, B, tampered)).toEqual([`CK[${A}:0,2]`])
    expect(auditDeletion(g, o, B, new Uint8Array([...state, ...o.epochSeed]))).toEqual(['E_e', 'seed[3]']) // E_e is the seed-tree root
  })

  it('T2: messages B missed are exposed by a snapshot; after use or expiry a new snapshot exposes neither', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const o = new Oracle(g)
    const a = []
    for (let i = 1; i <= 5; i++) {
      a.push(await g.broadcast(A, `A${i}`, i === 3 || i === 4 ? [B] : []))
      audit(g, o)
    }
    const snap1 = snapshot(g, B)
    expect([...(await exposed(g, snap1, a))].sort()).toEqual(idx([a[2]!, a[3]!]))
    // A3 arrives late (its skipped key is used and deleted); A4 never does.
    expect((await g.deliver(a[2]!, B)).kind).toBe('messages')
    audit(g, o)
    expect([...(await exposed(g, snapshot(g, B), a))]).toEqual([a[3]!.index])
    g.clock.advance(24 * 3_600_000 + 1)
    await g.member(B).expire()
    audit(g, o)
    expect([...(await exposed(g, snapshot(g, B), a))]).toEqual([])
  })

  it('T3: a mid-epoch snapshot of C exposes none of the chain-0 messages it received; E_e and exporter secrets are absent', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const o = new Oracle(g)
    const a1 = await g.send(A, 'A1')
    const b1 = await g.send(B, 'B1')
    const a2 = await g.send(A, 'A2')
    for (const r of [a1, b1, a2]) for (const to of [B, C, D]) if (to !== r.sender) await g.deliver(r, to)
    expect([a1, b1, a2].every((r) => r.message.step === 0)).toBe(true)
    audit(g, o)
    const snap = snapshot(g, C)
    expect([...(await exposed(g, snap, [a1, b1, a2]))]).toEqual([])
    const buf = Buffer.from(snap.state)
    expect(buf.indexOf(Buffer.from(o.epochSeed))).toBe(-1)
    expect(buf.indexOf(Buffer.from(g.tree.applicationExportSecret))).toBe(-1)
    expect(buf.indexOf(Buffer.from(o.seed(g.tree.leafWidth - 1)))).toBe(-1)
  })

  for (const mode of ['copath', 'pairwise'] as const) {
    it(`T4 (${mode}): snapshot A; A6 is exposed, A7..A9 after A's rekey are not`, async () => {
      const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: mode })
      const o = new Oracle(g)
      for (let i = 1; i <= 5; i++) await g.broadcast(A, `A${i}`)
      const snap = snapshot(g, A)
      const a6 = await g.broadcast(A, 'A6')
      g.clock.advance(2000)
      await g.broadcast(B, 'B1') // A hears from B: the ping-pong rule makes A's next send a rekey
      const later = [await g.broadcast(A, 'A7'), await g.broadcast(A, 'A8'), await g.broadcast(A, 'A9')]
      expect(later[0]!.message.type).toBe(HybridMessageType.DATA_REKEY)
      expect(rekeyTargets(later[0]!.message)?.mode).toBe(mode)
      audit(g, o)
      expect([...(await exposed(g, snap, [a6, ...later]))]).toEqual([a6.index])
    })
  }

  it('T4 (no hybrid rekey, the plain MLS secret-tree situation): A7..A9 are exposed too', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { pingPongMaxMembers: 0, rekeyAfterMessages: 1 << 30 })
    const o = new Oracle(g)
    for (let i = 1; i <= 5; i++) await g.broadcast(A, `A${i}`)
    const snap = snapshot(g, A)
    const a6 = await g.broadcast(A, 'A6')
    g.clock.advance(2000)
    await g.broadcast(B, 'B1')
    const later = [await g.broadcast(A, 'A7'), await g.broadcast(A, 'A8'), await g.broadcast(A, 'A9')]
    audit(g, o)
    expect([...(await exposed(g, snap, [a6, ...later]))].sort((x, y) => x - y)).toEqual(idx([a6, ...later]))
  })

  it('T14: A restored from an older copy never repeats a (key, nonce) pair; its first send rekeys and is accepted', async () => {
    const sealed: string[] = []
    const record = (leaf: number, suite: CipherSuite): CipherSuite => (leaf !== A ? suite : recordSeals(suite, sealed))
    const g = await SimGroup.create({ leafWidth: 4 }, {}, undefined, record)
    await g.broadcast(A, 'A1')
    const old = snapshot(g, A)
    await g.broadcast(A, 'A2')
    await g.broadcast(A, 'A3')
    g.sessions.set(A, HybridSession.restore(old.state, { current: g.tree.view(A, record(A, g.tree.suite)) }, g.options))
    const again = await g.broadcast(A, 'A2 again') // every member decrypts it
    expect(again.message.type).toBe(HybridMessageType.DATA_REKEY)
    expect([again.message.step, again.message.pn]).toEqual([1, 1])
    await g.broadcast(A, 'A3 again')
    await g.broadcast(A, 'A4')
    expect(sealed.length).toBe(6)
    expect(new Set(sealed).size).toBe(sealed.length)
  })

  it('T14 limit: if the lost state had already rekeyed, the restored rekey reuses its step and receivers refuse it (no key reuse; a new epoch heals)', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'copath' })
    await g.broadcast(A, 'A1')
    const old = snapshot(g, A)
    g.clock.advance(2000)
    await g.broadcast(B, 'B1')
    const lost = await g.broadcast(A, 'A2 (rekey to step 1)')
    expect(lost.message.step).toBe(1)
    g.sessions.set(A, HybridSession.restore(old.state, { current: g.tree.view(A) }, g.options))
    const again = await g.send(A, 'A2 again')
    expect([again.message.type, again.message.step]).toEqual([HybridMessageType.DATA_REKEY, 1])
    const before = g.member(B).serialize()
    await expect(g.deliver(again, B)).rejects.toMatchObject({ code: 'HYBRID_DUPLICATE' })
    expect(g.member(B).serialize()).toEqual(before)
  })
})
