/**
 * The committed sender-key vectors still hold, and the chain agrees with an
 * independent HMAC/HKDF (node:crypto, OpenSSL) on the same inputs.
 */
import { createHmac, verify as nodeVerify, createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { hex, toHex } from '../helpers/vectors.js'
import { computeSenderKeyVectors } from './vectors.shared.js'

const committed = JSON.parse(readFileSync(new URL('../vectors/senderkeys-kdf.json', import.meta.url), 'utf8'))

describe('sender-key fixed vectors', () => {
  it('recomputing every vector gives the committed file', () => {
    expect(computeSenderKeyVectors()).toEqual(committed)
  })

  it('the chain is HMAC(ck, 0x01) / HMAC(ck, 0x02) and the keys HKDF-Expand(seed, label || uint32(i), 44)', () => {
    let ck = hex(committed.chain_key)
    for (const s of committed.chain) {
      expect(toHex(createHmac('sha256', ck).update(Buffer.from([1])).digest())).toBe(s.message_seed)
      expect(toHex(createHmac('sha256', ck).update(Buffer.from([2])).digest())).toBe(s.next_chain_key)
      const info = Buffer.concat([Buffer.from('TALOS-SK message keys v1'), Buffer.from([0, 0, 0, s.iteration])])
      const t1 = createHmac('sha256', hex(s.message_seed)).update(Buffer.concat([info, Buffer.from([1])])).digest()
      const t2 = createHmac('sha256', hex(s.message_seed)).update(Buffer.concat([t1, info, Buffer.from([2])])).digest()
      const okm = Buffer.concat([t1, t2])
      expect(toHex(okm.subarray(0, 32))).toBe(s.aead_key)
      expect(toHex(okm.subarray(32, 44))).toBe(s.aead_nonce)
      ck = hex(s.next_chain_key)
    }
  })

  it('the signatures verify with OpenSSL’s Ed25519 over the committed TBS', () => {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(committed.message.signing_key, 'hex').toString('base64url') }, format: 'jwk' })
    for (const m of committed.message.messages) {
      expect(nodeVerify(null, Buffer.from(m.tbs, 'hex'), key, Buffer.from(m.signature, 'hex'))).toBe(true)
    }
  })
})
