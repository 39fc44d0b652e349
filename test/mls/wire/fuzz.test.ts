/**
 * Hostile input to every top-level wire decoder: random bytes, and valid
 * encodings (official samples and generated values) mutated by bit flips,
 * truncations, insertions, deletions and boundary-byte overwrites. A decoder
 * either succeeds, and then re-encodes to exactly the input (every accepted
 * encoding is canonical: minimal varints, 0/1 presence octets, known enum
 * values, zero padding), or throws a TalosError with a DECODE_ code. Never a
 * RangeError/TypeError, never a hang.
 *
 * The decoders are driven with a raw Reader, not decode(), because decode()
 * would convert a stray RangeError into a TalosError and hide the bug.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encode, Reader, type Codec } from '../../../src/codec/tls.js'
import { TalosError } from '../../../src/errors.js'
import { toHex } from '../../helpers/vectors.js'
import { ENTRIES } from './codec-table.js'

type Mutation = (b: Uint8Array) => Uint8Array

const at = (b: Uint8Array, p: number) => (b.length === 0 ? 0 : p % (b.length + 1))

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([p, bit]): Mutation => (b) => {
    if (b.length === 0) return b
    const out = b.slice()
    out[p % b.length]! ^= 1 << bit
    return out
  }),
  fc.nat().map((n): Mutation => (b) => b.subarray(0, at(b, n))),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, ins]): Mutation => (b) => {
    const i = at(b, p)
    return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)])
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 16 })).map(([p, n]): Mutation => (b) => {
    const i = at(b, p)
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)])
  }),
  fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff)).map(
    ([p, v]): Mutation =>
      (b) => {
        if (b.length === 0) return b
        const out = b.slice()
        out[p % b.length] = v
        return out
      },
  ),
)

/** Decode `input` with a bare Reader; returns 'ok' or 'rejected', throws on a non-TalosError. */
function probe(codec: Codec<unknown>, input: Uint8Array, name: string): 'ok' | 'rejected' {
  let value: unknown
  try {
    const r = new Reader(input)
    value = codec.decode(r)
    r.assertDone(name)
  } catch (e) {
    if (!(e instanceof TalosError)) {
      throw new Error(`${name}: ${toHex(input)} raised a non-TalosError: ${String(e)}`, { cause: e })
    }
    expect(e.code.startsWith('DECODE_'), `${name}: error code ${e.code}`).toBe(true)
    return 'rejected'
  }
  expect(toHex(encode(codec, value)), `${name}: accepted input must re-encode identically`).toBe(toHex(input))
  return 'ok'
}

describe('wire decoders under fuzzing', () => {
  for (const [name, { codec, arb, samples }] of Object.entries(ENTRIES)) {
    it(`${name}: random bytes only ever decode canonically or raise DECODE_*`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
          probe(codec, b, name)
        }),
        { numRuns: 300 },
      )
    })

    it(`${name}: mutated valid encodings only ever decode canonically or raise DECODE_*`, () => {
      const base = samples.length > 0 ? fc.oneof(fc.constantFrom(...samples), arb.map((v) => encode(codec, v))) : arb.map((v) => encode(codec, v))
      let rejected = 0
      fc.assert(
        fc.property(base, fc.array(mutation, { minLength: 1, maxLength: 3 }), (b, ms) => {
          if (probe(codec, ms.reduce((acc, m) => m(acc), b), name) === 'rejected') rejected++
        }),
        { numRuns: 400 },
      )
      // The mutations must actually reach the error paths.
      expect(rejected).toBeGreaterThan(0)
    })
  }
})
