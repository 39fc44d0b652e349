/**
 * The committed ratchet vectors (test/vectors/ratchet-kdf.json) still hold,
 * and the KDFs agree with an independent implementation (node:crypto's HKDF
 * and HMAC, i.e. OpenSSL) on the same inputs.
 */
import { createHmac, hkdfSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { kdfCk, kdfRk, messageAeadKeys } from '../../src/ratchet/kdf.js'
import { hex, toHex } from '../helpers/vectors.js'
import { computeRatchetVectors, fixed } from './vectors.shared.js'

const committed = JSON.parse(readFileSync(new URL('../vectors/ratchet-kdf.json', import.meta.url), 'utf8'))

describe('ratchet fixed vectors', () => {
  it('recomputing every vector gives the committed file', () => {
    expect(computeRatchetVectors()).toEqual(committed)
  })

  it('KDF_RK matches RFC 5869 HKDF computed by OpenSSL', () => {
    for (const v of committed.kdf_rk) {
      const info = v.header_encryption ? 'TALOS-DR root+header v1' : 'TALOS-DR root v1'
      const okm = new Uint8Array(hkdfSync('sha256', hex(v.dh_out), hex(v.root_key), info, v.header_encryption ? 96 : 64))
      expect(toHex(okm.subarray(0, 32))).toBe(v.next_root_key)
      expect(toHex(okm.subarray(32, 64))).toBe(v.chain_key)
      const out = kdfRk(hex(v.root_key), hex(v.dh_out), v.header_encryption)
      expect(toHex(out.chainKey)).toBe(v.chain_key)
    }
  })

  it('KDF_CK is HMAC-SHA256(ck, 0x01) / HMAC-SHA256(ck, 0x02), as the Signal spec recommends', () => {
    let ck = hex(committed.kdf_ck.chain_key)
    expect(toHex(ck)).toBe(toHex(fixed('ck')))
    for (const s of committed.kdf_ck.steps) {
      expect(toHex(createHmac('sha256', ck).update(Buffer.from([1])).digest())).toBe(s.message_key)
      expect(toHex(createHmac('sha256', ck).update(Buffer.from([2])).digest())).toBe(s.next_chain_key)
      const mine = kdfCk(ck)
      expect(toHex(mine.chainKey)).toBe(s.next_chain_key)
      // HKDF-Expand(mk, info, 44) written out from RFC 5869 §2.3 with OpenSSL's HMAC.
      const t1 = createHmac('sha256', hex(s.message_key)).update(Buffer.concat([Buffer.from('TALOS-DR message keys v1'), Buffer.from([1])])).digest()
      const t2 = createHmac('sha256', hex(s.message_key)).update(Buffer.concat([t1, Buffer.from('TALOS-DR message keys v1'), Buffer.from([2])])).digest()
      expect(toHex(Buffer.concat([t1, t2]).subarray(0, 32))).toBe(s.aead_key)
      expect(toHex(Buffer.concat([t1, t2]).subarray(32, 44))).toBe(s.aead_nonce)
      const k = messageAeadKeys(hex(s.message_key))
      expect(toHex(k.key)).toBe(s.aead_key)
      ck = hex(s.next_chain_key)
    }
  })

  it('X3DH: both sides agree and the KDF matches OpenSSL HKDF over F || DH1..DH4', () => {
    for (const v of committed.x3dh) {
      const ikm = Buffer.concat([Buffer.alloc(32, 0xff), ...v.dh.map((d: string) => Buffer.from(d, 'hex'))])
      const adHex: string = v.associated_data
      const info = Buffer.concat([
        Buffer.from([16]),
        Buffer.from('TALOS-DR X3DH v1'),
        Buffer.from(adHex.length / 2 < 64 ? [adHex.length / 2] : [0x40 | ((adHex.length / 2) >> 8), (adHex.length / 2) & 0xff]),
        Buffer.from(adHex, 'hex'),
        Buffer.from([v.header_encryption ? 1 : 0]),
      ])
      const okm = new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(32), info, v.header_encryption ? 96 : 32))
      expect(toHex(okm.subarray(0, 32))).toBe(v.root_key)
      if (v.header_encryption) {
        expect(toHex(okm.subarray(32, 64))).toBe(v.header_key_a)
        expect(toHex(okm.subarray(64, 96))).toBe(v.header_key_b)
      }
    }
  })
})
