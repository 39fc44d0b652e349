/**
 * HYBRID.md §8 T10–T15 on a real MLS group (suite 0x0003), copath, pairwise
 * and plain MLS; the T16 audit runs after every harness step.
 */
import { describe, expect, it } from 'vitest'
import { encodeProto } from '../../../src/codec/proto.js'
import type { CipherSuite } from '../../../src/crypto/index.js'
import { HybridSession } from '../../../src/hybrid/index.js'
import { MlsGroup } from '../../../src/mls/index.js'
import { HybridFrame, HybridMessageType, type HybridMessage } from '../../../src/proto/hybrid.js'
import { countingSuite, type CountingSuite } from '../harness/counting-suite.js'
import { forgeAs } from '../harness/mls-forge.js'
import { A, B, C, D, MODES, MlsSim, indices, viewOf, type MlsRecord } from '../harness/mls-group.js'
import { recordSeals } from '../harness/seal-recorder.js'

const utf8 = new TextEncoder()
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const frameOf = (m: HybridMessage): Uint8Array => encodeProto(HybridFrame, { body: { case: 'message', value: m } })

/** Delivers a forged MLSMessage to `to` outside the harness; returns the plaintext it yields. */
async function acceptForged(g: MlsSim, to: number, mls: Uint8Array): Promise<{ plaintext: string; rekeyed: boolean }> {
  const r = await g.member(to).group.processMessage(mls)
  if (r.content.kind !== 'application') throw new Error('not application data')
  if (g.mode === 'mls') return { plaintext: text(r.content.data), rekeyed: false }
  const hr = await g.session(to).receive(r.content.sender, r.content.epoch, r.content.data)
  if (hr.kind !== 'messages') throw new Error(hr.kind)
  return { plaintext: text(hr.messages[0]!.plaintext), rekeyed: hr.messages[0]!.rekeyed }
}

describe('T10–T15 on a real MLS group', () => {
  for (const mode of MODES) {
    it(`T10 (${mode}): an insider holding A's signature key forges A's rekey: accepted; after A's self-commit with a new signature key: rejected`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A1') // D (the insider) now has a receive chain for A
      const stolen = g.member(A).group.currentState.signaturePriv.slice()
      const forge = (label: string) => forgeAs(g.member(D).group, g.member(D).session?.serialize(), A, stolen, utf8.encode(label), g.options)

      const f1 = await forge('forged 1')
      // Documented: the hybrid layer has no signature of its own; the MLS signature is A's: accepted, as a rekey.
      expect(await acceptForged(g, B, f1.mls)).toEqual({ plaintext: 'forged 1', rekeyed: mode !== 'mls' })

      // A self-commit that keeps the signature key does not stop the insider.
      await g.selfCommit(A)
      await g.broadcast(A, 'A2')
      expect(await acceptForged(g, C, (await forge('forged 2')).mls)).toEqual({ plaintext: 'forged 2', rekeyed: mode !== 'mls' })

      // A self-commit with a fresh signature key in A's leaf does.
      const oldPub = g.member(B).group.members().find((m) => m.leafIndex === A)!.signatureKey
      await g.selfCommit(A, { newSignatureKey: true })
      for (const l of [B, C, D]) expect(g.member(l).group.members().find((m) => m.leafIndex === A)!.signatureKey).not.toEqual(oldPub)
      await g.broadcast(A, 'A3')
      const f3 = await forge('forged 3')
      const before = g.stateBytes(B)
      await expect(g.member(B).group.processMessage(f3.mls)).rejects.toMatchObject({ code: 'MLS_INVALID_SIGNATURE' })
      expect(g.stateBytes(B)).toEqual(before)
      // (the same forgery signed with A's current key would pass: the signature key is the only barrier)
      const withNewKey = await forgeAs(g.member(D).group, g.member(D).session?.serialize(), A, g.member(A).group.currentState.signaturePriv, utf8.encode('forged 4'), g.options)
      expect((await acceptForged(g, B, withNewKey.mls)).plaintext).toBe('forged 4')
    })

    it(`T11 (${mode}): a replayed MLSMessage${mode === 'mls' ? '' : ' and a replayed hybrid (step, n) in a fresh MLSMessage'} are refused with a typed error, no plaintext, state unchanged`, async () => {
      const g = await MlsSim.create(mode)
      const a1 = await g.broadcast(A, 'A1')
      const a2 = await g.send(A, 'A2')
      const a3 = await g.broadcast(A, 'A3', [B])
      await g.deliver(a3, B) // A2's keys are now skipped keys in both layers
      await g.deliver(a2, B)
      for (const r of [a1, a2, a3]) {
        const before = g.stateBytes(B)
        await expect(g.deliver(r, B)).rejects.toMatchObject({ name: 'TalosError', code: expect.stringMatching(/^MLS_/) })
        expect(g.stateBytes(B)).toEqual(before)
      }
      if (mode !== 'mls') {
        // A's hybrid frame again inside a new, valid MLS message (what a buggy or malicious sender could do).
        for (const r of [a1, a2, a3]) {
          const again = await g.sendControl(A, r.frame, 'resend')
          const before = g.session(B).serialize()
          await expect(g.deliver(again, B)).rejects.toMatchObject({ code: 'HYBRID_DUPLICATE' })
          expect(g.session(B).serialize()).toEqual(before)
        }
      }
    })

    it(`T12 (${mode}): beyond the forward limit${mode === 'mls' ? ' (MLS generation gap)' : ', step + 2 with the buffer full, an oversized rekey blob'}: rejected before any key derivation`, async () => {
      let counting: CountingSuite | undefined
      const wrap = (leaf: number, suite: CipherSuite) => (leaf === B ? (counting = countingSuite(suite)).suite : suite)
      const g = await MlsSim.create(mode, { wrapSuite: wrap })
      const a1 = await g.broadcast(A, 'A1')
      if (mode === 'mls') {
        // Plain MLS: its own maximum forward distance (1000 generations) on the secret-tree ratchet.
        let far: MlsRecord | undefined
        for (let i = 0; i < 1002; i++) far = await g.send(A, `skip ${i}`)
        const before = g.stateBytes(B)
        await expect(g.deliver(far!, B)).rejects.toMatchObject({ name: 'TalosError', code: expect.stringMatching(/^MLS_/) })
        expect(g.stateBytes(B)).toEqual(before)
        return
      }
      const base = a1.message!
      const rejected = async (m: HybridMessage, code: string) => {
        const wire = await g.sendControl(A, frameOf(m), 'control')
        const r = await g.member(B).group.processMessage(wire.mls) // the MLS layer is genuine
        if (r.content.kind !== 'application') throw new Error('not application data')
        const before = g.session(B).serialize()
        counting!.reset()
        await expect(g.session(B).receive(A, r.content.epoch, r.content.data)).rejects.toMatchObject({ code })
        expect(counting!.counts).toEqual({})
        expect(g.session(B).serialize()).toEqual(before)
      }
      await rejected({ ...base, n: 1 + 1001 }, 'HYBRID_TOO_FAR_AHEAD')
      for (let i = 0; i < 64; i++) {
        const wire = await g.sendControl(A, frameOf({ ...base, step: 2, n: i }), 'control')
        const r = await g.member(B).group.processMessage(wire.mls)
        if (r.content.kind !== 'application') throw new Error('not application data')
        counting!.reset()
        expect((await g.session(B).receive(A, r.content.epoch, r.content.data)).kind).toBe('buffered')
        expect(counting!.counts).toEqual({})
      }
      await rejected({ ...base, step: 2, n: 64 }, 'HYBRID_BUFFER_FULL')
      const entry = { nodeIndex: 2, kemOutput: new Uint8Array(32).fill(9), ciphertext: new Uint8Array(48) }
      await rejected({ ...base, type: HybridMessageType.DATA_REKEY, step: 1, n: 0, copath: [entry, entry, entry, entry] }, 'HYBRID_BLOB_TOO_LARGE')
    })

    it(`T13 (${mode}): a rekey lost for C only: ${mode === 'mls' ? 'plain MLS decrypts out of order, the lost message late' : 'C buffers, asks with rekey_missing, decrypts after the resend'}`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A1')
      await g.broadcast(B, 'B1')
      await g.advance(2000)
      const a2 = await g.broadcast(A, 'A2', [C]) // lost for C
      const a3 = await g.broadcast(A, 'A3', [C])
      if (mode === 'mls') {
        expect(await g.deliver(a3, C)).toEqual({ kind: 'messages', labels: ['A3'] })
        expect(await g.deliver(a2, C)).toEqual({ kind: 'messages', labels: ['A2'] })
        return
      }
      expect(a2.message!.type).toBe(HybridMessageType.DATA_REKEY)
      const held = await g.deliver(a3, C)
      if (held.kind !== 'buffered') throw new Error(`expected buffered, got ${held.kind}`)
      const ask = await g.sendControl(C, held.request, 'control')
      let resend: Uint8Array | undefined
      for (const l of [A, B, D]) {
        const r = await g.deliver(ask, l)
        expect(r).toMatchObject({ kind: 'rekey-request', forLeaf: A, step: 1 })
        if (l === A) resend = (r as { resend?: Uint8Array }).resend
        else expect((r as { resend?: Uint8Array }).resend).toBeUndefined()
      }
      expect(resend).toEqual(a2.frame)
      const again = await g.sendControl(A, resend!, 'resend')
      expect(await g.deliver(again, C)).toEqual({ kind: 'messages', labels: ['A2', 'A3'] })
      await g.broadcast(A, 'A4')
    })

    it(`T14 (${mode}): A restored from an older copy never repeats a hybrid (key, nonce) pair; its first send rekeys`, async () => {
      const sealed: string[] = []
      const record = (leaf: number, suite: CipherSuite): CipherSuite => (leaf !== A ? suite : recordSeals(suite, sealed))
      const g = await MlsSim.create(mode, { wrapSuite: record })
      await g.broadcast(A, 'A1')
      const old = g.snapshot(A)
      await g.broadcast(A, 'A2')
      await g.broadcast(A, 'A3')
      const m = g.member(A)
      if (mode === 'mls') {
        // Plain MLS restored from the old record re-sends generations the others consumed: refused by them (typed).
        m.group = MlsGroup.deserialize(old.mls)
        const again = await g.send(A, 'A2 again')
        await expect(g.deliver(again, B)).rejects.toMatchObject({ name: 'TalosError' })
        return
      }
      // (a) the hybrid state restored, the MLS state current: the restore rekey is accepted by everyone.
      m.session = HybridSession.restore(old.hybrid!, { current: { ...viewOf(m.group), suite: record(A, m.group.currentState.suite) } }, g.options)
      const again = await g.broadcast(A, 'A2 again')
      expect([again.message!.type, again.message!.step, again.message!.pn]).toEqual([HybridMessageType.DATA_REKEY, 1, 1])
      await g.broadcast(A, 'A3 again')
      await g.broadcast(A, 'A4')
      expect(sealed.length).toBe(6)
      expect(new Set(sealed).size).toBe(6)
      // (b) both restored (one persisted record): still no hybrid pair repeats; the MLS layer's generations
      //     were consumed by the receivers, who refuse them (MLS), until A's ratchet passes them.
      m.group = MlsGroup.deserialize(old.mls)
      m.session = HybridSession.restore(old.hybrid!, { current: { ...viewOf(m.group), suite: record(A, m.group.currentState.suite) } }, g.options)
      const again2 = await g.send(A, 'A2 once more')
      expect(again2.message!.type).toBe(HybridMessageType.DATA_REKEY)
      expect(new Set(sealed).size).toBe(sealed.length)
      await expect(g.member(B).group.processMessage(again2.mls)).rejects.toMatchObject({ name: 'TalosError' })
    })

    it(`T15 (${mode}): an epoch-e message after e+1 ${mode === 'mls' ? 'decrypts (MLS keeps 1 past epoch, no time bound)' : 'decrypts inside the grace, HYBRID_EPOCH_EXPIRED outside'}; a later snapshot exposes nothing of epoch e`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A0')
      await g.broadcast(B, 'B0')
      await g.advance(2000)
      const a1 = await g.broadcast(A, 'A1', [B]) // a rekey (ping-pong): B opens it after the commit, with epoch e's keys
      if (mode !== 'mls') expect(a1.message!.type).toBe(HybridMessageType.DATA_REKEY)
      const a2 = await g.broadcast(A, 'A2', [B])
      const a3 = await g.broadcast(A, 'A3', [B]) // never delivered to B
      await g.selfCommit(C)
      expect(g.epoch).toBe(a1.epoch + 1n)
      expect(await g.deliver(a1, B)).toEqual({ kind: 'messages', labels: ['A1'] })
      await g.advance(10 * 60_000 + 1000)
      if (mode === 'mls') {
        expect(await g.deliver(a2, B)).toEqual({ kind: 'messages', labels: ['A2'] })
        expect(await g.exposed(g.snapshot(B), [a3])).toEqual([a3.index]) // until the epoch leaves MLS's retention
        await g.selfCommit(D)
        expect(await g.exposed(g.snapshot(B), [a1, a2, a3])).toEqual([])
        return
      }
      const before = g.session(B).serialize()
      await expect(g.deliver(a2, B)).rejects.toMatchObject({ code: 'HYBRID_EPOCH_EXPIRED' })
      expect(g.session(B).serialize()).toEqual(before)
      const e = await g.exposure(g.snapshot(B), [a1, a2, a3])
      expect(indices([a1, a2, a3]).filter((i) => e.get(i)!.hybrid)).toEqual([])
      // the previous epoch's hybrid state is gone from B's state
      const bytes = Buffer.from(g.stateBytes(B)).toString('hex')
      const o = g.oracleOf(a1.epoch)
      for (const v of [o.epochSeed, o.chainKey(A, 1, 0), o.chainKey(A, 1, 1), o.chainKey(A, 1, 2), o.messageKey(A, 1, 2).key]) expect(bytes.includes(Buffer.from(v).toString('hex'))).toBe(false)
    })
  }
})
