/** treeSecretLabel (labeled.ts): DeriveTreeSecret's KDFLabel written in place, byte-identical to the general form. */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../src/crypto/index.js'
import { generationContext, kdfLabel, treeSecretLabel } from '../../src/crypto/labeled.js'
import { randomBytes } from '../../src/crypto/sodium.js'
import { isTalosError } from '../../src/errors.js'
import { toHex } from '../helpers/vectors.js'

describe('treeSecretLabel', () => {
  it('equals kdfLabel(label, uint32 generation, length)', () => {
    for (const label of ['key', 'nonce', 'secret', 'tree', '', 'x'.repeat(70)]) {
      for (const g of [0, 1, 255, 256, 0xa0b0c0d0, 0xffffffff]) {
        for (const len of [0, 12, 32, 0xffff]) {
          expect(toHex(treeSecretLabel(label, g, len))).toBe(toHex(kdfLabel(label, generationContext(g), len)))
        }
      }
    }
  })

  it('bounds: generation uint32, length uint16', () => {
    for (const [g, len] of [
      [-1, 32],
      [2 ** 32, 32],
      [1.5, 32],
      [0, -1],
      [0, 0x10000],
      [0, 2.5],
    ] as const) {
      let err: unknown
      try {
        treeSecretLabel('key', g, len)
      } catch (e) {
        err = e
      }
      expect(isTalosError(err, 'CRYPTO_INVALID_LENGTH')).toBe(true)
    }
  })

  it('suite.deriveTreeSecret = ExpandWithLabel(secret, label, uint32 generation, length) in every suite', () => {
    for (const id of [1, 2, 3, 4, 5, 6, 7]) {
      const cs = getCipherSuite(id)
      const secret = randomBytes(cs.Nh)
      for (const g of [0, 7, 0xffffffff]) {
        expect(toHex(cs.deriveTreeSecret(secret, 'nonce', g, cs.Nn))).toBe(toHex(cs.expandWithLabel(secret, 'nonce', generationContext(g), cs.Nn)))
      }
    }
  })
})
