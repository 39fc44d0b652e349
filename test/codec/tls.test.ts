/**
 * TLS presentation language codec (RFC 9420 §2.1, varints §2.1.2):
 * boundaries, canonical-form rejections, truncation, trailing bytes,
 * optional<T>, nested vectors, u64; then fast-check over random schemas built
 * from the combinators (round trip, every prefix truncated, random bytes).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Codec,
  MAX_VARINT,
  Reader,
  Writer,
  decode,
  encode,
  fixed,
  opaque,
  optional,
  struct,
  uint16,
  uint32,
  uint64,
  uint8,
  vec,
} from '../../src/codec/tls.js'
import { isTalosError } from '../../src/errors.js'
import { hex, toHex } from '../helpers/vectors.js'

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    if (isTalosError(e)) return e.code
    throw e // anything but a TalosError is a bug
  }
  return undefined
}

const varintBytes = (v: number) => toHex(new Writer().varint(v).finish())
const readVarint = (h: string) => {
  const r = new Reader(hex(h))
  const v = r.varint()
  r.assertDone()
  return v
}

describe('varint (RFC 9420 §2.1.2)', () => {
  const boundaries: [number, string][] = [
    [0, '00'],
    [37, '25'],
    [63, '3f'],
    [64, '4040'],
    [15293, '7bbd'],
    [16383, '7fff'],
    [16384, '80004000'],
    [494878333, '9d7f3e7d'],
    [2 ** 30 - 1, 'bfffffff'],
  ]
  for (const [v, h] of boundaries) {
    it(`${v} <-> ${h}`, () => {
      expect(varintBytes(v)).toBe(h)
      expect(readVarint(h)).toBe(v)
    })
  }

  it('the writer refuses 2^30, negatives and non-integers', () => {
    expect(MAX_VARINT).toBe(2 ** 30 - 1)
    for (const v of [2 ** 30, 2 ** 32, -1, 1.5, Number.NaN]) {
      expect(codeOf(() => new Writer().varint(v))).toBe('DECODE_VARINT_TOO_LARGE')
    }
  })

  it('non-minimal encodings are rejected', () => {
    for (const h of ['4000', '4001', '403f', '80000000', '80000001', '80003fff']) {
      expect(codeOf(() => readVarint(h)), h).toBe('DECODE_NON_MINIMAL_VARINT')
    }
  })

  it('the 0b11 prefix is rejected', () => {
    for (const h of ['c0', 'c000000000000000', 'ff', 'ffffffffffffffff']) {
      expect(codeOf(() => readVarint(h)), h).toBe('DECODE_INVALID_VARINT')
    }
  })

  it('truncated varints', () => {
    for (const h of ['', '40', '80', '800040', '8000']) expect(codeOf(() => readVarint(h)), h).toBe('DECODE_TRUNCATED')
  })

  it('every value round trips through the smallest encoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VARINT }), (v) => {
        const b = new Writer().varint(v).finish()
        expect(b.length).toBe(v < 64 ? 1 : v < 16384 ? 2 : 4)
        expect(new Reader(b).varint()).toBe(v)
      }),
    )
  })
})

describe('Reader over a Node Buffer', () => {
  it('bytes() and opaque() return copies, never views of the caller\'s Buffer', () => {
    const buf = Buffer.from([1, 2, 3, 4, 5, 2, 9, 9])
    const r = new Reader(buf)
    const raw = r.bytes(4)
    const sub = new Reader(buf, 5).opaque()
    raw.fill(0)
    sub.fill(0)
    expect([...buf]).toEqual([1, 2, 3, 4, 5, 2, 9, 9])
    expect(Object.getPrototypeOf(raw)).toBe(Uint8Array.prototype)
  })
})

describe('fixed-width integers', () => {
  it('u64 round trips the full range as bigint', () => {
    for (const v of [0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const b = encode(uint64, v)
      expect(b.length).toBe(8)
      expect(decode(uint64, b)).toBe(v)
    }
    expect(toHex(encode(uint64, 0x0102030405060708n))).toBe('0102030405060708')
    expect(toHex(new Writer().u64(258).finish())).toBe('0000000000000102')
  })

  it('big-endian u8/u16/u32', () => {
    const b = new Writer().u8(0xab).u16(0x0102).u32(0xfffffffe).finish()
    expect(toHex(b)).toBe('ab0102fffffffe')
    const r = new Reader(b)
    expect([r.u8(), r.u16(), r.u32()]).toEqual([0xab, 0x0102, 0xfffffffe])
  })

  it('the writer refuses values that do not fit instead of wrapping them', () => {
    const bad: [string, () => unknown][] = [
      ['u8 256', () => new Writer().u8(256)],
      ['u8 -1', () => new Writer().u8(-1)],
      ['u16 65536', () => new Writer().u16(65536)],
      ['u32 -1', () => new Writer().u32(-1)],
      ['u32 2^32', () => new Writer().u32(2 ** 32)],
      ['u32 1.5', () => new Writer().u32(1.5)],
      ['u64 -1n', () => new Writer().u64(-1n)],
      ['u64 2^64', () => new Writer().u64(2n ** 64n)],
      ['u64 1.5', () => new Writer().u64(1.5)],
      ['u64 2^53', () => new Writer().u64(2 ** 53)],
    ]
    for (const [what, f] of bad) expect(codeOf(f), what).toBe('DECODE_INVALID_VALUE')
  })

  it('a zero-capacity writer grows', () => {
    expect(toHex(new Writer(0).u32(7).opaque(new Uint8Array(100)).finish()).length).toBe(2 * (4 + 2 + 100))
  })
})

describe('vectors, optionals, whole-message decoding', () => {
  it('nested vectors have the exact RFC encoding', () => {
    const c = vec(vec(opaque))
    const v = [[hex('aa')], [], [hex(''), hex('bbcc')]]
    // outer len 9 | [len 2 | 01 aa] | [len 0] | [len 4 | 00 | 02 bb cc]
    const b = encode(c, v)
    expect(toHex(b)).toBe('09' + '0201aa' + '00' + '04' + '00' + '02bbcc')
    expect(decode(c, b)).toEqual(v)
  })

  it('vectors switch to 2- and 4-byte prefixes at 64 and 16384 bytes', () => {
    for (const [n, prefix] of [
      [63, '3f'],
      [64, '4040'],
      [16383, '7fff'],
      [16384, '80004000'],
    ] as const) {
      const body = Uint8Array.from({ length: n }, (_, i) => i & 0xff)
      const b = new Writer().vector((w) => w.bytes(body)).finish()
      expect(toHex(b.subarray(0, prefix.length / 2))).toBe(prefix)
      expect(b.subarray(prefix.length / 2)).toEqual(body)
      expect(decode(opaque, b)).toEqual(body)
    }
  })

  it('a vector body must be consumed exactly', () => {
    const r = new Reader(hex('020102'))
    expect(codeOf(() => r.vector((s) => s.u8()))).toBe('DECODE_LENGTH_MISMATCH')
    // An item straddling the end of its vector is truncated inside the vector.
    expect(codeOf(() => decode(vec(uint16), hex('03000100')))).toBe('DECODE_TRUNCATED')
  })

  it('optional<T>: 0 absent, 1 present, anything else rejected', () => {
    const c = optional(uint16)
    expect(toHex(encode(c, undefined))).toBe('00')
    expect(toHex(encode(c, 0x1234))).toBe('011234')
    expect(decode(c, hex('00'))).toBeUndefined()
    expect(decode(c, hex('011234'))).toBe(0x1234)
    for (const h of ['02', '021234', 'ff']) expect(codeOf(() => decode(c, hex(h))), h).toBe('DECODE_INVALID_OPTIONAL')
  })

  it('decode() rejects trailing bytes', () => {
    expect(decode(uint16, hex('0102'))).toBe(0x0102)
    expect(codeOf(() => decode(uint16, hex('010203')))).toBe('DECODE_TRAILING_BYTES')
    expect(codeOf(() => decode(opaque, hex('0000')))).toBe('DECODE_TRAILING_BYTES')
  })

  it('a length larger than the input is truncation, not an allocation', () => {
    expect(codeOf(() => decode(opaque, hex('bfffffff00')))).toBe('DECODE_TRUNCATED')
    expect(codeOf(() => decode(vec(uint8), hex('bfffffff')))).toBe('DECODE_TRUNCATED')
  })

  it('fixed(n) reads exactly n bytes and refuses other lengths when writing', () => {
    expect(decode(fixed(3), hex('010203'))).toEqual(hex('010203'))
    expect(codeOf(() => decode(fixed(3), hex('0102')))).toBe('DECODE_TRUNCATED')
    expect(codeOf(() => encode(fixed(3), hex('01')))).toBe('DECODE_INVALID_VALUE')
  })

  it('decoded bytes do not alias the input', () => {
    const input = hex('03010203')
    const out = decode(opaque, input)
    input.fill(0)
    expect(out).toEqual(hex('010203'))
  })

  it('enumValue and sliceFrom', () => {
    const r = new Reader(hex('0001' + '0002' + '07'))
    const allowed = new Set([1, 2])
    expect(r.enumValue(2, allowed, 'x')).toBe(1)
    const start = r.offset
    expect(r.enumValue(2, allowed, 'x')).toBe(2)
    expect(toHex(r.sliceFrom(start))).toBe('0002')
    expect(codeOf(() => r.enumValue(1, allowed, 'x'))).toBe('DECODE_INVALID_VALUE')
  })
})

// --- random schemas built from the combinators --------------------------------

type Schema =
  | { t: 'u8' | 'u16' | 'u32' | 'u64' | 'opaque' }
  | { t: 'fixed'; n: number }
  | { t: 'vec' | 'optional'; of: Schema }
  | { t: 'struct'; fields: Schema[] }

// Every encoding is at least one byte (no empty structs, no fixed(0)): a vector of zero-length
// items could not tell how many it held, which is a property of TLS, not a bug.
const { schema: schemaArb } = fc.letrec<{ schema: Schema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Schema>({ t: 'u8' }, { t: 'u16' }, { t: 'u32' }, { t: 'u64' }, { t: 'opaque' }),
    fc.integer({ min: 1, max: 5 }).map((n): Schema => ({ t: 'fixed', n })),
    tie('schema').map((of): Schema => ({ t: 'vec', of })),
    tie('schema').map((of): Schema => ({ t: 'optional', of })),
    fc.array(tie('schema'), { minLength: 1, maxLength: 4 }).map((fields): Schema => ({ t: 'struct', fields })),
  ),
}))

function codecOf(s: Schema): Codec<any> {
  switch (s.t) {
    case 'u8':
      return uint8
    case 'u16':
      return uint16
    case 'u32':
      return uint32
    case 'u64':
      return uint64
    case 'opaque':
      return opaque
    case 'fixed':
      return fixed(s.n)
    case 'vec':
      return vec(codecOf(s.of))
    case 'optional':
      return optional(codecOf(s.of))
    case 'struct':
      return struct(Object.fromEntries(s.fields.map((f, i) => [`f${i}`, codecOf(f)])))
  }
}

function valueOf(s: Schema): fc.Arbitrary<unknown> {
  switch (s.t) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff })
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff })
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff })
    case 'u64':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
    case 'opaque':
      return fc.uint8Array({ maxLength: 80 })
    case 'fixed':
      return fc.uint8Array({ minLength: s.n, maxLength: s.n })
    case 'vec':
      return fc.array(valueOf(s.of), { maxLength: 4 })
    case 'optional':
      return fc.option(valueOf(s.of), { nil: undefined })
    case 'struct':
      return fc.tuple(...s.fields.map(valueOf)).map((vs) => Object.fromEntries(vs.map((v, i) => [`f${i}`, v])))
  }
}

const schemaAndValue = schemaArb.chain((s) => fc.tuple(fc.constant(s), valueOf(s)))

describe('combinators (fast-check)', () => {
  it('Writer -> Reader round trips random structs, and re-encoding is byte-identical', () => {
    fc.assert(
      fc.property(schemaAndValue, ([s, v]) => {
        const c = codecOf(s)
        const b = encode(c, v)
        const back = decode(c, b)
        expect(back).toEqual(v)
        expect(toHex(encode(c, back))).toBe(toHex(b))
      }),
      { numRuns: 500 },
    )
  })

  it('every strict prefix of an encoding is DECODE_TRUNCATED', () => {
    fc.assert(
      fc.property(schemaAndValue, ([s, v]) => {
        const c = codecOf(s)
        const b = encode(c, v)
        for (let i = 0; i < b.length; i++) expect(codeOf(() => decode(c, b.subarray(0, i)))).toBe('DECODE_TRUNCATED')
      }),
      { numRuns: 300 },
    )
  })

  it('an appended byte is DECODE_TRAILING_BYTES', () => {
    fc.assert(
      fc.property(schemaAndValue, fc.integer({ min: 0, max: 255 }), ([s, v], x) => {
        const c = codecOf(s)
        const b = encode(c, v)
        const longer = new Uint8Array(b.length + 1)
        longer.set(b)
        longer[b.length] = x
        expect(codeOf(() => decode(c, longer))).toBe('DECODE_TRAILING_BYTES')
      }),
      { numRuns: 200 },
    )
  })

  it('a Reader on random bytes only ever throws TalosError (DECODE_*)', () => {
    // Driven through Reader directly, not decode(), so a stray RangeError/TypeError would surface here.
    fc.assert(
      fc.property(schemaArb, fc.uint8Array({ maxLength: 64 }), (s, bytes) => {
        const c = codecOf(s)
        const r = new Reader(bytes)
        const code = codeOf(() => {
          c.decode(r)
          r.assertDone()
        })
        if (code !== undefined) expect(code).toMatch(/^DECODE_/)
      }),
      { numRuns: 3000 },
    )
  })

  it('random mutations of valid encodings only ever throw TalosError', () => {
    fc.assert(
      fc.property(schemaAndValue, fc.nat(), fc.integer({ min: 0, max: 255 }), ([s, v], at, x) => {
        const c = codecOf(s)
        const b = encode(c, v)
        if (b.length === 0) return
        b[at % b.length] = x
        const r = new Reader(b)
        const code = codeOf(() => {
          c.decode(r)
          r.assertDone()
        })
        if (code !== undefined) expect(code).toMatch(/^DECODE_/)
      }),
      { numRuns: 1000 },
    )
  })
})
