/**
 * HKDF (RFC 5869) as src/crypto exposes it: the libsodium WASM path of
 * sodium.ts (SHA-256, SHA-512) and the node:crypto path of kdf.ts (SHA-384).
 */
import { createHmac, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashKdf } from '../../src/crypto/kdf.js'
import { hkdfExpand, hkdfExtract, hmac } from '../../src/crypto/sodium.js'
import { isTalosError } from '../../src/errors.js'
import { hex, toHex } from '../helpers/vectors.js'

/** RFC 5869 Appendix A.1-A.3 (SHA-256). */
const RFC5869 = [
  {
    name: 'A.1 basic',
    ikm: '0b'.repeat(22),
    salt: '000102030405060708090a0b0c',
    info: 'f0f1f2f3f4f5f6f7f8f9',
    L: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 longer inputs/outputs',
    ikm: Array.from({ length: 80 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
    salt: Array.from({ length: 80 }, (_, i) => (0x60 + i).toString(16).padStart(2, '0')).join(''),
    info: Array.from({ length: 80 }, (_, i) => (0xb0 + i).toString(16).padStart(2, '0')).join(''),
    L: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09' +
      'da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 zero-length salt/info',
    ikm: '0b'.repeat(22),
    salt: '',
    info: '',
    L: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
]

/** RFC 5869 §2.3 written out over node's HMAC, as an independent reference. */
function referenceExpand(hash: string, prk: Uint8Array, info: Uint8Array, L: number): Uint8Array {
  const out: Buffer[] = []
  let t = Buffer.alloc(0)
  for (let i = 1; out.reduce((n, b) => n + b.length, 0) < L; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.from([i])).digest()
    out.push(t)
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, L))
}

describe('HKDF-SHA256 (RFC 5869 Appendix A)', () => {
  for (const v of RFC5869) {
    it(`${v.name}: extract and expand`, () => {
      const prk = hkdfExtract('SHA256', hex(v.salt), hex(v.ikm))
      expect(toHex(prk)).toBe(v.prk)
      expect(toHex(hkdfExpand('SHA256', prk, hex(v.info), v.L))).toBe(v.okm)
      // The suite-level KDF gives the same answer.
      const kdf = hashKdf('SHA256')
      expect(toHex(kdf.extract(hex(v.salt), hex(v.ikm)))).toBe(v.prk)
      expect(toHex(kdf.expand(hex(v.prk), hex(v.info), v.L))).toBe(v.okm)
    })
  }

  it('expands a PRK that is not Nh bytes long (HMAC fallback path)', () => {
    for (const len of [1, 16, 31, 33, 64, 100]) {
      const prk = Uint8Array.from({ length: len }, (_, i) => (i * 7 + 3) & 0xff)
      const info = hex('0a0b0c')
      for (const L of [1, 32, 33, 77]) {
        expect(toHex(hkdfExpand('SHA256', prk, info, L))).toBe(toHex(referenceExpand('sha256', prk, info, L)))
        expect(toHex(hkdfExpand('SHA512', prk, info, L))).toBe(toHex(referenceExpand('sha512', prk, info, L)))
      }
    }
  })

  it('returns an empty output for L = 0 and rejects L > 255*Nh with a typed error', () => {
    const prk = hkdfExtract('SHA256', new Uint8Array(0), hex('01'))
    expect(hkdfExpand('SHA256', prk, new Uint8Array(0), 0).length).toBe(0)
    expect(hkdfExpand('SHA256', prk, new Uint8Array(0), 255 * 32).length).toBe(255 * 32)
    let err: unknown
    try {
      hashKdf('SHA256').expand(prk, new Uint8Array(0), 255 * 32 + 1)
    } catch (e) {
      err = e
    }
    expect(isTalosError(err, 'CRYPTO_INVALID_LENGTH')).toBe(true)
  })
})

describe('HKDF-SHA512 and HKDF-SHA384 against node:crypto hkdfSync', () => {
  const ikm = hex('c0ffee'.repeat(11))
  const salt = hex('5a17'.repeat(9))
  const info = hex('10f0'.repeat(5))
  for (const [name, node] of [
    ['SHA512', 'sha512'],
    ['SHA384', 'sha384'],
  ] as const) {
    it(`${name} extract+expand equals hkdfSync for several lengths`, () => {
      const kdf = hashKdf(name)
      for (const L of [1, 16, kdf.Nh, kdf.Nh + 1, 200]) {
        const ours = kdf.expand(kdf.extract(salt, ikm), info, L)
        expect(toHex(ours)).toBe(Buffer.from(hkdfSync(node, ikm, salt, info, L)).toString('hex'))
      }
      // Empty salt = Nh zero bytes (RFC 5869 §2.2).
      expect(toHex(kdf.extract(new Uint8Array(0), ikm))).toBe(toHex(kdf.extract(new Uint8Array(kdf.Nh), ikm)))
    })
  }

  it('HMAC-SHA256/512 of sodium.ts equal node:crypto for long and short keys', () => {
    for (const keyLen of [0, 1, 32, 64, 65, 200]) {
      const key = Uint8Array.from({ length: keyLen }, (_, i) => i & 0xff)
      const data = hex('00ff'.repeat(50))
      expect(toHex(hmac('SHA256', key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'))
      expect(toHex(hmac('SHA512', key, data))).toBe(createHmac('sha512', key).update(data).digest('hex'))
      expect(toHex(hashKdf('SHA384').mac(key, data))).toBe(createHmac('sha384', key).update(data).digest('hex'))
      // The chain-key case (32-byte key, one-byte or empty input) takes a one-shot path.
      for (const short of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(2)]) {
        expect(toHex(hmac('SHA256', key, short))).toBe(createHmac('sha256', key).update(short).digest('hex'))
        expect(toHex(hmac('SHA512', key, short))).toBe(createHmac('sha512', key).update(short).digest('hex'))
      }
    }
  })
})

describe('hkdfExpand of sodium.ts on hostile lengths', () => {
  it('rejects negative, fractional and oversized lengths with CRYPTO_HKDF_FAILED', () => {
    const prk = new Uint8Array(32)
    for (const L of [-1, 1.5, Number.NaN, 255 * 32 + 1]) {
      let err: unknown
      try {
        hkdfExpand('SHA256', prk, new Uint8Array(0), L)
      } catch (e) {
        err = e
      }
      expect(isTalosError(err, 'CRYPTO_HKDF_FAILED'), `L=${L}`).toBe(true)
    }
  })
})
