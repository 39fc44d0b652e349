import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { isTalosError } from '../../../src/errors.js'
import {
  encodePskLabel,
  preSharedKeyIdCodec,
  PSKType,
  ResumptionPSKUsage,
  type PreSharedKeyID,
} from '../../../src/mls/wire/psk.js'
import { hex, toHex } from '../../helpers/vectors.js'

describe('PreSharedKeyID (RFC 9420 §8.4)', () => {
  it('encodes an external PSK id byte by byte', () => {
    const id: PreSharedKeyID = { psktype: PSKType.external, pskId: hex('aabb'), pskNonce: hex('010203') }
    const bytes = encode(preSharedKeyIdCodec, id)
    expect(toHex(bytes)).toBe('01' + '02aabb' + '03010203')
    expect(decode(preSharedKeyIdCodec, bytes)).toEqual(id)
  })

  it('encodes a resumption PSK id byte by byte', () => {
    const id: PreSharedKeyID = {
      psktype: PSKType.resumption,
      usage: ResumptionPSKUsage.branch,
      pskGroupId: hex('6767'),
      pskEpoch: 0x0102030405060708n,
      pskNonce: hex('ff'),
    }
    const bytes = encode(preSharedKeyIdCodec, id)
    expect(toHex(bytes)).toBe('02' + '03' + '026767' + '0102030405060708' + '01ff')
    expect(decode(preSharedKeyIdCodec, bytes)).toEqual(id)
  })

  it.each([
    ['reserved psktype', '00' + '00' + '00'],
    ['unknown psktype', '03' + '00' + '00'],
    ['reserved usage', '02' + '00' + '00' + '0000000000000000' + '00'],
    ['unknown usage', '02' + '04' + '00' + '0000000000000000' + '00'],
  ])('rejects %s with DECODE_INVALID_VALUE', (_name, h) => {
    expect(() => decode(preSharedKeyIdCodec, hex(h))).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_VALUE' }),
    )
  })
})

describe('PSKLabel (RFC 9420 §8.4)', () => {
  const id: PreSharedKeyID = { psktype: PSKType.external, pskId: hex('aa'), pskNonce: hex('bb') }
  it('appends uint16 index and count to the id', () => {
    expect(toHex(encodePskLabel(id, 2, 3))).toBe('01' + '01aa' + '01bb' + '0002' + '0003')
  })
  it('refuses an index outside the uint16 range or past count', () => {
    for (const [i, n] of [[3, 3], [0, 0x10000], [-1, 2]] as const) {
      let err: unknown
      try {
        encodePskLabel(id, i, n)
      } catch (e) {
        err = e
      }
      expect(isTalosError(err, 'MLS_INVALID_PSK_INDEX')).toBe(true)
    }
  })
})
