import { describe, expect, it } from 'vitest'
import { hkdfExtract, hkdfExpand, hmac } from '../src/crypto/sodium.js'
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))
describe('smoke', () => {
  it('hkdf rfc5869 case 1', () => {
    const prk = hkdfExtract('SHA256', hex('000102030405060708090a0b0c'), hex('0b'.repeat(22)))
    expect(Buffer.from(prk).toString('hex')).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5')
    const okm = hkdfExpand('SHA256', prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42)
    expect(Buffer.from(okm).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
    expect(hmac('SHA256', new Uint8Array(100), new Uint8Array(3)).length).toBe(32)
  })
})
