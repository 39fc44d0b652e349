import { describe, expect, it } from 'vitest'
import type { CipherSuite } from '../../src/crypto/index.js'
import { HybridMessageType } from '../../src/proto/hybrid.js'
import { HybridSession, decodeFrame, messageRekeyBlob, rekeyHash, rekeyTargets } from '../../src/hybrid/index.js'
import { checkMessage } from '../../src/hybrid/message.js'
import { ManualClock, SimGroup, text } from './harness/group.js'
import { MemoryTree } from './harness/memory-tree.js'

function msg(frame: Uint8Array) {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('not a message')
  return d.message
}

/**
 * Four members in copath mode; 0 sends a1, 1 answers (so 0's next send rekeys), 0's rekey reaches
 * 1 and 3 but not 2; then 0 sends a3 on the new chain, which 2 cannot open yet.
 */
async function rekeyLostByMember2() {
  const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'copath' })
  await g.broadcast(0, 'a1')
  g.clock.advance(1500)
  await g.broadcast(1, 'b1')
  const rk = await g.send(0, 'a2-rekey')
  for (const to of [1, 3]) await g.deliver(rk, to)
  return { g, a3: await g.send(0, 'a3') }
}

describe('hybrid session: basic flow', () => {
  for (const mode of ['pairwise', 'copath'] as const) {
    it(`4 members exchange messages with rekeys (${mode})`, async () => {
      const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: mode })
      const a1 = await g.broadcast(0, 'a1')
      expect(msg(a1.frame).type).toBe(HybridMessageType.DATA)
      expect([msg(a1.frame).step, msg(a1.frame).n]).toEqual([0, 0])
      await g.broadcast(0, 'a2')
      g.clock.advance(2000)
      await g.broadcast(1, 'b1') // ping-pong: B received from A, so B's first send rekeys
      expect(msg(g.wire.at(-1)!.frame).type).toBe(HybridMessageType.DATA_REKEY)
      const a3 = await g.broadcast(0, 'a3') // A got B's message: rekey
      const m3 = msg(a3.frame)
      expect(m3.type).toBe(HybridMessageType.DATA_REKEY)
      expect([m3.step, m3.n, m3.pn]).toEqual([1, 0, 2])
      expect(rekeyTargets(m3)?.mode).toBe(mode)
      const r = await g.member(2).receive(0, 1n, (await g.send(0, 'a4')).frame)
      expect(r.kind).toBe('messages')
      if (r.kind === 'messages') expect(text(r.messages[0]!.plaintext)).toBe('a4')
    })
  }

  for (const mode of ['pairwise', 'copath'] as const) {
    it(`a sole member's rekey (${mode}): DATA_REKEY without entries, its AAD binds the blob a receiver reads from the frame`, async () => {
      const tree = await MemoryTree.build({ leafWidth: 2, members: [0] })
      const aads: Uint8Array[] = []
      const suite: CipherSuite = {
        ...tree.suite,
        ratchetSealInto: (...a: Parameters<CipherSuite['ratchetSealInto']>) => {
          aads.push(a[3].slice())
          return tree.suite.ratchetSealInto(...a)
        },
      }
      const clock = new ManualClock()
      const s = HybridSession.create(tree.view(0, suite), { policy: { rekeyMode: mode, rekeyAfterMessages: 2, minRekeyIntervalMs: 0 }, deps: { now: clock.now } })
      await s.encrypt(new Uint8Array(1))
      await s.encrypt(new Uint8Array(1))
      const m = msg(await s.encrypt(new Uint8Array(1)))
      expect([m.type, m.step, m.copath.length, m.pairwise.length]).toEqual([HybridMessageType.DATA_REKEY, 1, 0, 0])
      checkMessage(m, 1)
      // Without entries the frame reads as a copath rekey in either mode; the sender's AAD says the same.
      const blob = messageRekeyBlob(m)!
      expect([...blob.subarray(0, 3)]).toEqual([1, 1, 0])
      const aad = aads.at(-1)!
      const hash = rekeyHash(tree.suite, blob)
      expect(aad.subarray(aad.length - hash.length)).toEqual(hash)
    })
  }

  it('out-of-order delivery uses skipped keys; a duplicate is refused', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const recs = []
    for (let i = 0; i < 5; i++) recs.push(await g.send(0, `a${i}`))
    for (const i of [4, 0, 2, 1, 3]) {
      const r = await g.deliver(recs[i]!, 1)
      expect(r.kind === 'messages' && text(r.messages[0]!.plaintext)).toBe(`a${i}`)
    }
    await expect(g.deliver(recs[2]!, 1)).rejects.toMatchObject({ code: 'HYBRID_DUPLICATE' })
  })

  it('a lost rekey is buffered, requested with rekey_missing, resent and then unlocks the buffer', async () => {
    const { g, a3 } = await rekeyLostByMember2()
    const held = await g.deliver(a3, 2)
    expect(held.kind).toBe('buffered')
    if (held.kind !== 'buffered') return
    const ask = await g.member(0).receive(2, 1n, held.request)
    expect(ask.kind).toBe('rekey-request')
    if (ask.kind !== 'rekey-request') return
    expect(ask.resend).toBeDefined()
    const got = await g.member(2).receive(0, 1n, ask.resend!)
    expect(got.kind === 'messages' && got.messages.map((m) => text(m.plaintext))).toEqual(['a2-rekey', 'a3'])
  })

  it('a buffered message is a real copy: the caller may reuse its Node Buffer (Buffer#slice is a view)', async () => {
    const { g, a3 } = await rekeyLostByMember2()
    const socket = Buffer.from(a3.frame)
    const held = await g.member(2).receive(0, a3.epoch, socket)
    expect(held.kind).toBe('buffered')
    if (held.kind !== 'buffered') return
    socket.fill(0) // the transport reuses its buffer
    const ask = await g.member(0).receive(2, 1n, held.request)
    if (ask.kind !== 'rekey-request') throw new Error('expected a rekey request')
    const got = await g.member(2).receive(0, 1n, ask.resend!)
    expect(got.kind === 'messages' && got.messages.map((m) => text(m.plaintext))).toEqual(['a2-rekey', 'a3'])
  })

  it('serialize/restore round-trips and the first send after a restore rekeys', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    await g.broadcast(0, 'a1')
    const bytes = g.member(0).serialize()
    const { HybridSession } = await import('../../src/hybrid/index.js')
    const restored = HybridSession.restore(bytes, { current: g.tree.view(0) }, g.options)
    const f = await restored.encrypt(new TextEncoder().encode('after restore'))
    expect(msg(f).type).toBe(HybridMessageType.DATA_REKEY)
    const r = await g.member(1).receive(0, 1n, f)
    expect(r.kind === 'messages' && text(r.messages[0]!.plaintext)).toBe('after restore')
  })
})

describe('hybrid session: caller errors', () => {
  it('encrypt refuses a plaintext that is not a Uint8Array (typed error, state unchanged), on the first send and in a chain', async () => {
    const tree = await MemoryTree.build({ leafWidth: 4, members: [0, 1, 2, 3] })
    const a = HybridSession.create(tree.view(0))
    for (const round of [0, 1]) {
      const before = a.serialize()
      for (const bad of ['hello', [1, 2, 3], undefined, null, 5, new Uint16Array(3)] as unknown[]) {
        await expect(a.encrypt(bad as Uint8Array)).rejects.toMatchObject({ code: 'HYBRID_INVALID_ARGUMENT' })
      }
      expect(a.serialize()).toEqual(before)
      if (round === 0) await a.encrypt(new Uint8Array([1])) // now a send chain exists
    }
  })
})
