/**
 * The hand-written encoders of the hybrid hot paths against their reference
 * forms on random inputs: the HybridFrame writer (src/hybrid/frame-writer.ts)
 * against protobufjs' generated encoder, and the HybRekeyBlob writer
 * (src/hybrid/encoding.ts) against the TLS Writer form of HYBRID.md §4.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { Writer } from '../../src/codec/tls.js'
import { TalosError } from '../../src/errors.js'
import { encodeRekeyBlob, type RekeyTargets } from '../../src/hybrid/encoding.js'
import { encodeMessageFrame, layoutDataFrame, layoutMessageFrame } from '../../src/hybrid/frame-writer.js'
import { decodeFrame } from '../../src/hybrid/message.js'
import { HybridFrame, HybridMessageType, type HybridKeyAnnouncement, type HybridMessage } from '../../src/proto/hybrid.js'

const u32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0xffffffff),
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 0xffffffff }),
)
const bytes = (max: number) => fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: max }))
const copath = fc.record({ nodeIndex: u32, kemOutput: bytes(140), ciphertext: bytes(90) })
const pairwise = fc.record({ leaf: u32, keyVersion: u32, kemOutput: bytes(140), ciphertext: bytes(90) })
const rekey: fc.Arbitrary<RekeyTargets> = fc.oneof(
  fc.record({ mode: fc.constant('copath' as const), entries: fc.array(copath, { maxLength: 12 }) }),
  fc.record({ mode: fc.constant('pairwise' as const), entries: fc.array(pairwise, { maxLength: 12 }) }),
)
// Often empty: the writer must match the generated encoder on every combination (both lists too, which validation refuses later).
const list = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.oneof(fc.array(a, { maxLength: 0 }), fc.array(a, { minLength: 1, maxLength: 12 }))
const announcement: fc.Arbitrary<HybridKeyAnnouncement> = fc.record({ version: u32, publicKey: bytes(140) })
const message: fc.Arbitrary<HybridMessage> = fc.record({
  version: u32,
  type: fc.constantFrom(HybridMessageType.DATA, HybridMessageType.DATA_REKEY, HybridMessageType.HYBRID_MESSAGE_TYPE_UNSPECIFIED),
  step: u32,
  n: u32,
  pn: u32,
  reuseGuard: bytes(6),
  announcement: fc.option(announcement, { nil: undefined }),
  ciphertext: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 20000 })),
  copath: list(copath),
  pairwise: list(pairwise),
})

/** HybRekeyBlob as HYBRID.md §4 / docs/hybrid-vectors.md define it, with the TLS Writer. */
function referenceBlob(r: RekeyTargets | undefined, a: HybridKeyAnnouncement | undefined): Uint8Array | undefined {
  if (r === undefined && a === undefined) return undefined
  const w = new Writer()
  w.optional(r, (v, x) => {
    if (x.mode === 'copath') v.u8(1).list(x.entries, (y, e) => void y.u32(e.nodeIndex).opaque(e.kemOutput).opaque(e.ciphertext))
    else v.u8(2).list(x.entries, (y, e) => void y.u32(e.leaf).u32(e.keyVersion).opaque(e.kemOutput).opaque(e.ciphertext))
  })
  w.optional(a, (v, x) => void v.u32(x.version).opaque(x.publicKey))
  return w.finish()
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(TalosError)
    return (e as TalosError).code
  }
}

describe('HybridFrame writer', () => {
  it('encodeMessageFrame = encodeProto(HybridFrame) on random messages', () => {
    fc.assert(
      fc.property(message, (m) => {
        const generic = encodeProto(HybridFrame, { body: { case: 'message', value: m } })
        expect(encodeMessageFrame(m)).toEqual(generic)
      }),
      { numRuns: 1500 },
    )
  })

  it('layoutMessageFrame leaves exactly the ciphertext bytes to fill (the rekey entries follow them)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const { frame, ciphertextOffset } = layoutMessageFrame(m, m.ciphertext.length)
        const hole = frame.subarray(ciphertextOffset, ciphertextOffset + m.ciphertext.length)
        expect(hole.length).toBe(m.ciphertext.length)
        expect(hole.every((b) => b === 0)).toBe(true)
        if (m.copath.length + m.pairwise.length === 0) expect(frame.length - ciphertextOffset).toBe(m.ciphertext.length)
        frame.set(m.ciphertext, ciphertextOffset)
        expect(frame).toEqual(encodeProto(HybridFrame, { body: { case: 'message', value: m } }))
      }),
      { numRuns: 300 },
    )
  })

  it('layoutDataFrame (the DATA fast path) = encodeProto(HybridFrame), including its fallbacks', () => {
    fc.assert(
      fc.property(u32, u32, fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ maxLength: 6 })), fc.uint8Array({ maxLength: 3000 }), (step, n, rg, ct) => {
        const { frame, ciphertextOffset } = layoutDataFrame(step, n, rg, ct.length)
        frame.set(ct, ciphertextOffset)
        const m = { version: 1, type: HybridMessageType.DATA, step, n, pn: 0, reuseGuard: rg, ciphertext: ct, copath: [], pairwise: [] }
        expect(frame).toEqual(encodeProto(HybridFrame, { body: { case: 'message', value: m } }))
      }),
      { numRuns: 1000 },
    )
    expect(codeOf(() => layoutDataFrame(1.5, 0, new Uint8Array(4), 20))).toBe('DECODE_INVALID_VALUE')
    expect(codeOf(() => layoutDataFrame(0, 2 ** 32, new Uint8Array(4), 20))).toBe('DECODE_INVALID_VALUE')
  })

  it('round-trips through the decoder', () => {
    fc.assert(
      fc.property(message, (m) => {
        const d = decodeFrame(encodeMessageFrame(m), 1 << 20)
        expect(d.kind).toBe('message')
        const back = (d as { message: HybridMessage }).message
        expect(back.step).toBe(m.step)
        expect(back.pn).toBe(m.pn)
        expect(back.ciphertext).toEqual(m.ciphertext)
        expect(back.copath).toEqual(m.copath)
        expect(back.pairwise).toEqual(m.pairwise)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses ill-typed values as the generated encoder does (DECODE_INVALID_VALUE)', () => {
    const ok: HybridMessage = { version: 1, type: HybridMessageType.DATA, step: 1, n: 2, pn: 0, reuseGuard: new Uint8Array(4), ciphertext: new Uint8Array(16), copath: [], pairwise: [] }
    const bad: HybridMessage[] = [
      { ...ok, step: -1 },
      { ...ok, n: 2 ** 32 },
      { ...ok, pn: 1.5 },
      { ...ok, version: Number.NaN },
      { ...ok, type: 7 as HybridMessageType },
      { ...ok, reuseGuard: [1, 2, 3, 4] as unknown as Uint8Array },
      { ...ok, copath: [{ nodeIndex: -3, kemOutput: new Uint8Array(1), ciphertext: new Uint8Array(1) }] },
      { ...ok, copath: [{ nodeIndex: 1, kemOutput: 'ab' as unknown as Uint8Array, ciphertext: new Uint8Array(1) }] },
      { ...ok, pairwise: [{ leaf: 1, keyVersion: 2 ** 40, kemOutput: new Uint8Array(1), ciphertext: new Uint8Array(1) }] },
      { ...ok, announcement: { version: -1, publicKey: new Uint8Array(32) } },
    ]
    for (const m of bad) {
      expect(codeOf(() => encodeProto(HybridFrame, { body: { case: 'message', value: m } }))).toBe('DECODE_INVALID_VALUE')
      expect(codeOf(() => encodeMessageFrame(m))).toBe('DECODE_INVALID_VALUE')
    }
  })
})

describe('HybRekeyBlob writer', () => {
  it('equals the TLS Writer form on random rekeys and announcements', () => {
    fc.assert(
      fc.property(fc.option(rekey, { nil: undefined }), fc.option(announcement, { nil: undefined }), (r, a) => {
        expect(encodeRekeyBlob(r, a)).toEqual(referenceBlob(r, a))
      }),
      { numRuns: 1500 },
    )
  })

  it('refuses a uint32 out of range as the TLS Writer does', () => {
    const r: RekeyTargets = { mode: 'copath', entries: [{ nodeIndex: 2 ** 32, kemOutput: new Uint8Array(2), ciphertext: new Uint8Array(2) }] }
    expect(codeOf(() => referenceBlob(r, undefined))).toBe('DECODE_INVALID_VALUE')
    expect(codeOf(() => encodeRekeyBlob(r, undefined))).toBe('DECODE_INVALID_VALUE')
  })
})
