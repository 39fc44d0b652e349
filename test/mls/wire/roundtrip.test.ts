/**
 * Round-trip properties over generated values that reach every select branch:
 * decode(encode(v)) equals v, and the encoding decodes with nothing left over.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { toHex } from '../../helpers/vectors.js'
import { ENTRIES } from './codec-table.js'

describe('wire round-trip properties', () => {
  for (const [name, { codec, arb }] of Object.entries(ENTRIES)) {
    it(`${name}: decode(encode(v)) = v and encode(decode(b)) = b`, () => {
      fc.assert(
        fc.property(arb, (v) => {
          const bytes = encode(codec, v)
          const back = decode(codec, bytes, name)
          expect(back).toEqual(v)
          expect(toHex(encode(codec, back))).toBe(toHex(bytes))
        }),
        { numRuns: 150 },
      )
    })
  }
})
