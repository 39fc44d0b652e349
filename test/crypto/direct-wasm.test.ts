/**
 * The direct WASM paths of src/crypto/sodium.ts against independent
 * references: ChaCha20-Poly1305 seal-into / open against the libsodium JS
 * wrapper (and every AEAD's sealInto against its seal), and HKDF-Expand of
 * several infos from one PRK (shared HMAC state) against @noble/hashes' HKDF
 * and the one-by-one expand.
 */
import { expand as nobleExpand } from '@noble/hashes/hkdf.js'
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { aead, NATIVE_CHACHA_MIN, type AeadName } from '../../src/crypto/aead.js'
import { getCipherSuite } from '../../src/crypto/index.js'
import { hashKdf } from '../../src/crypto/kdf.js'
import { hkdfExpand, hkdfExpandMany, NATIVE_MAC_MIN, randomBytes, sodium } from '../../src/crypto/sodium.js'
import { thrownCode } from '../helpers/errors.js'
import { toHex } from '../helpers/vectors.js'

const code = thrownCode

describe('ChaCha20-Poly1305 on the WASM export', () => {
  it('sealInto and open equal the libsodium wrapper, at any offset, on both sides of the native threshold', () => {
    const a = aead('CHACHA20POLY1305')
    for (const n of [0, 1, 15, 16, 17, 1024, NATIVE_CHACHA_MIN - 1, NATIVE_CHACHA_MIN, 5000]) {
      for (const aadLen of [0, 13, 90]) {
        const key = randomBytes(32)
        const nonce = randomBytes(12)
        const aad = randomBytes(aadLen)
        const pt = randomBytes(n)
        const ref = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt, aad, null, nonce, key)
        expect(toHex(a.seal(key, nonce, aad, pt))).toBe(toHex(ref))
        const out = new Uint8Array(7 + n + 16 + 5).fill(0xaa)
        a.sealInto(key, nonce, aad, pt, out, 7)
        expect(toHex(out.subarray(7, 7 + n + 16))).toBe(toHex(ref))
        expect(out.subarray(0, 7).every((x) => x === 0xaa) && out.subarray(7 + n + 16).every((x) => x === 0xaa)).toBe(true)
        expect(toHex(a.open(key, nonce, aad, ref))).toBe(toHex(pt))
        const bad = ref.slice()
        bad[bad.length - 1 - (n % 16)]! ^= 1
        expect(code(() => a.open(key, nonce, aad, bad))).toBe('CRYPTO_AEAD_DECRYPT')
        expect(code(() => a.open(key, nonce, randomBytes(aadLen + 1), ref))).toBe('CRYPTO_AEAD_DECRYPT')
      }
    }
  })

  it('every AEAD: sealInto = seal; no room or a bad offset is a typed error', () => {
    for (const name of ['AES128GCM', 'AES256GCM', 'CHACHA20POLY1305'] as AeadName[]) {
      const a = aead(name)
      const key = randomBytes(a.Nk)
      const nonce = randomBytes(12)
      const pt = randomBytes(100)
      const out = new Uint8Array(3 + 116)
      a.sealInto(key, nonce, new Uint8Array(2), pt, out, 3)
      expect(toHex(out.subarray(3))).toBe(toHex(a.seal(key, nonce, new Uint8Array(2), pt)))
      expect(code(() => a.sealInto(key, nonce, new Uint8Array(0), pt, new Uint8Array(115), 0))).toBe('CRYPTO_INVALID_LENGTH')
      expect(code(() => a.sealInto(key, nonce, new Uint8Array(0), pt, out, 4))).toBe('CRYPTO_INVALID_LENGTH')
      expect(code(() => a.sealInto(key, nonce, new Uint8Array(0), pt, out, -1))).toBe('CRYPTO_INVALID_LENGTH')
      expect(code(() => a.sealInto(randomBytes(a.Nk + 1), nonce, new Uint8Array(0), pt, out, 3))).toBe('CRYPTO_INVALID_KEY')
    }
  })

  it('the seal of the wire: a suite seal into a frame is the suite seal', () => {
    const cs = getCipherSuite(3)
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const frame = new Uint8Array(10 + 64 + 16)
    const pt = randomBytes(64)
    cs.sealInto(key, nonce, new Uint8Array(0), pt, frame, 10)
    expect(toHex(cs.open(key, nonce, new Uint8Array(0), frame.subarray(10)))).toBe(toHex(pt))
  })
})

describe('HKDF-Expand of several infos from one PRK', () => {
  it('equals @noble/hashes HKDF and the one-by-one expand, for SHA-256 and SHA-512', () => {
    for (const [hash, noble, nh] of [['SHA256', nobleSha256, 32], ['SHA512', nobleSha512, 64]] as const) {
      for (let round = 0; round < 30; round++) {
        const prk = randomBytes(nh)
        const count = 1 + (round % 5)
        const infos = Array.from({ length: count }, (_, i) => randomBytes([0, 1, 20, 55, 56, 63, 64, 120, 300][(round + i) % 9]!))
        const lengths = infos.map((_, i) => [1, 12, 16, nh, nh - 1][(round + i) % 5]!)
        const many = hkdfExpandMany(hash, prk, infos, lengths)
        for (let i = 0; i < count; i++) {
          expect(toHex(many[i]!)).toBe(toHex(nobleExpand(noble, prk, infos[i]!, lengths[i]!)))
          expect(toHex(many[i]!)).toBe(toHex(hkdfExpand(hash, prk, infos[i]!, lengths[i]!)))
        }
      }
    }
  })

  it('falls back to the one-by-one expand outside its fast case (long output, long info, odd PRK, zero length)', () => {
    const prk = randomBytes(32)
    const cases: [Uint8Array, Uint8Array[], number[]][] = [
      [prk, [randomBytes(10), randomBytes(10)], [33, 32]],
      [prk, [randomBytes(NATIVE_MAC_MIN), randomBytes(3)], [32, 12]],
      [randomBytes(20), [randomBytes(10)], [32]],
      [prk, [randomBytes(10), randomBytes(4)], [0, 32]],
    ]
    for (const [k, infos, lengths] of cases) {
      const many = hkdfExpandMany('SHA256', k, infos, lengths)
      infos.forEach((info, i) => expect(toHex(many[i]!)).toBe(toHex(hkdfExpand('SHA256', k, info, lengths[i]!))))
    }
  })

  it('through every hash of the suites (SHA-384 on node), and its typed errors', () => {
    for (const name of ['SHA256', 'SHA384', 'SHA512'] as const) {
      const k = hashKdf(name)
      const prk = randomBytes(k.Nh)
      const infos = [randomBytes(9), randomBytes(30)]
      const many = k.expandMany(prk, infos, [12, k.Nh])
      expect(toHex(many[0]!)).toBe(toHex(k.expand(prk, infos[0]!, 12)))
      expect(toHex(many[1]!)).toBe(toHex(k.expand(prk, infos[1]!, k.Nh)))
      expect(code(() => k.expandMany(prk, infos, [12]))).toBe('CRYPTO_INVALID_LENGTH')
      expect(code(() => k.expandMany(prk, infos, [12, 255 * k.Nh + 1]))).toBe('CRYPTO_INVALID_LENGTH')
    }
  })
})
