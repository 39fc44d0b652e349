/**
 * The generated codecs (scripts/gen-proto.mjs + src/codec/proto.ts) against
 * protobufjs' reflection codec, on a fixture schema that uses every supported
 * construct (test/codec/fixtures/kitchen_sink.proto):
 *   - our encoding of a random message is byte-identical to protobufjs';
 *   - we decode protobufjs' encoding back to the same message;
 *   - non-canonical but valid input (unpacked repeats, reordered/duplicate
 *     fields, unknown fields) decodes as the protobuf spec says;
 *   - hostile input only ever raises TalosError DECODE_PROTOBUF.
 */
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { isTalosError } from '../../src/errors.js'
import { Dep } from './fixtures/kitchen_dep.js'
import { Color, Sink, Sink_Nested } from './fixtures/kitchen_sink.js'
import { hex, toHex } from '../helpers/vectors.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const reflRoot = new protobuf.Root()
reflRoot.resolvePath = (_o, target) => join(fixtures, target)
reflRoot.loadSync('kitchen_sink.proto')
reflRoot.resolveAll()
const ReflSink = reflRoot.lookupType('talos.v1.Sink')

// --- arbitraries -----------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff })
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
const text = fc.string({ unit: 'binary', maxLength: 12 })
const blob = fc.uint8Array({ maxLength: 12 })
const color = fc.constantFrom(Color.COLOR_UNSPECIFIED, Color.RED, Color.GREEN, Color.NEGATIVE)
const small = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 })
// 'k' prefix: protobufjs writes map entries in object-key order, which puts integer-like keys first.
const mapOf = <V>(v: fc.Arbitrary<V>) => small(fc.tuple(text.map((s) => 'k' + s), v)).map((e) => new Map(e))
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined })

const depArb: fc.Arbitrary<Dep> = fc.record({ name: text, nums: small(u32) })
const nestedArb: fc.Arbitrary<Sink_Nested> = fc.record({ kind: fc.constantFrom(0, 1), rFixed64: small(u64) })

const { sink: sinkArb } = fc.letrec<{ sink: Sink }>((tie) => ({
  sink: fc.record({
    fDouble: fc.double(),
    fFloat: fc.float(),
    fInt32: i32,
    fUint32: u32,
    fSint32: i32,
    fFixed32: u32,
    fSfixed32: i32,
    fInt64: i64,
    fUint64: u64,
    fSint64: i64,
    fFixed64: u64,
    fSfixed64: i64,
    fBool: fc.boolean(),
    fString: text,
    fBytes: blob,
    color,
    dep: opt(depArb),
    child: fc.option(tie('sink'), { nil: undefined, depthSize: 'small' }),
    rInt64: small(i64),
    rSint32: small(i32),
    rDouble: small(fc.double()),
    rBool: small(fc.boolean()),
    rColor: small(color),
    rString: small(text),
    rBytes: small(blob),
    rDep: small(depArb),
    mBytes: mapOf(blob),
    mDep: mapOf(depArb),
    oUint32: opt(u32),
    oString: opt(text),
    choice: opt(
      fc.oneof(
        text.map((value) => ({ case: 'cText' as const, value })),
        depArb.map((value) => ({ case: 'cDep' as const, value })),
        u64.map((value) => ({ case: 'cNum' as const, value })),
      ),
    ),
    nested: opt(nestedArb),
    // Sorted non-negative keys: the order protobufjs iterates an object with integer keys.
    mEnum: small(fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), color)).map(
      (e) => new Map([...new Map(e)].sort((a, b) => a[0] - b[0])),
    ),
    rFixed32: small(u32),
    rSfixed64: small(i64),
    last: fc.boolean(),
  }),
}))

// --- our representation -> protobufjs reflection objects --------------------

const long = (v: bigint) => {
  const u = BigInt.asUintN(64, v)
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 }
}

function toRefl(v: unknown): unknown {
  if (typeof v === 'bigint') return long(v)
  if (v instanceof Uint8Array) return v
  if (Array.isArray(v)) return v.map(toRefl)
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toRefl(x)]))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue
      if (k === 'choice') {
        const c = x as { case: string; value: unknown }
        out[c.case] = toRefl(c.value)
      } else out[k] = toRefl(x)
    }
    return out
  }
  return v
}

function only(code: string, f: () => unknown): void {
  try {
    f()
  } catch (e) {
    if (!isTalosError(e) || e.code !== code) throw new Error(`expected TalosError ${code}, got ${String(e)}`)
  }
}

function rejects(code: string, f: () => unknown): boolean {
  try {
    f()
  } catch (e) {
    return isTalosError(e) && e.code === code
  }
  return false
}

// ---------------------------------------------------------------------------

describe('generated codec vs protobufjs reflection', () => {
  it('encodes byte-for-byte like protobufjs', () => {
    fc.assert(
      fc.property(sinkArb, (m) => {
        const ours = encodeProto(Sink, m)
        const theirs = ReflSink.encode(toRefl(m) as Record<string, unknown>).finish()
        expect(toHex(ours)).toBe(toHex(theirs))
      }),
      { numRuns: 300 },
    )
  })

  it('decodes protobufjs output back to the same message', () => {
    fc.assert(
      fc.property(sinkArb, (m) => {
        const theirs = ReflSink.encode(toRefl(m) as Record<string, unknown>).finish()
        expect(decodeProto(Sink, theirs)).toEqual(Sink.create(m))
      }),
      { numRuns: 300 },
    )
  })

  it('round trips the extremes of every scalar type', () => {
    const m = Sink.create({
      fDouble: -0,
      fFloat: Number.NEGATIVE_INFINITY,
      fInt32: -0x80000000,
      fUint32: 0xffffffff,
      fSint32: -0x80000000,
      fFixed32: 0xffffffff,
      fSfixed32: -1,
      fInt64: -(1n << 63n),
      fUint64: (1n << 64n) - 1n,
      fSint64: -(1n << 63n),
      fFixed64: (1n << 64n) - 1n,
      fSfixed64: (1n << 63n) - 1n,
      color: Color.NEGATIVE,
      fString: 'é😀',
      mEnum: new Map([[-5, Color.RED]]),
      choice: { case: 'cNum', value: 0n },
      oUint32: 0,
      last: true,
    })
    const bytes = encodeProto(Sink, m)
    const back = decodeProto(Sink, bytes)
    expect(back).toEqual(m)
    expect(Object.is(back.fDouble, -0)).toBe(true)
    // Present-but-default values of explicit-presence fields survive; the oneof case too.
    expect(back.oUint32).toBe(0)
    expect(back.choice).toEqual({ case: 'cNum', value: 0n })
    // Field 536870911 (the largest) uses a 5-byte tag: f8 ff ff ff 0f, then true.
    expect(toHex(bytes).endsWith('f8ffffff0f01')).toBe(true)
  })
})

describe('valid non-canonical input', () => {
  it('reads unpacked repeated scalars and packed ones split across records', () => {
    // r_sint32 (20): unpacked 1, then packed [-1, 2]; wire types 0 and 2 both accepted.
    const bytes = hex('a00102' + 'a201020104')
    expect(decodeProto(Sink, bytes).rSint32).toEqual([1, -1, 2])
  })

  it('keeps the last value of a repeated singular field, and skips unknown fields of every wire type', () => {
    // f_int32=1, unknown field 100 varint, unknown 101 i64, unknown 102 len, unknown 103 i32, f_int32=7
    const bytes = hex('1801' + 'a00601' + 'a9060102030405060708' + 'b20603616263' + 'bd0601020304' + '1807')
    expect(decodeProto(Sink, bytes)).toEqual(Sink.create({ fInt32: 7 }))
  })

  it('a oneof keeps the last case written', () => {
    const bytes = hex('fa010161' + '880205')
    expect(decodeProto(Sink, bytes).choice).toEqual({ case: 'cNum', value: 5n })
  })

  it('map entries with missing key or value take the defaults', () => {
    // m_bytes (27) entry with no fields; m_dep (28) entry with key only
    const m = decodeProto(Sink, hex('da0100' + 'e20103' + '0a0178'))
    expect(m.mBytes).toEqual(new Map([['', new Uint8Array(0)]]))
    expect(m.mDep).toEqual(new Map([['x', Dep.create()]]))
  })
})

describe('hostile input raises only DECODE_PROTOBUF', () => {
  const cases: [string, string][] = [
    ['truncated varint', '18'],
    ['varint longer than 10 bytes', '40ffffffffffffffffffff01'],
    ['length beyond the input', '7205616263'],
    ['wrong wire type for a known field', '1d01020304'],
    ['start-group wire type', '1b'],
    ['end-group wire type', '1c'],
    ['wire type 6', '1e'],
    ['wire type 7', '1f'],
    ['field number 0', '0001'],
    ['tag longer than 5 bytes', '888080808000' + '01'],
    ['length of 2^32 - 1', '7affffffff0f'],
    ['invalid UTF-8 in a string', '7202c328'],
    ['UTF-8 encoded surrogate', '7203eda080'],
    ['undeclared enum value', '800103'],
    ['undeclared enum value in a packed repeat', 'ba01020105'],
    ['packed fixed32 not a multiple of 4', 'a20203010203'],
    // child (18) of length 3 holding f_bytes (15) claiming 2 bytes: would read into the parent.
    ['nested field overrunning its message', '9201037a02' + '6162'],
    ['packed region overrunning its field', 'a20102'],
  ]
  for (const [what, h] of cases) {
    it(what, () => expect(rejects('DECODE_PROTOBUF', () => decodeProto(Sink, hex(h)))).toBe(true))
  }

  it('refuses input over maxBytes before parsing', () => {
    const bytes = encodeProto(Sink, Sink.create({ fBytes: new Uint8Array(100) }))
    expect(decodeProto(Sink, bytes, { maxBytes: bytes.length }).fBytes.length).toBe(100)
    expect(rejects('DECODE_PROTOBUF', () => decodeProto(Sink, bytes, { maxBytes: bytes.length - 1 }))).toBe(true)
  })

  it('bounds nesting depth', () => {
    let m = Sink.create({ fBool: true })
    for (let i = 0; i < 32; i++) m = Sink.create({ child: m })
    const ok = encodeProto(Sink, m) // 32 levels below the top
    expect(decodeProto(Sink, ok)).toEqual(m)
    const tooDeep = encodeProto(Sink, Sink.create({ child: m }))
    expect(rejects('DECODE_PROTOBUF', () => decodeProto(Sink, tooDeep))).toBe(true)
    expect(decodeProto(Sink, tooDeep, { maxDepth: 33 })).toEqual(Sink.create({ child: m }))
  })

  it('decoded bytes are copies, not views of the input', () => {
    const bytes = encodeProto(Sink, Sink.create({ fBytes: new Uint8Array([1, 2, 3]) }))
    const m = decodeProto(Sink, bytes)
    bytes.fill(0)
    expect(m.fBytes).toEqual(new Uint8Array([1, 2, 3]))
    expect(m.fBytes.buffer.byteLength).toBe(3)
  })

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => only('DECODE_PROTOBUF', () => decodeProto(Sink, b))),
      { numRuns: 3000 },
    )
  })

  it('truncations and byte mutations of valid messages', () => {
    fc.assert(
      fc.property(sinkArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (m, cut, at, byte) => {
        const bytes = encodeProto(Sink, m)
        only('DECODE_PROTOBUF', () => decodeProto(Sink, bytes.subarray(0, cut % (bytes.length + 1))))
        if (bytes.length > 0) {
          const mutated = bytes.slice()
          mutated[at % bytes.length] = byte
          only('DECODE_PROTOBUF', () => decodeProto(Sink, mutated))
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('encoding ill-typed values raises DECODE_INVALID_VALUE', () => {
  const bad: [string, Partial<Sink>][] = [
    ['int32 out of range', { fInt32: 2 ** 31 }],
    ['uint32 negative', { fUint32: -1 }],
    ['non-integer int32', { fSint32: 1.5 }],
    ['number for an int64', { fInt64: 1 as unknown as bigint }],
    ['uint64 negative', { fUint64: -1n }],
    ['uint64 too large', { fFixed64: 1n << 64n }],
    ['int64 too large', { fSfixed64: 1n << 63n }],
    ['lone surrogate', { fString: 'a\uD800b' }],
    ['undeclared enum value', { color: 7 as Color }],
    ['not bytes', { fBytes: [1, 2] as unknown as Uint8Array }],
    ['unknown oneof case', { choice: { case: 'nope', value: 1 } as unknown as Sink['choice'] }],
    ['missing repeated array', { rString: undefined as unknown as string[] }],
  ]
  for (const [what, init] of bad) {
    it(what, () => {
      const m = { ...Sink.create(), ...init }
      expect(rejects('DECODE_INVALID_VALUE', () => encodeProto(Sink, m))).toBe(true)
    })
  }
})
