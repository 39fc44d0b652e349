/**
 * Ed25519 signing on node:crypto (src/crypto/signature/ed25519.ts): RFC 8032
 * §7.1 known answers, and the same signatures and public keys as libsodium
 * (which verifies) for random keys and messages of every size class,
 * including a message larger than any leaf node (a GroupInfo with its tree).
 */
import { describe, expect, it } from 'vitest'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { forgetPrivateKey } from '../../src/crypto/key-cache.js'
import { randomBytes, sodium } from '../../src/crypto/sodium.js'
import { hex, toHex } from '../helpers/vectors.js'

describe('Ed25519 on node:crypto', () => {
  it('RFC 8032 §7.1 TEST 1 and TEST 3', () => {
    const t1 = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    expect(toHex(ed25519.publicKey(t1))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(toHex(ed25519.sign(t1, new Uint8Array(0)))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    )
    const t3 = hex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7')
    expect(toHex(ed25519.publicKey(t3))).toBe('fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025')
    expect(toHex(ed25519.sign(t3, hex('af82')))).toBe(
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    )
  })

  it('same public keys and signatures as libsodium; libsodium verifies them', () => {
    for (const size of [0, 1, 63, 64, 150, 1100, 70_000]) {
      const kp = ed25519.generateKeyPair()
      const sodiumKp = sodium.crypto_sign_seed_keypair(kp.privateKey)
      expect(toHex(kp.publicKey)).toBe(toHex(sodiumKp.publicKey))
      const msg = randomBytes(size)
      const sig = ed25519.sign(kp.privateKey, msg)
      expect(sig).toBeInstanceOf(Uint8Array)
      expect(sig.length).toBe(64)
      expect(toHex(sig)).toBe(toHex(sodium.crypto_sign_detached(msg, sodiumKp.privateKey)))
      expect(ed25519.verify(kp.publicKey, msg, sig)).toBe(true)
      if (size > 0) {
        const other = msg.slice()
        other[size - 1]! ^= 0x80
        expect(ed25519.verify(kp.publicKey, other, sig)).toBe(false)
      }
    }
  })

  it('a key rewritten in place or forgotten is expanded again, never served stale', () => {
    const key = randomBytes(32)
    const a = ed25519.publicKey(key)
    key.set(randomBytes(32))
    const b = ed25519.publicKey(key)
    expect(toHex(b)).not.toBe(toHex(a))
    expect(toHex(b)).toBe(toHex(sodium.crypto_sign_seed_keypair(key).publicKey))
    forgetPrivateKey(key)
    expect(toHex(ed25519.sign(key, new Uint8Array([1])))).toBe(
      toHex(sodium.crypto_sign_detached(new Uint8Array([1]), sodium.crypto_sign_seed_keypair(key).privateKey)),
    )
  })
})
