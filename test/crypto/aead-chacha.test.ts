/**
 * XChaCha20-Poly1305 (the Double Ratchet's header encryption): round trip,
 * and untyped input from callers that got their values from JSON or a
 * careless cast. libsodium takes a string as UTF-8 bytes, so a 32-character
 * string would otherwise pass as a key; undefined would be a TypeError.
 */
import { describe, expect, it } from 'vitest'
import { XCHACHA_OVERHEAD, xchachaOpen, xchachaSeal } from '../../src/crypto/aead-chacha.js'
import { thrownCode } from '../helpers/errors.js'

const key = new Uint8Array(32).fill(7)
const aad = new Uint8Array([1, 2, 3])
const untyped = (v: unknown): Uint8Array => v as Uint8Array

const codeOf = thrownCode

describe('xchacha', () => {
  it('round-trips and refuses a changed byte', () => {
    const sealed = xchachaSeal(key, aad, new Uint8Array([9, 9]))
    expect(sealed.length).toBe(2 + XCHACHA_OVERHEAD)
    expect(xchachaOpen(key, aad, sealed)).toEqual(new Uint8Array([9, 9]))
    sealed[sealed.length - 1]! ^= 1
    expect(codeOf(() => xchachaOpen(key, aad, sealed))).toBe('CRYPTO_AEAD_DECRYPT')
  })

  it.each([
    ['a 32-character string', 'k'.repeat(32)],
    ['undefined', undefined],
    ['null', null],
    ['a plain array', new Array(32).fill(0)],
    ['an ArrayBuffer', new ArrayBuffer(32)],
  ])('a key that is %s is CRYPTO_INVALID_KEY on seal and open', (_, bad) => {
    expect(codeOf(() => xchachaSeal(untyped(bad), aad, new Uint8Array(1)))).toBe('CRYPTO_INVALID_KEY')
    expect(codeOf(() => xchachaOpen(untyped(bad), aad, new Uint8Array(64)))).toBe('CRYPTO_INVALID_KEY')
  })

  it.each([
    ['a string', 'hello'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 5],
  ])('aad or plaintext that is %s is CRYPTO_INVALID_ARGUMENT, never encrypted as text', (_, bad) => {
    expect(codeOf(() => xchachaSeal(key, untyped(bad), new Uint8Array(1)))).toBe('CRYPTO_INVALID_ARGUMENT')
    expect(codeOf(() => xchachaSeal(key, aad, untyped(bad)))).toBe('CRYPTO_INVALID_ARGUMENT')
    expect(codeOf(() => xchachaOpen(key, untyped(bad), new Uint8Array(64)))).toBe('CRYPTO_INVALID_ARGUMENT')
  })

  it.each([
    ['a string', 'x'.repeat(64)],
    ['undefined', undefined],
    ['an object with a length', { length: 64 }],
  ])('a sealed input that is %s is CRYPTO_AEAD_DECRYPT', (_, bad) => {
    expect(codeOf(() => xchachaOpen(key, aad, untyped(bad)))).toBe('CRYPTO_AEAD_DECRYPT')
  })
})
