/** node-keys.ts: curve constants and raw-key import edge cases. */
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { describe, expect, it } from 'vitest'
import {
  NIST,
  ecPrivateKey,
  ecPublicFromPrivate,
  ecPublicKey,
  ecScalarInRange,
  okpGenerate,
  okpPrivateKey,
  okpPublicKey,
} from '../../src/crypto/node-keys.js'
import { isTalosError } from '../../src/errors.js'
import { toHex } from '../helpers/vectors.js'

function toBytes(v: bigint, size: number): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'))
}

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return isTalosError(e) ? e.code : `not a TalosError: ${String(e)}`
  }
  return undefined
}

describe('NIST curve constants', () => {
  it('group orders match @noble/curves', () => {
    expect(NIST['P-256'].order).toBe(p256.Point.CURVE().n)
    expect(NIST['P-384'].order).toBe(p384.Point.CURVE().n)
    expect(NIST['P-521'].order).toBe(p521.Point.CURVE().n)
  })

  it('scalar range is [1, n-1] at exactly Nsk bytes', () => {
    for (const crv of ['P-256', 'P-384', 'P-521'] as const) {
      const { size, order } = NIST[crv]
      expect(ecScalarInRange(crv, toBytes(0n, size))).toBe(false)
      expect(ecScalarInRange(crv, toBytes(1n, size))).toBe(true)
      expect(ecScalarInRange(crv, toBytes(order - 1n, size))).toBe(true)
      expect(ecScalarInRange(crv, toBytes(order, size))).toBe(false)
      expect(ecScalarInRange(crv, toBytes(1n, size - 1))).toBe(false)
      expect(code(() => ecPrivateKey(crv, toBytes(order, size)))).toBe('CRYPTO_INVALID_PRIVATE_KEY')
    }
  })

  it('public key of a scalar matches @noble/curves (uncompressed)', () => {
    const d = toBytes(123456789n, 66)
    expect(toHex(ecPublicFromPrivate('P-521', d))).toBe(toHex(p521.getPublicKey(d, false)))
    const d2 = toBytes(p256.Point.CURVE().n - 2n, 32)
    expect(toHex(ecPublicFromPrivate('P-256', d2))).toBe(toHex(p256.getPublicKey(d2, false)))
  })
})

describe('point and key validation', () => {
  it('rejects points off the curve, compressed points and the wrong prefix', () => {
    const pub = ecPublicFromPrivate('P-256', toBytes(7n, 32))
    const off = pub.slice()
    off[64]! ^= 1
    expect(code(() => ecPublicKey('P-256', off))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    const compressed = p256.getPublicKey(toBytes(7n, 32), true)
    expect(code(() => ecPublicKey('P-256', compressed))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    const prefix = pub.slice()
    prefix[0] = 0x05
    expect(code(() => ecPublicKey('P-256', prefix))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    expect(code(() => ecPublicKey('P-256', pub))).toBeUndefined()
  })

  it('OKP private keys derive their public key from d alone', () => {
    for (const crv of ['X25519', 'X448', 'Ed448'] as const) {
      const g = okpGenerate(crv)
      expect(toHex(okpPrivateKey(crv, g.privateKey).publicKey)).toBe(toHex(g.publicKey))
      expect(code(() => okpPrivateKey(crv, g.privateKey.subarray(1)))).toBe('CRYPTO_INVALID_PRIVATE_KEY')
      expect(code(() => okpPublicKey(crv, g.publicKey.subarray(1)))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    }
  })
})
