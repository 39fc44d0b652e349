/**
 * The per-message fast paths of src/hybrid (no derived value changes; the
 * published vectors pin those): the direct DATA frame decoder returns exactly
 * what the generic Protobuf decoder returns, or defers to it; hybLabel and
 * hybLabelU32 equal the TLS-writer form of HybLabel; synchronous DATA
 * encrypt/receive keep the call order with queued (rekey) operations.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { Writer } from '../../src/codec/tls.js'
import { hybLabel, uint32Bytes } from '../../src/hybrid/index.js'
import { hybLabelU32 } from '../../src/hybrid/kdf.js'
import { decodeDataFrame, decodeFrame, encodeDataFrame } from '../../src/hybrid/message.js'
import { HybridFrame, HybridMessageType } from '../../src/proto/hybrid.js'
import { SimGroup } from './harness/group.js'

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
