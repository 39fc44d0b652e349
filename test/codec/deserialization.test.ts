/**
 * deserialization.json (FORMAT.md "Vector Deserialization"): each
 * vlbytes_header is an RFC 9420 §2.1.2 variable-length integer that must
 * decode to `length`. We also check that our Writer produces exactly that
 * header (every vector header is minimal), and that a vector claiming the
 * length either decodes its body or fails as truncated without allocating.
 */
import { describe, expect, it } from 'vitest'
import { Reader, Writer } from '../../src/codec/tls.js'
import { isTalosError } from '../../src/errors.js'
import { hex, loadVectors, toHex } from '../helpers/vectors.js'

interface DeserializationCase {
  vlbytes_header: string
  length: number
}

describe('deserialization.json', () => {
  const cases = loadVectors<DeserializationCase>('deserialization.json')
  it('holds the 14 documented cases', () => expect(cases.length).toBe(14))

  cases.forEach((c, i) => {
    it(`deserialization.json[${i}] ${c.vlbytes_header} = ${c.length}`, () => {
      const header = hex(c.vlbytes_header)
      const r = new Reader(header)
      expect(r.varint()).toBe(c.length)
      expect(r.remaining).toBe(0)
      expect(toHex(new Writer().varint(c.length).finish())).toBe(c.vlbytes_header)

      // As the prefix of opaque<V>: with the body present it decodes to it ...
      if (c.length <= 1 << 16) {
        const body = Uint8Array.from({ length: c.length }, (_, j) => j & 0xff)
        const whole = new Uint8Array(header.length + body.length)
        whole.set(header)
        whole.set(body, header.length)
        expect(new Reader(whole).opaque()).toEqual(body)
      }
      // ... and with one byte missing it is DECODE_TRUNCATED (checked before any allocation).
      if (c.length > 0) {
        const short = new Uint8Array(header.length + Math.min(c.length, 1 << 16) - 1)
        short.set(header)
        let err: unknown
        try {
          new Reader(short).opaque()
        } catch (e) {
          err = e
        }
        expect(isTalosError(err, 'DECODE_TRUNCATED')).toBe(true)
      }
    })
  })
})
