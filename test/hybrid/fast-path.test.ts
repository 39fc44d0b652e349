/**
 * The per-message fast paths of src/hybrid (no derived value changes; the
 * published vectors pin those): the direct DATA frame decoder returns exactly
 * what the generic Protobuf decoder returns, or defers to it; hybLabel and
 * hybLabelU32 equal the TLS-writer form of HybLabel; synchronous DATA
 * encrypt/receive keep the call order with queued (rekey) operations;
 * receiveNext (the in-order DATA receive) and sendNext (a DATA send in the
 * current chain) equal the general paths.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { Writer } from '../../src/codec/tls.js'
import { hybLabel, uint32Bytes } from '../../src/hybrid/index.js'
import { hybLabelU32 } from '../../src/hybrid/kdf.js'
import { decodeDataFrame, decodeFrame, encodeDataFrame } from '../../src/hybrid/message.js'
import { HybridFrame, HybridMessageType } from '../../src/proto/hybrid.js'
import { resolveDeps } from '../../src/hybrid/deps.js'
import { resolvePolicy } from '../../src/hybrid/policy.js'
import { receiveNext, stageReceive } from '../../src/hybrid/receive.js'
import { sendNext, stageSend } from '../../src/hybrid/send.js'
import { encodeState } from '../../src/hybrid/state-codec.js'
import { newEpochState, type EpochState } from '../../src/hybrid/state.js'
import { SimGroup } from './harness/group.js'
import { MemoryTree } from './harness/memory-tree.js'

const u32 = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff }))
const generic = (b: Uint8Array) => decodeProto(HybridFrame, b, { maxBytes: 1 << 20, maxDepth: 8 })

describe('hybrid fast paths', () => {
  it('decodeDataFrame equals the generic decoder on DATA frames', () => {
    fc.assert(
      fc.property(u32, u32, fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.uint8Array({ minLength: 1, maxLength: 2000 }), (step, n, rg, ct) => {
        const frame = encodeDataFrame(step, n, rg, ct)
        const g = generic(frame)
        expect(g.body?.case).toBe('message')
        expect(decodeDataFrame(frame)).toEqual(g.body!.value)
        expect(decodeDataFrame(frame, false)).toEqual(g.body!.value) // views, same values
        expect(decodeFrame(frame, 1 << 20)).toEqual({ kind: 'message', message: g.body!.value })
      }),
      { numRuns: 300 },
    )
  })

  it('decodeDataFrame defers (undefined) on anything else, and decodeFrame then gives the generic result or error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const fast = decodeDataFrame(bytes)
        let g: ReturnType<typeof generic> | undefined
        try {
          g = generic(bytes)
        } catch {
          expect(fast).toBeUndefined()
          return
        }
        if (fast !== undefined) expect(fast).toEqual(g.body?.case === 'message' ? g.body.value : undefined)
      }),
      { numRuns: 2000 },
    )
    // Mutations of a valid DATA frame: same result as the generic path (value or error code).
    const frame = encodeDataFrame(3, 200, new Uint8Array([1, 2, 3, 4]), new Uint8Array(40).fill(7))
    for (let i = 0; i < frame.length; i++) {
      for (const x of [0x00, 0x01, 0x80, 0xff, frame[i]! ^ 0x01]) {
        const m = frame.slice()
        m[i] = x
        let expected: unknown
        try {
          const g = generic(m)
          expected = g.body?.case === 'message' ? { kind: 'message', message: g.body.value } : 'other'
        } catch {
          expected = 'error'
        }
        let got: unknown
        try {
          const d = decodeFrame(m, 1 << 20)
          got = d.kind === 'message' ? d : 'other'
        } catch {
          got = 'error'
        }
        expect(got).toEqual(expected)
      }
    }
    // Non-minimal varints and extra fields are left to the generic decoder.
    const withPn = encodeProto(HybridFrame, {
      body: { case: 'message', value: { version: 1, type: HybridMessageType.DATA, step: 1, n: 1, pn: 5, reuseGuard: new Uint8Array(4), ciphertext: new Uint8Array(16), copath: [], pairwise: [] } },
    })
    expect(decodeDataFrame(withPn)).toBeUndefined()
  })

  it('hybLabel and hybLabelU32 equal the TLS writer form', () => {
    fc.assert(
      fc.property(fc.constantFrom('key', 'nonce', 'secret', 'tree', 'rk'), fc.uint8Array({ maxLength: 20000 }), fc.integer({ min: 1, max: 0xffff }), u32, (label, ctx, len, n) => {
        const w = (c: Uint8Array) => new Writer().u16(len).opaque(new TextEncoder().encode('HYB1 ' + label)).opaque(c).finish()
        expect(hybLabel(label, ctx, len)).toEqual(w(ctx))
        expect(hybLabelU32(label, n, len)).toEqual(w(uint32Bytes(n)))
      }),
      { numRuns: 300 },
    )
  })

  for (const mode of ['copath', 'pairwise'] as const) {
    it(`(${mode}) encrypt calls not awaited one by one keep their order across a rekey`, async () => {
      const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: mode, rekeyAfterMessages: 3, minRekeyIntervalMs: 0 })
      const a = g.member(0)
      const frames = await Promise.all(Array.from({ length: 10 }, (_, i) => a.encrypt(new Uint8Array([i]))))
      const b = g.member(1)
      const got = await Promise.all(frames.map((f) => b.receive(0, 1n, f)))
      const seen = got.flatMap((r) => (r.kind === 'messages' ? r.messages.map((m) => [m.step, m.n, m.plaintext[0]]) : []))
      expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => [Math.floor(i / 3), i % 3, i]))
    })
  }
})

describe('receiveNext (the in-order DATA fast path)', () => {
  /**
   * Two receivers from the same epoch view: one takes receiveNext first and
   * the general path only when it declines (what HybridSession.receive
   * does), the other always the general path (stageReceive, then apply).
   * After every delivery both report the same outcome and serialize to the
   * same bytes.
   */
  for (const mode of ['copath', 'pairwise'] as const) {
    it(`(${mode}) gives the general path's plaintext, error code and state on any delivery schedule`, async () => {
      const tree = await MemoryTree.build({ leafWidth: 4, members: [0, 1, 2, 3], seed: `receiveNext ${mode}` })
      const policy = resolvePolicy({ rekeyMode: mode, rekeyAfterMessages: 4, minRekeyIntervalMs: 0, announceAfterMessages: 3 })
      const deps = resolveDeps()
      // 12 frames each of two senders (frames[0..11] from leaf 0, [12..23] from leaf 2), with rekeys and (pairwise) announcements.
      const frames: { sender: number; frame: Uint8Array }[] = []
      for (const sender of [0, 2]) {
        const st = newEpochState(tree.view(sender), 0)
        for (let i = 0; i < 12; i++) {
          const s = await stageSend(st, policy, deps, new Uint8Array([sender, i]), 0)
          s.apply()
          frames.push({ sender, frame: s.frame })
        }
      }
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              // Mostly a sender's next frame in order (the fast path's case), else any frame (old, ahead, repeated).
              pick: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1).map((who) => ({ who })) }, fc.nat(frames.length - 1).map((i) => ({ i }))),
              flip: fc.option(fc.nat(2000), { freq: 5 }),
              sent: fc.boolean(),
            }),
            { minLength: 1, maxLength: 40 },
          ),
          async (schedule) => {
            const fast = newEpochState(tree.view(1), 0)
            const general = newEpochState(tree.view(1), 0)
            const nextOf = [0, 0]
            for (const { pick, flip, sent } of schedule) {
              // As after a rekey of our own: the ping-pong flag a received message sets again (§6).
              if (sent) fast.send.peerMessageSinceRekey = general.send.peerMessageSinceRekey = false
              const i = 'i' in pick ? pick.i : pick.who * 12 + (nextOf[pick.who]! % 12)
              nextOf[Math.floor(i / 12)] = (i % 12) + 1
              const { sender, frame: original } = frames[i]!
              const frame = original.slice()
              if (flip !== null) frame[flip % frame.length]! ^= 1 + (flip >> 8)
              const outcome = async (s: EpochState, useFast: boolean): Promise<unknown> => {
                try {
                  const d = decodeFrame(frame, 1 << 20, false)
                  if (d.kind !== 'message') return 'other'
                  if (useFast) {
                    const pt = receiveNext(s, sender, d.message)
                    if (pt !== undefined) return [...pt]
                  }
                  const st = await stageReceive(s, policy, sender, d.message, frame, 0)
                  st.apply()
                  return st.kind === 'plaintext' ? [...st.plaintext] : st.kind
                } catch (e) {
                  return (e as { code?: string }).code ?? String(e)
                }
              }
              expect(await outcome(fast, true)).toEqual(await outcome(general, false))
              expect(encodeState(fast, undefined, 0)).toEqual(encodeState(general, undefined, 0))
            }
          },
        ),
        { numRuns: 150 },
      )
    })
  }
})

describe('sendNext (the plain DATA send fast path)', () => {
  /** Deterministic deps: two instances draw the same bytes in the same order; HPKE is a keyed hash. */
  const fixedDeps = () => {
    let counter = 0
    return resolveDeps({
      rng: (n) => {
        counter++
        return Uint8Array.from({ length: n }, (_, i) => (counter * 31 + i * 7) & 0xff)
      },
      encryptWithLabel: async (suite, pk, label, ctx, pt) => ({
        kemOutput: suite.hash(Uint8Array.from([...pk, ...new TextEncoder().encode(label), ...ctx])),
        ciphertext: Uint8Array.from([...suite.hash(pt), ...new Uint8Array(16)]),
      }),
    })
  }

  /**
   * Two senders from the same epoch view with the same deps: one takes
   * sendNext first and stageSend only when it declines (what
   * HybridSession.encrypt does), the other always stageSend + apply. After
   * every send both produced the same frame and serialize to the same bytes.
   */
  for (const mode of ['copath', 'pairwise'] as const) {
    it(`(${mode}) gives stageSend's frame and state on any schedule of sends, peer messages and time`, async () => {
      const tree = await MemoryTree.build({ leafWidth: 4, members: [0, 1, 2, 3], seed: `sendNext ${mode}` })
      const policy = resolvePolicy({ rekeyMode: mode, rekeyAfterMessages: 5, rekeyAfterMs: 10_000, minRekeyIntervalMs: 1000, announceAfterMessages: 3 })
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ peer: fc.boolean(), dt: fc.oneof(fc.constant(0), fc.nat(4000)), size: fc.nat(40) }), { minLength: 1, maxLength: 30 }),
          async (schedule) => {
            const fast = newEpochState(tree.view(0), 0)
            const general = newEpochState(tree.view(0), 0)
            const fastDeps = fixedDeps()
            const generalDeps = fixedDeps()
            let now = 0
            for (const { peer, dt, size } of schedule) {
              now += dt
              // A message from another member arrived (the ping-pong rule, §6).
              if (peer) fast.send.peerMessageSinceRekey = general.send.peerMessageSinceRekey = true
              const pt = new Uint8Array(size).fill(size)
              let a = sendNext(fast, policy, fastDeps, pt, now)
              if (a === undefined) {
                const st = await stageSend(fast, policy, fastDeps, pt, now)
                st.apply()
                a = st.frame
              }
              const st = await stageSend(general, policy, generalDeps, pt, now)
              st.apply()
              expect(a).toEqual(st.frame)
              expect(encodeState(fast, undefined, 0)).toEqual(encodeState(general, undefined, 0))
            }
          },
        ),
        { numRuns: 100 },
      )
    })
  }
})
