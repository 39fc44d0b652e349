/** Byte-exact encodings of RFC 9420's labeled structs (labeled.ts). */
import { describe, expect, it } from 'vitest'
import { encryptContext, generationContext, kdfLabel, refHashInput, signContent } from '../../src/crypto/labeled.js'
import { isTalosError } from '../../src/errors.js'
import { toHex } from '../helpers/vectors.js'

const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex')

describe('labeled structs', () => {
  it('KDFLabel = uint16 length || opaque "MLS 1.0 "+label || opaque context', () => {
    // "MLS 1.0 key" is 11 bytes -> varint 0x0b; context 2 bytes -> 0x02.
    expect(toHex(kdfLabel('key', new Uint8Array([0xaa, 0xbb]), 16))).toBe('0010' + '0b' + ascii('MLS 1.0 key') + '02aabb')
    expect(toHex(kdfLabel('', new Uint8Array(0), 0x1234))).toBe('1234' + '08' + ascii('MLS 1.0 ') + '00')
  })

  it('uses the 2-byte varint once a vector reaches 64 bytes', () => {
    const ctx = new Uint8Array(64).fill(1)
    expect(toHex(kdfLabel('k', ctx, 1)).slice(4 + 2 + 18, 4 + 2 + 18 + 4)).toBe('4040')
    const ctx63 = new Uint8Array(63)
    expect(toHex(kdfLabel('k', ctx63, 1)).slice(4 + 2 + 18, 4 + 2 + 18 + 2)).toBe('3f')
  })

  it('RefHashInput does not add the MLS prefix; SignContent and EncryptContext do', () => {
    expect(toHex(refHashInput('MLS 1.0 Proposal Reference', new Uint8Array([1])))).toBe(
      '1a' + ascii('MLS 1.0 Proposal Reference') + '0101',
    )
    expect(toHex(signContent('LeafNodeTBS', new Uint8Array([9])))).toBe('13' + ascii('MLS 1.0 LeafNodeTBS') + '0109')
    expect(toHex(encryptContext('UpdatePathNode', new Uint8Array(0)))).toBe('16' + ascii('MLS 1.0 UpdatePathNode') + '00')
  })

  it('DeriveTreeSecret generation is a big-endian uint32, bounds checked', () => {
    expect(toHex(generationContext(0))).toBe('00000000')
    expect(toHex(generationContext(0xa0a0a0a0))).toBe('a0a0a0a0')
    expect(toHex(generationContext(0xffffffff))).toBe('ffffffff')
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
      let err: unknown
      try {
        generationContext(bad)
      } catch (e) {
        err = e
      }
      expect(isTalosError(err, 'CRYPTO_INVALID_LENGTH')).toBe(true)
    }
  })
})
