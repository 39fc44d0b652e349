/**
 * HybridMessage encoding (HYBRID.md §4): the DATA fast path writes exactly
 * the generated encoder's bytes; the direct AAD writer equals the TLS-writer
 * form; fast-check fuzzing of frame decoding and of whole-message processing
 * (hostile input only ever yields a TalosError and never changes the state).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { HybridSession, decodeFrame } from '../../src/hybrid/index.js'
import { encodeAad } from '../../src/hybrid/encoding.js'
import { Writer } from '../../src/codec/tls.js'
import { encodeDataFrame } from '../../src/hybrid/message.js'
import { HybridFrame, HybridMessageType } from '../../src/proto/hybrid.js'
import { TalosError } from '../../src/errors.js'
import { ManualClock, SimGroup } from './harness/group.js'

const u32 = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff }))

describe('HybridMessage encoding', () => {
  it('encodeDataFrame = encodeProto(HybridFrame) for DATA messages', () => {
    fc.assert(
      fc.property(u32, u32, fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 2000 }), (step, n, rg, ct) => {
        const generic = encodeProto(HybridFrame, {
          body: { case: 'message', value: { version: 1, type: HybridMessageType.DATA, step, n, pn: 0, reuseGuard: rg, ciphertext: ct, copath: [], pairwise: [] } },
        })
        expect(encodeDataFrame(step, n, rg, ct)).toEqual(generic)
      }),
      { numRuns: 300 },
    )
  })

  it('the direct AAD writer equals the §4 layout written with the TLS writer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20000 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u32, u32, u32, u32, fc.uint8Array({ minLength: 32, maxLength: 64 }), (g, epoch, leaf, step, n, pn, hash) => {
        const a = { groupId: g, epoch, senderLeaf: leaf, version: 1, type: 2, step, n, pn, reuseGuard: new Uint8Array([1, 2, 3, 4]), rekeyHash: hash }
        const expected = new Writer()
          .bytes(new TextEncoder().encode('HYB1 msg'))
          .opaque(g)
          .u64(epoch)
          .u32(leaf)
          .u8(1)
          .u8(2)
          .u32(step)
          .u32(n)
          .u32(pn)
          .bytes(a.reuseGuard)
          .bytes(hash)
          .finish()
        expect(encodeAad(a)).toEqual(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('decodeFrame on random bytes: a frame or HYBRID_MALFORMED, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeFrame(bytes, 1 << 16)
        } catch (e) {
          expect(e).toBeInstanceOf(TalosError)
          expect((e as TalosError).code).toBe('HYBRID_MALFORMED')
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('fuzzing message processing', () => {
  it('mutated real frames (DATA and DATA_REKEY, both modes): only TalosError, state unchanged on rejection', async () => {
    for (const mode of ['copath', 'pairwise'] as const) {
      const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: mode }, new ManualClock())
      await g.broadcast(0, 'a0')
      g.clock.advance(2000)
      await g.broadcast(1, 'b0')
      const rekey = await g.send(0, 'a1 rekey')
      const data = await g.send(0, 'a2')
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(rekey.frame, data.frame),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.option(fc.nat({ max: 40 }), { nil: undefined }),
          async (frame, flips, cut) => {
            const rx = g.member(2)
            const bad = frame.slice(0, cut === undefined ? frame.length : Math.max(0, frame.length - cut))
            for (const [pos, x] of flips) if (bad.length > 0) bad[pos % bad.length]! ^= x
            const before = rx.serialize()
            try {
              const r = await rx.receive(0, 1n, bad)
              // Accepted only if the mutation hit bytes outside what is authenticated (an unknown
              // Protobuf field, say) -- then it must be the original message. Undo its effect for the next run.
              if (r.kind === 'messages') {
                expect(['a1 rekey', 'a2']).toContain(new TextDecoder().decode(r.messages[0]!.plaintext))
                g.sessions.set(2, HybridSession.restore(before, { current: g.tree.view(2) }, g.options))
                return
              }
              // A mutated header may be buffered (ahead of the chain): that is a state change by design.
              g.sessions.set(2, HybridSession.restore(before, { current: g.tree.view(2) }, g.options))
            } catch (e) {
              expect(e).toBeInstanceOf(TalosError)
              expect(rx.serialize()).toEqual(before)
            }
          },
        ),
        { numRuns: 150 },
      )
    }
  })
})

describe('fuzzing structured messages', () => {
  it('arbitrary HybridMessage field values: only TalosError; a rejection never changes the state', async () => {
    const g = await SimGroup.create({ leafWidth: 8, members: [0, 1, 2, 3, 5] }, { rekeyMode: 'copath' }, new ManualClock())
    await g.broadcast(0, 'a0')
    const bytes = fc.uint8Array({ maxLength: 90 })
    const copath = fc.record({ nodeIndex: fc.nat({ max: 20 }), kemOutput: bytes, ciphertext: bytes })
    const pairwise = fc.record({ leaf: fc.nat({ max: 9 }), keyVersion: fc.nat({ max: 3 }), kemOutput: bytes, ciphertext: bytes })
    const message = fc.record({
      version: fc.constantFrom(0, 1, 1, 1, 2),
      type: fc.constantFrom(HybridMessageType.DATA, HybridMessageType.DATA_REKEY, HybridMessageType.HYBRID_MESSAGE_TYPE_UNSPECIFIED),
      step: fc.nat({ max: 4 }),
      n: fc.oneof(fc.nat({ max: 5 }), fc.nat()),
      pn: fc.oneof(fc.constant(0), fc.nat({ max: 5 }), fc.nat()),
      reuseGuard: fc.uint8Array({ minLength: 3, maxLength: 5 }),
      announcement: fc.option(fc.record({ version: fc.nat({ max: 3 }), publicKey: bytes }), { nil: undefined }),
      ciphertext: bytes,
      // Either list, both or neither, on either type.
      copath: fc.oneof(fc.array(copath, { maxLength: 0 }), fc.array(copath, { minLength: 1, maxLength: 6 })),
      pairwise: fc.oneof(fc.array(pairwise, { maxLength: 0 }), fc.array(pairwise, { minLength: 1, maxLength: 6 })),
    })
    await fc.assert(
      fc.asyncProperty(message, fc.constantFrom(0, 1, 3, 4, 5), async (m, sender) => {
        const rx = g.member(2)
        const before = rx.serialize()
        const frame = encodeProto(HybridFrame, { body: { case: 'message', value: m } })
        try {
          const r = await rx.receive(sender, 1n, frame)
          expect(r.kind).toBe('buffered') // nothing random can decrypt
          g.sessions.set(2, HybridSession.restore(before, { current: g.tree.view(2) }, g.options))
        } catch (e) {
          expect(e).toBeInstanceOf(TalosError)
          expect((e as TalosError).code).toMatch(/^HYBRID_/)
          expect(rx.serialize()).toEqual(before)
        }
      }),
      { numRuns: 400 },
    )
  })
})

describe('decodeFrame copies', () => {
  it('a DATA frame decoded from a Node Buffer owns its byte fields (Buffer#slice is a view)', async () => {
    const g = await SimGroup.create({ leafWidth: 4 })
    const rec = await g.send(0, 'x')
    const buf = Buffer.from(rec.frame)
    const d = decodeFrame(buf, 1 << 20)
    if (d.kind !== 'message') throw new Error('expected a message')
    const guard = [...d.message.reuseGuard]
    const ct = [...d.message.ciphertext]
    buf.fill(0)
    expect([...d.message.reuseGuard]).toEqual(guard)
    expect([...d.message.ciphertext]).toEqual(ct)
  })
})
