/**
 * Every cipher suite (RFC 9420 §17.1) through the CipherSuite contract:
 * AEAD, signatures, HPKE, and the typed failures on hostile input.
 */
import { describe, expect, it } from 'vitest'
import { CIPHER_SUITE_IDS, getCipherSuite, randomBytes } from '../../src/crypto/index.js'
import { isTalosError, type TalosErrorCode } from '../../src/errors.js'
import { toHex } from '../helpers/vectors.js'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  )
}

function expectCode(err: unknown, code: TalosErrorCode): void {
  expect(isTalosError(err, code), `expected ${code}, got ${String(err)}`).toBe(true)
}

const NAMES: Record<number, string> = {
  1: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  2: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
  3: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
  4: 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
  5: 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
  6: 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
  7: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
}
/** [Nh, Nk, HPKE public key size, signature public key size] per RFC 9420 §17.1 / RFC 9180 §7.1. */
const SIZES: Record<number, [number, number, number, number]> = {
  1: [32, 16, 32, 32],
  2: [32, 16, 65, 65],
  3: [32, 32, 32, 32],
  4: [64, 32, 56, 57],
  5: [64, 32, 133, 133],
  6: [64, 32, 56, 57],
  7: [48, 32, 97, 97],
}

describe('getCipherSuite', () => {
  it('rejects unknown ids with CRYPTO_UNSUPPORTED_SUITE', () => {
    for (const id of [0, 8, 0xffff, -1, 1.5]) expectCode(thrown(() => getCipherSuite(id)), 'CRYPTO_UNSUPPORTED_SUITE')
  })

  it('returns one cached object per suite', () => {
    expect(getCipherSuite(1)).toBe(getCipherSuite(1))
    expect(getCipherSuite(1)).not.toBe(getCipherSuite(3))
  })
})

describe.each(CIPHER_SUITE_IDS.map((id) => [id]))('suite %i', (id) => {
  const cs = getCipherSuite(id)
  const [nh, nk, npk, nsig] = SIZES[id]!

  it('has the RFC 9420 name and sizes', () => {
    expect(cs.id).toBe(id)
    expect(cs.name).toBe(NAMES[id])
    expect([cs.Nh, cs.Nk, cs.Nn]).toEqual([nh, nk, 12])
    expect(cs.hash(new Uint8Array(0)).length).toBe(nh)
    expect(cs.mac(new Uint8Array(nh), new Uint8Array(3)).length).toBe(nh)
    expect(cs.extract(new Uint8Array(0), new Uint8Array(nh)).length).toBe(nh)
  })

  it('AEAD: round trip, then any tampering is CRYPTO_AEAD_DECRYPT', () => {
    const key = randomBytes(cs.Nk)
    const nonce = randomBytes(cs.Nn)
    const aad = new TextEncoder().encode('header')
    for (const size of [0, 1, 1000]) {
      const pt = randomBytes(size)
      const ct = cs.seal(key, nonce, aad, pt)
      expect(ct.length).toBe(size + 16)
      expect(toHex(cs.open(key, nonce, aad, ct))).toBe(toHex(pt))
      const flipped = ct.slice()
      flipped[0]! ^= 1
      expectCode(thrown(() => cs.open(key, nonce, aad, flipped)), 'CRYPTO_AEAD_DECRYPT')
      expectCode(thrown(() => cs.open(key, nonce, new Uint8Array(0), ct)), 'CRYPTO_AEAD_DECRYPT')
      const otherNonce = nonce.slice()
      otherNonce[11]! ^= 1
      expectCode(thrown(() => cs.open(key, otherNonce, aad, ct)), 'CRYPTO_AEAD_DECRYPT')
      expectCode(thrown(() => cs.open(key, nonce, aad, ct.subarray(0, ct.length - 1))), 'CRYPTO_AEAD_DECRYPT')
    }
    expectCode(thrown(() => cs.open(key, nonce, aad, new Uint8Array(15))), 'CRYPTO_AEAD_DECRYPT')
    expectCode(thrown(() => cs.seal(new Uint8Array(cs.Nk - 1), nonce, aad, new Uint8Array(1))), 'CRYPTO_INVALID_KEY')
    expectCode(thrown(() => cs.seal(key, new Uint8Array(8), aad, new Uint8Array(1))), 'CRYPTO_INVALID_NONCE')
  })

  it('signatures: generated keys sign and verify; signaturePublicKey matches', () => {
    const kp = cs.generateSignatureKeyPair()
    expect(kp.publicKey.length).toBe(nsig)
    expect(toHex(cs.signaturePublicKey(kp.privateKey))).toBe(toHex(kp.publicKey))
    const msg = new TextEncoder().encode('to be signed')
    const sig = cs.sign(kp.privateKey, msg)
    expect(cs.verify(kp.publicKey, msg, sig)).toBe(true)
    expect(cs.verify(kp.publicKey, new TextEncoder().encode('to be signeD'), sig)).toBe(false)
    const other = cs.generateSignatureKeyPair()
    expect(cs.verify(other.publicKey, msg, sig)).toBe(false)
    const labeled = cs.signWithLabel(kp.privateKey, 'LeafNodeTBS', msg)
    expect(cs.verifyWithLabel(kp.publicKey, 'LeafNodeTBS', msg, labeled)).toBe(true)
    expect(cs.verifyWithLabel(kp.publicKey, 'GroupInfoTBS', msg, labeled)).toBe(false)
  })

  it('verify returns false (never throws) on malformed keys and signatures', () => {
    const kp = cs.generateSignatureKeyPair()
    const msg = new Uint8Array([1, 2, 3])
    const sig = cs.sign(kp.privateKey, msg)
    const badKeys = [new Uint8Array(0), new Uint8Array(nsig), kp.publicKey.subarray(1), randomBytes(nsig), new Uint8Array(nsig + 1)]
    for (const pk of badKeys) expect(cs.verify(pk, msg, sig)).toBe(false)
    const badSigs = [new Uint8Array(0), new Uint8Array(sig.length), sig.subarray(1), randomBytes(sig.length), new Uint8Array(300)]
    for (const s of badSigs) expect(cs.verify(kp.publicKey, msg, s)).toBe(false)
  })

  it('signing with a malformed private key is CRYPTO_INVALID_PRIVATE_KEY', () => {
    const kp = cs.generateSignatureKeyPair()
    const msg = new Uint8Array(1)
    expectCode(thrown(() => cs.sign(kp.privateKey.subarray(1), msg)), 'CRYPTO_INVALID_PRIVATE_KEY')
    expectCode(thrown(() => cs.signaturePublicKey(new Uint8Array(0))), 'CRYPTO_INVALID_PRIVATE_KEY')
  })

  it('a private key rewritten in place is re-derived, never served stale from the cache', () => {
    const a = cs.generateSignatureKeyPair()
    const b = cs.generateSignatureKeyPair()
    const key = a.privateKey.slice()
    expect(toHex(cs.signaturePublicKey(key))).toBe(toHex(a.publicKey))
    key.set(b.privateKey)
    expect(toHex(cs.signaturePublicKey(key))).toBe(toHex(b.publicKey))
    const sig = cs.sign(key, new Uint8Array([7]))
    expect(cs.verify(b.publicKey, new Uint8Array([7]), sig)).toBe(true)
  })

  it('HPKE: seal/open round trip; hpkePublicKey matches; wrong key or tampering is CRYPTO_HPKE_DECRYPT', async () => {
    const kp = await cs.generateHpkeKeyPair()
    expect(kp.publicKey.length).toBe(npk)
    expect(toHex(await cs.hpkePublicKey(kp.privateKey))).toBe(toHex(kp.publicKey))
    const info = new TextEncoder().encode('info')
    const aad = new TextEncoder().encode('aad')
    const pt = randomBytes(100)
    const ct = await cs.hpkeSeal(kp.publicKey, info, aad, pt)
    expect(ct.kemOutput.length).toBe(npk)
    expect(toHex(await cs.hpkeOpen(kp.privateKey, ct.kemOutput, info, aad, ct.ciphertext))).toBe(toHex(pt))

    const other = await cs.generateHpkeKeyPair()
    expectCode(await rejected(cs.hpkeOpen(other.privateKey, ct.kemOutput, info, aad, ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
    expectCode(await rejected(cs.hpkeOpen(kp.privateKey, ct.kemOutput, info, new Uint8Array(0), ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
    expectCode(await rejected(cs.hpkeOpen(kp.privateKey, ct.kemOutput, new Uint8Array(0), aad, ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
    expectCode(await rejected(cs.hpkeOpen(kp.privateKey, new Uint8Array(npk), info, aad, ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
    expectCode(await rejected(cs.hpkeOpen(kp.privateKey, new Uint8Array(0), info, aad, ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
    expectCode(await rejected(cs.hpkeOpen(new Uint8Array(3), ct.kemOutput, info, aad, ct.ciphertext)), 'CRYPTO_HPKE_DECRYPT')
  })

  it('HPKE: a malformed recipient public key is CRYPTO_INVALID_PUBLIC_KEY', async () => {
    const info = new Uint8Array(0)
    for (const pk of [new Uint8Array(0), new Uint8Array(npk - 1), new Uint8Array(npk)]) {
      const err = await rejected(cs.hpkeSeal(pk, info, info, new Uint8Array(1)))
      // The all-zero point: invalid encoding for NIST curves, a small-order point for X25519/X448.
      expect(isTalosError(err, 'CRYPTO_INVALID_PUBLIC_KEY') || isTalosError(err, 'CRYPTO_HPKE_ENCRYPT'), String(err)).toBe(true)
    }
  })

  it('HPKE export: sender and receiver derive the same secret', async () => {
    const kp = await cs.generateHpkeKeyPair()
    const info = new TextEncoder().encode('external init')
    const ctx = new TextEncoder().encode('MLS 1.0 external init secret')
    const s = await cs.hpkeExportSender(kp.publicKey, info, ctx, nh)
    expect(s.secret.length).toBe(nh)
    const r = await cs.hpkeExportReceiver(kp.privateKey, s.kemOutput, info, ctx, nh)
    expect(toHex(r)).toBe(toHex(s.secret))
    const r2 = await cs.hpkeExportReceiver(kp.privateKey, s.kemOutput, info, new Uint8Array(0), nh)
    expect(toHex(r2)).not.toBe(toHex(s.secret))
  })

  it('deriveHpkeKeyPair is deterministic, input-sensitive and consistent with hpkePublicKey', async () => {
    const ikm = new Uint8Array(nh).fill(0x42)
    const a = await cs.deriveHpkeKeyPair(ikm)
    const b = await cs.deriveHpkeKeyPair(ikm.slice())
    expect(toHex(a.privateKey)).toBe(toHex(b.privateKey))
    expect(toHex(a.publicKey)).toBe(toHex(b.publicKey))
    expect(toHex(await cs.hpkePublicKey(a.privateKey.slice()))).toBe(toHex(a.publicKey))
    const c = await cs.deriveHpkeKeyPair(new Uint8Array(nh).fill(0x43))
    expect(toHex(c.publicKey)).not.toBe(toHex(a.publicKey))
    const ct = await cs.encryptWithLabel(a.publicKey, 'UpdatePathNode', new Uint8Array([1]), new Uint8Array([2, 3]))
    expect(Array.from(await cs.decryptWithLabel(b.privateKey, 'UpdatePathNode', new Uint8Array([1]), ct.kemOutput, ct.ciphertext))).toEqual([2, 3])
  })

  it('labeled KDF bounds are typed errors', () => {
    const secret = new Uint8Array(nh)
    expectCode(thrown(() => cs.expandWithLabel(secret, 'x', new Uint8Array(0), 0x10000)), 'CRYPTO_INVALID_LENGTH')
    expectCode(thrown(() => cs.deriveTreeSecret(secret, 'x', -1, nh)), 'CRYPTO_INVALID_LENGTH')
    expectCode(thrown(() => cs.deriveTreeSecret(secret, 'x', 2 ** 32, nh)), 'CRYPTO_INVALID_LENGTH')
    expect(cs.deriveTreeSecret(secret, 'x', 2 ** 32 - 1, nh).length).toBe(nh)
    expect(cs.deriveSecret(secret, 'x').length).toBe(nh)
  })
})
