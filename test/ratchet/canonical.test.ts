/** The exactly sized per-message encoders write the same bytes as the TLS Writer. */
import { describe, expect, it } from 'vitest'
import { Writer } from '../../src/codec/tls.js'
import { encodeHeader, messageAd } from '../../src/ratchet/header.js'
import { putOpaque, putU32 } from '../../src/ratchet/canonical.js'
import { varintSize } from '../../src/codec/tls.js'

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describe('canonical per-message encoding', () => {
  it('opaque and uint32 fields equal the Writer for 1-, 2- and 4-byte length prefixes', () => {
    for (const len of [0, 1, 63, 64, 100, 0x3fff, 0x4000, 70000]) {
      const b = bytes(len)
      for (const v of [0, 1, 0x7f, 0x80, 0xffff, 0x12345678, 0xffffffff]) {
        const out = new Uint8Array(varintSize(len) + len + 4)
        putU32(out, putOpaque(out, 0, b), v)
        expect(out).toEqual(new Writer().opaque(b).u32(v).finish())
      }
    }
  })

  it('the header and the message AD equal their Writer encodings', () => {
    const key = bytes(32, 7)
    for (const [pn, n] of [
      [0, 0],
      [5, 1000],
      [0xfffffffe, 0xfffffffe],
    ] as const) {
      const header = encodeHeader({ ratchetKey: key, pn, n })
      expect(header).toEqual(new Writer().opaque(key).u32(pn).u32(n).finish())
      for (const adLen of [40, 64, 132, 20000]) {
        const ad = bytes(adLen, 3)
        for (const he of [false, true]) {
          expect(messageAd(ad, he, header)).toEqual(new Writer().opaque(ad).u8(1).u8(he ? 1 : 0).opaque(header).finish())
        }
      }
    }
    expect(() => encodeHeader({ ratchetKey: key, pn: -1, n: 0 })).toThrow(expect.objectContaining({ code: 'DECODE_INVALID_VALUE' }))
  })
})
