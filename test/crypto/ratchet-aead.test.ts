/**
 * suite.ratchetOpen / ratchetSealInto (src/crypto/ratchet-aead.ts) against
 * their definition, built from the suite's own expandMany and AEAD: for every
 * suite, on both sides of the native ChaCha20-Poly1305 threshold and of the
 * long-info threshold (the one-pass WASM form and the generic form), with
 * typed errors for bad tags and bad arguments, and no key material left in
 * the WASM heap's scratch arena.
 */
import { describe, expect, it } from 'vitest'
import { NATIVE_CHACHA_MIN } from '../../src/crypto/aead.js'
import { CIPHER_SUITE_IDS, getCipherSuite, type CipherSuite, type RatchetInfos } from '../../src/crypto/index.js'
import { NATIVE_MAC_MIN, randomBytes, sodium } from '../../src/crypto/sodium.js'
import { thrownCode } from '../helpers/errors.js'
import { toHex } from '../helpers/vectors.js'

const code = thrownCode

/** The definition: expandMany, the mask XORed into the nonce, then the AEAD. */
function reference(cs: CipherSuite, secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, pt: Uint8Array) {
  const [key, nonce, next] = cs.expandMany(secret, infos, [cs.Nk, cs.Nn, cs.Nh])
  for (let i = 0; i < mask.length; i++) nonce![i]! ^= mask[i]!
  return { key: key!, nonce: nonce!, next: next!, ct: cs.seal(key!, nonce!, aad, pt) }
}

const infosOf = (a: number, b: number, c: number): RatchetInfos => [randomBytes(a), randomBytes(b), randomBytes(c)]

describe('ratchet step + AEAD in one call', () => {
  for (const id of CIPHER_SUITE_IDS) {
    it(`suite ${id}: equals expandMany + mask + seal/open, at an offset, for short and long messages`, () => {
      const cs = getCipherSuite(id)
      for (const n of [0, 1, 1024, NATIVE_CHACHA_MIN - 1, NATIVE_CHACHA_MIN, 5000]) {
        for (const mask of [new Uint8Array(0), randomBytes(4), randomBytes(cs.Nn)]) {
          const secret = randomBytes(cs.Nh)
          const infos = infosOf(18, 20, 21)
          const aad = randomBytes(n % 97)
          const pt = randomBytes(n)
          const ref = reference(cs, secret, infos, mask, aad, pt)
          const out = new Uint8Array(5 + ref.ct.length + 3).fill(0xaa)
          const next = cs.ratchetSealInto(secret, infos, mask, aad, pt, out, 5)
          expect(toHex(out.subarray(5, 5 + ref.ct.length))).toBe(toHex(ref.ct))
          expect(out.subarray(0, 5).every((x) => x === 0xaa) && out.subarray(5 + ref.ct.length).every((x) => x === 0xaa)).toBe(true)
          expect(toHex(next)).toBe(toHex(ref.next))
          const opened = cs.ratchetOpen(secret, infos, mask, aad, ref.ct)
          expect(toHex(opened.plaintext)).toBe(toHex(pt))
          expect(toHex(opened.next)).toBe(toHex(ref.next))
          const bad = ref.ct.slice()
          bad[n % bad.length]! ^= 1
          expect(code(() => cs.ratchetOpen(secret, infos, mask, aad, bad))).toBe('CRYPTO_AEAD_DECRYPT')
          expect(code(() => cs.ratchetOpen(secret, infos, mask, randomBytes(aad.length + 1), ref.ct))).toBe('CRYPTO_AEAD_DECRYPT')
        }
      }
    })
  }

  it('long infos (the node:crypto HMAC side) and a short ciphertext', () => {
    for (const id of [3, 6] as const) {
      const cs = getCipherSuite(id)
      const secret = randomBytes(cs.Nh)
      const infos = infosOf(NATIVE_MAC_MIN, 5, NATIVE_MAC_MIN + 3)
      const mask = randomBytes(4)
      const pt = randomBytes(300)
      const ref = reference(cs, secret, infos, mask, new Uint8Array(0), pt)
      const out = new Uint8Array(ref.ct.length)
      expect(toHex(cs.ratchetSealInto(secret, infos, mask, new Uint8Array(0), pt, out, 0))).toBe(toHex(ref.next))
      expect(toHex(out)).toBe(toHex(ref.ct))
      expect(toHex(cs.ratchetOpen(secret, infos, mask, new Uint8Array(0), ref.ct).plaintext)).toBe(toHex(pt))
      expect(code(() => cs.ratchetOpen(secret, infosOf(3, 3, 3), mask, new Uint8Array(0), randomBytes(15)))).toBe('CRYPTO_AEAD_DECRYPT')
    }
  })

  it('bad arguments are typed errors before any work', () => {
    for (const id of CIPHER_SUITE_IDS) {
      const cs = getCipherSuite(id)
      const infos = infosOf(10, 10, 10)
      const pt = randomBytes(10)
      expect(code(() => cs.ratchetSealInto(randomBytes(cs.Nh + 1), infos, new Uint8Array(4), new Uint8Array(0), pt, new Uint8Array(26), 0))).toBe('CRYPTO_INVALID_KEY')
      expect(code(() => cs.ratchetOpen(randomBytes(cs.Nh - 1), infos, new Uint8Array(4), new Uint8Array(0), randomBytes(26)))).toBe('CRYPTO_INVALID_KEY')
      expect(code(() => cs.ratchetSealInto(randomBytes(cs.Nh), infos, new Uint8Array(cs.Nn + 1), new Uint8Array(0), pt, new Uint8Array(26), 0))).toBe('CRYPTO_INVALID_NONCE')
      expect(code(() => cs.ratchetSealInto(randomBytes(cs.Nh), infos, new Uint8Array(4), new Uint8Array(0), pt, new Uint8Array(25), 0))).toBe('CRYPTO_INVALID_LENGTH')
      expect(code(() => cs.ratchetSealInto(randomBytes(cs.Nh), infos, new Uint8Array(4), new Uint8Array(0), pt, new Uint8Array(30), -1))).toBe('CRYPTO_INVALID_LENGTH')
    }
  })

  it('the WASM form leaves neither the key, the nonce, next nor the plaintext in the WASM heap', () => {
    const cs = getCipherSuite(3)
    const heap = (): Uint8Array => (sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8
    const contains = (needle: Uint8Array): boolean => Buffer.from(heap().buffer, heap().byteOffset, heap().length).indexOf(Buffer.from(needle)) >= 0
    const secret = randomBytes(32)
    const infos = infosOf(18, 20, 21)
    const mask = randomBytes(4)
    const pt = randomBytes(1000)
    const ref = reference(cs, secret, infos, mask, new Uint8Array(0), pt)
    const out = new Uint8Array(ref.ct.length)
    cs.ratchetSealInto(secret, infos, mask, new Uint8Array(0), pt, out, 0)
    cs.ratchetOpen(secret, infos, mask, new Uint8Array(0), out)
    for (const secretBytes of [ref.key, ref.nonce, ref.next, pt.subarray(0, 32), secret]) expect(contains(secretBytes)).toBe(false)
  })
})
