/** sodium.ts helpers: constant-time comparison, zeroing, randomness. */
import { describe, expect, it } from 'vitest'
import { constantTimeEqual, memzero, randomBytes } from '../../src/crypto/sodium.js'

describe('constantTimeEqual', () => {
  it('is true for equal contents, including distinct arrays and empty arrays', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true)
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
    const a = randomBytes(64)
    expect(constantTimeEqual(a, a.slice())).toBe(true)
  })

  it('is false when any single bit differs, at any position', () => {
    const a = randomBytes(32)
    for (let i = 0; i < a.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const b = a.slice()
        b[i]! ^= bit
        expect(constantTimeEqual(a, b)).toBe(false)
      }
    }
  })

  it('is false for different lengths, even when one is a prefix of the other', () => {
    const a = new Uint8Array([9, 9, 9, 9])
    expect(constantTimeEqual(a, a.subarray(0, 3))).toBe(false)
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(1))).toBe(false)
  })

  it('compares views by their own bytes, not the underlying buffer', () => {
    const buf = new Uint8Array([0, 1, 2, 3, 1, 2, 3])
    expect(constantTimeEqual(buf.subarray(1, 4), buf.subarray(4, 7))).toBe(true)
  })
})

describe('memzero', () => {
  it('zeroes every byte in place and leaves the length unchanged', () => {
    const a = randomBytes(100)
    a[0] = 0xff
    memzero(a)
    expect(a.length).toBe(100)
    expect(a.every((x) => x === 0)).toBe(true)
  })

  it('zeroes only the view it is given', () => {
    const buf = new Uint8Array(10).fill(7)
    memzero(buf.subarray(2, 5))
    expect(Array.from(buf)).toEqual([7, 7, 0, 0, 0, 7, 7, 7, 7, 7])
  })

  it('accepts empty, null and undefined without throwing', () => {
    expect(() => memzero(new Uint8Array(0))).not.toThrow()
    expect(() => memzero(null)).not.toThrow()
    expect(() => memzero(undefined)).not.toThrow()
  })
})

describe('randomBytes', () => {
  it('returns the requested length and different values each call', () => {
    const a = randomBytes(32)
    const b = randomBytes(32)
    expect(a.length).toBe(32)
    expect(constantTimeEqual(a, b)).toBe(false)
  })
})
