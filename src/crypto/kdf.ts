/**
 * The hash, MAC and KDF of each cipher suite (RFC 9420 §5.1, §17.1):
 * SHA-256, SHA-384 and SHA-512 with HMAC (RFC 2104) and HKDF (RFC 5869).
 *
 * SHA-256 and SHA-512 run on libsodium (sodium.ts: WASM HKDF, HMAC, SHA-2).
 * libsodium has no SHA-384, so suite 7 uses node:crypto (OpenSSL) for the
 * hash and HMAC, and HKDF is built over that HMAC exactly as RFC 5869 §2.2
 * and §2.3 define it.
 */
import { createHash, createHmac } from 'node:crypto'
import { TalosError } from '../errors.js'
import { hkdfExpand, hkdfExpandMany, hkdfExtract, hmac, memzero, sha256, sha512, takeBuffer, type HashName } from './sodium.js'

/** One hash function with its HMAC and HKDF. */
export interface HashKdf {
  readonly name: HashName
  /** Output size of Hash and of HKDF-Extract. */
  readonly Nh: number
  hash(data: Uint8Array): Uint8Array
  mac(key: Uint8Array, data: Uint8Array): Uint8Array
  /** HKDF-Extract(salt, IKM); an empty salt means Nh zero bytes (RFC 5869 §2.2). */
  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array
  /** HKDF-Expand(PRK, info, L), 0 <= L <= 255*Nh. */
  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** [HKDF-Expand(PRK, infos[i], lengths[i])], sharing HMAC's keyed state where the backend can (sodium.ts). */
  expandMany(prk: Uint8Array, infos: readonly Uint8Array[], lengths: readonly number[]): Uint8Array[]
}

function checkExpandLength(length: number, nh: number): void {
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * nh) {
    throw new TalosError('CRYPTO_INVALID_LENGTH', `HKDF-Expand length ${length} is outside 0..${255 * nh}`)
  }
}

function sodiumHashKdf(name: 'SHA256' | 'SHA512'): HashKdf {
  const nh = name === 'SHA256' ? 32 : 64
  return {
    name,
    Nh: nh,
    hash: name === 'SHA256' ? sha256 : sha512,
    mac: (key, data) => hmac(name, key, data),
    extract: (salt, ikm) => hkdfExtract(name, salt, ikm),
    expand: (prk, info, length) => {
      checkExpandLength(length, nh)
      return hkdfExpand(name, prk, info, length)
    },
    expandMany: (prk, infos, lengths) => {
      if (infos.length !== lengths.length) throw new TalosError('CRYPTO_INVALID_LENGTH', 'HKDF-Expand: one length per info')
      for (const l of lengths) checkExpandLength(l, nh)
      return hkdfExpandMany(name, prk, infos, lengths)
    },
  }
}

function nodeHmac384(key: Uint8Array, data: Uint8Array): Uint8Array {
  return takeBuffer(createHmac('sha384', key).update(data).digest())
}

/** SHA-384 via node:crypto, HKDF per RFC 5869 over its HMAC. */
const sha384Kdf: HashKdf = {
  name: 'SHA384',
  Nh: 48,
  hash: (data) => new Uint8Array(createHash('sha384').update(data).digest()),
  mac: nodeHmac384,
  // HMAC with an empty key equals HMAC with HashLen zero bytes: both pad to a zero block.
  extract: (salt, ikm) => nodeHmac384(salt, ikm),
  expand: (prk, info, length) => {
    checkExpandLength(length, 48)
    const out = new Uint8Array(length)
    const counter = new Uint8Array(1)
    let t: Uint8Array = new Uint8Array(0)
    for (let i = 1, filled = 0; filled < length; i++) {
      counter[0] = i
      const next = takeBuffer(createHmac('sha384', prk).update(t).update(info).update(counter).digest())
      memzero(t)
      t = next
      const n = Math.min(48, length - filled)
      out.set(t.subarray(0, n), filled)
      filled += n
    }
    memzero(t)
    return out
  },
  expandMany: (prk, infos, lengths) => {
    if (infos.length !== lengths.length) throw new TalosError('CRYPTO_INVALID_LENGTH', 'HKDF-Expand: one length per info')
    return infos.map((info, i) => sha384Kdf.expand(prk, info, lengths[i]!))
  },
}

const kdfs: Record<HashName, HashKdf> = {
  SHA256: sodiumHashKdf('SHA256'),
  SHA384: sha384Kdf,
  SHA512: sodiumHashKdf('SHA512'),
}

export function hashKdf(name: HashName): HashKdf {
  return kdfs[name]
}
