/**
 * Hostile input: random bytes of random lengths in every key, signature,
 * nonce and ciphertext slot. Verification must answer false; decryption and
 * parsing must raise a TalosError; nothing may surface a RangeError/TypeError.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CIPHER_SUITE_IDS, getCipherSuite } from '../../src/crypto/index.js'
import { isTalosError } from '../../src/errors.js'

const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max })

describe.each(CIPHER_SUITE_IDS.map((id) => [id]))('suite %i under hostile input', (id) => {
  const cs = getCipherSuite(id)

  it('verify / verifyWithLabel return false for arbitrary keys and signatures', () => {
    const kp = cs.generateSignatureKeyPair()
    fc.assert(
      fc.property(bytes(200), bytes(200), bytes(64), (pub, sig, msg) => {
        expect(cs.verify(pub, msg, sig)).toBe(false)
        expect(cs.verify(kp.publicKey, msg, sig)).toBe(false)
        expect(cs.verifyWithLabel(pub, 'L', msg, sig)).toBe(false)
      }),
      { numRuns: 40 },
    )
  })

  it('AEAD open of arbitrary input raises only TalosError', () => {
    fc.assert(
      fc.property(bytes(40), bytes(16), bytes(80), (key, nonce, ct) => {
        let err: unknown
        try {
          cs.open(key, nonce, new Uint8Array(0), ct)
        } catch (e) {
          err = e
        }
        expect(isTalosError(err), String(err)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('HPKE open / DecryptWithLabel / export of arbitrary input reject with CRYPTO_HPKE_DECRYPT', async () => {
    const kp = await cs.generateHpkeKeyPair()
    await fc.assert(
      fc.asyncProperty(bytes(140), bytes(80), fc.boolean(), async (kemOutput, ct, useRealKey) => {
        const sk = useRealKey ? kp.privateKey : kemOutput.subarray(0, 20)
        for (const p of [
          cs.hpkeOpen(sk, kemOutput, new Uint8Array(0), new Uint8Array(0), ct),
          cs.decryptWithLabel(sk, 'L', new Uint8Array(0), kemOutput, ct),
        ]) {
          const err = await p.then(
            () => undefined,
            (e: unknown) => e,
          )
          expect(isTalosError(err, 'CRYPTO_HPKE_DECRYPT'), String(err)).toBe(true)
        }
      }),
      { numRuns: 25 },
    )
  })

  it('signing and HPKE key parsing reject arbitrary private keys with a TalosError', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(140), async (sk) => {
        for (const f of [() => cs.sign(sk, new Uint8Array(1)), () => cs.hpkePublicKey(sk)]) {
          let err: unknown
          try {
            await f()
          } catch (e) {
            err = e
          }
          // A random string of the right length can be a valid key; otherwise the error is typed.
          if (err !== undefined) expect(isTalosError(err), String(err)).toBe(true)
        }
      }),
      { numRuns: 40 },
    )
  })
})
