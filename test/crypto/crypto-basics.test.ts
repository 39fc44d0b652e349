/**
 * RFC 9420 crypto-basics.json (FORMAT.md "Crypto Basics"): one test per
 * sub-check per case, named `crypto-basics.json[i] suite N <check>`.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../src/crypto/index.js'
import { isTalosError } from '../../src/errors.js'
import { hex, loadVectors, toHex } from '../helpers/vectors.js'

interface CryptoBasics {
  cipher_suite: number
  ref_hash: { label: string; value: string; out: string }
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string }
  derive_secret: { secret: string; label: string; out: string }
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string }
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string }
  encrypt_with_label: {
    priv: string
    pub: string
    label: string
    context: string
    plaintext: string
    kem_output: string
    ciphertext: string
  }
}

const FILE = 'crypto-basics.json'
const cases = loadVectors<CryptoBasics>(FILE)

function flip(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice()
  c[i]! ^= 0x01
  return c
}

describe(FILE, () => {
  it('holds one case per suite 1..7', () => {
    expect(cases.map((c) => c.cipher_suite).sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  cases.forEach((tc, i) => {
    const name = `${FILE}[${i}] suite ${tc.cipher_suite}`
    const cs = () => getCipherSuite(tc.cipher_suite)

    it(`${name} ref_hash`, () => {
      const v = tc.ref_hash
      expect(toHex(cs().refHash(v.label, hex(v.value)))).toBe(v.out)
    })

    it(`${name} expand_with_label`, () => {
      const v = tc.expand_with_label
      expect(toHex(cs().expandWithLabel(hex(v.secret), v.label, hex(v.context), v.length))).toBe(v.out)
    })

    it(`${name} derive_secret`, () => {
      const v = tc.derive_secret
      expect(toHex(cs().deriveSecret(hex(v.secret), v.label))).toBe(v.out)
    })

    it(`${name} derive_tree_secret`, () => {
      const v = tc.derive_tree_secret
      expect(toHex(cs().deriveTreeSecret(hex(v.secret), v.label, v.generation, v.length))).toBe(v.out)
    })

    it(`${name} sign_with_label`, () => {
      const v = tc.sign_with_label
      const s = cs()
      const priv = hex(v.priv)
      const pub = hex(v.pub)
      const content = hex(v.content)
      const sig = hex(v.signature)
      expect(s.verifyWithLabel(pub, v.label, content, sig)).toBe(true)
      expect(toHex(s.signaturePublicKey(priv))).toBe(v.pub)
      const mine = s.signWithLabel(priv, v.label, content)
      expect(s.verifyWithLabel(pub, v.label, content, mine)).toBe(true)
      // Tampering with the signature, the content or the label must fail.
      expect(s.verifyWithLabel(pub, v.label, content, flip(sig, sig.length >> 1))).toBe(false)
      expect(s.verifyWithLabel(pub, v.label, flip(content, 0), sig)).toBe(false)
      expect(s.verifyWithLabel(pub, v.label + 'x', content, sig)).toBe(false)
      // Plain Sign over the same bytes is not a labeled signature.
      expect(s.verify(pub, content, sig)).toBe(false)
    })

    it(`${name} encrypt_with_label`, async () => {
      const v = tc.encrypt_with_label
      const s = cs()
      const priv = hex(v.priv)
      const pub = hex(v.pub)
      const context = hex(v.context)
      const ct = hex(v.ciphertext)
      const kemOutput = hex(v.kem_output)
      expect(toHex(await s.decryptWithLabel(priv, v.label, context, kemOutput, ct))).toBe(v.plaintext)
      expect(toHex(await s.hpkePublicKey(priv))).toBe(v.pub)

      const mine = await s.encryptWithLabel(pub, v.label, context, hex(v.plaintext))
      expect(mine.kemOutput.length).toBe(kemOutput.length)
      expect(toHex(mine.kemOutput)).not.toBe(v.kem_output) // a fresh ephemeral key
      expect(toHex(await s.decryptWithLabel(priv, v.label, context, mine.kemOutput, mine.ciphertext))).toBe(v.plaintext)

      const attempts = [
        s.decryptWithLabel(priv, v.label, context, kemOutput, flip(ct, 0)),
        s.decryptWithLabel(priv, v.label, context, kemOutput, flip(ct, ct.length - 1)),
        s.decryptWithLabel(priv, v.label + 'x', context, kemOutput, ct),
        s.decryptWithLabel(priv, v.label, flip(context, 0), kemOutput, ct),
        s.decryptWithLabel(priv, v.label, context, flip(kemOutput, kemOutput.length - 1), ct),
        s.decryptWithLabel(priv, v.label, context, kemOutput.subarray(1), ct),
      ]
      for (const p of attempts) {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(isTalosError(err, 'CRYPTO_HPKE_DECRYPT'), String(err)).toBe(true)
      }
    })
  })
})
