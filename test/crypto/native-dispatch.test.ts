/**
 * Long inputs run on node:crypto (OpenSSL), short ones on libsodium
 * (src/crypto/sodium.ts, aead.ts): both sides of every threshold give the
 * same bytes as an independent reference (@noble/hashes for SHA-2, HMAC and
 * HKDF; libsodium itself for ChaCha20-Poly1305), and the native AEAD path
 * refuses tampered input with the same typed error and no plaintext.
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac as nobleHmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { aead, NATIVE_CHACHA_MIN } from '../../src/crypto/aead.js'
import { hkdfExpand, hkdfExtract, hmac, NATIVE_HASH_MIN, NATIVE_MAC_MIN, randomBytes, sha256, sha512, sodium } from '../../src/crypto/sodium.js'
import { TalosError } from '../../src/errors.js'
import { toHex } from '../helpers/vectors.js'

const around = (t: number) => [0, 1, t - 1, t, t + 1, 3 * t + 5]

describe('SHA-2, HMAC and HKDF on both sides of the native thresholds', () => {
  it('sha256 / sha512 match @noble/hashes', () => {
    for (const n of around(NATIVE_HASH_MIN)) {
      const m = randomBytes(n)
      const a = sha256(m)
      expect(a).toBeInstanceOf(Uint8Array)
      expect(Buffer.isBuffer(a)).toBe(false)
      expect(toHex(a)).toBe(toHex(nobleSha256(m)))
      expect(toHex(sha512(m))).toBe(toHex(nobleSha512(m)))
    }
  })

  it('hmac matches @noble/hashes for keys of any length', () => {
    for (const n of around(NATIVE_MAC_MIN)) {
      for (const keyLen of [0, 32, 100, 200]) {
        const k = randomBytes(keyLen)
        const m = randomBytes(n)
        expect(toHex(hmac('SHA256', k, m))).toBe(toHex(nobleHmac(nobleSha256, k, m)))
        expect(toHex(hmac('SHA512', k, m))).toBe(toHex(nobleHmac(nobleSha512, k, m)))
      }
    }
  })

  it('HKDF extract and expand match @noble/hashes (empty and non-empty salt, long info, multi-block output)', () => {
    for (const n of around(NATIVE_MAC_MIN)) {
      for (const salt of [new Uint8Array(0), randomBytes(32)]) {
        const ikm = randomBytes(n)
        const info = randomBytes(n)
        for (const [name, h, nh] of [
          ['SHA256', nobleSha256, 32],
          ['SHA512', nobleSha512, 64],
        ] as const) {
          const prk = hkdfExtract(name, salt, ikm)
          expect(prk.length).toBe(nh)
          for (const len of [12, nh, 3 * nh + 7]) {
            expect(toHex(hkdfExpand(name, prk, info, len))).toBe(toHex(hkdf(h, ikm, salt, info, len)))
          }
        }
      }
    }
  })
})

describe('ChaCha20-Poly1305 on both sides of the native threshold', () => {
  const chacha = aead('CHACHA20POLY1305')
  it('same ciphertext as libsodium; each side opens the other', () => {
    for (const n of around(NATIVE_CHACHA_MIN)) {
      const key = randomBytes(32)
      const nonce = randomBytes(12)
      const aad = randomBytes(n % 50)
      const pt = randomBytes(n)
      const ct = chacha.seal(key, nonce, aad, pt)
      expect(ct).toBeInstanceOf(Uint8Array)
      expect(toHex(ct)).toBe(toHex(sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt, aad, null, nonce, key)))
      expect(toHex(chacha.open(key, nonce, aad, ct))).toBe(toHex(pt))
    }
  })

  it('tampered ciphertext, tag, AAD or nonce: CRYPTO_AEAD_DECRYPT on the native path', () => {
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const aad = randomBytes(20)
    const pt = randomBytes(NATIVE_CHACHA_MIN + 100)
    const ct = chacha.seal(key, nonce, aad, pt)
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return e instanceof TalosError ? e.code : 'other'
      }
      return 'none'
    }
    for (const i of [0, 1000, ct.length - 17, ct.length - 1]) {
      const bad = ct.slice()
      bad[i]! ^= 1
      expect(code(() => chacha.open(key, nonce, aad, bad))).toBe('CRYPTO_AEAD_DECRYPT')
    }
    const badAad = aad.slice()
    badAad[0]! ^= 1
    expect(code(() => chacha.open(key, nonce, badAad, ct))).toBe('CRYPTO_AEAD_DECRYPT')
    const badNonce = nonce.slice()
    badNonce[11]! ^= 1
    expect(code(() => chacha.open(key, badNonce, aad, ct))).toBe('CRYPTO_AEAD_DECRYPT')
  })
})
