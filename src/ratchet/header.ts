/**
 * The Double Ratchet header (spec §3.1 HEADER) in canonical form, the
 * associated data of a message, and header encryption (spec §4 HENCRYPT /
 * HDECRYPT).
 *
 *   struct { opaque ratchet_key<V>; uint32 pn; uint32 n; } Header;
 *   struct { opaque x3dh_ad<V>; uint8 version; uint8 header_encrypted;
 *            opaque header<V>; } MessageAD;          header = Header, or the encrypted header bytes
 *   header ciphertext = XChaCha20-Poly1305(HK, random 24-byte nonce,
 *                                          aad = opaque label<V> "TALOS-DR header v1" || opaque x3dh_ad<V>, Header)
 *
 * The spec's ENCRYPT(mk, plaintext, CONCAT(AD, header)) becomes an AEAD over
 * MessageAD, whose length prefixes make the concatenation unambiguous.
 */
import { xchachaOpen, xchachaSeal } from '../crypto/aead-chacha.js'
import { Reader, Writer } from '../codec/tls.js'
import { TalosError } from '../errors.js'
import { LABEL, RATCHET_VERSION } from './constants.js'

export interface Header {
  readonly ratchetKey: Uint8Array
  readonly pn: number
  readonly n: number
}

export function encodeHeader(h: Header): Uint8Array {
  return new Writer(48).opaque(h.ratchetKey).u32(h.pn).u32(h.n).finish()
}

/** Decodes a header that came out of a header AEAD; TalosError RATCHET_INVALID_HEADER otherwise. */
export function decodeHeader(bytes: Uint8Array): Header {
  try {
    const r = new Reader(bytes)
    const ratchetKey = r.opaque()
    const pn = r.u32()
    const n = r.u32()
    r.assertDone('header')
    checkHeader({ ratchetKey, pn, n })
    return { ratchetKey, pn, n }
  } catch (e) {
    if (e instanceof TalosError && e.code === 'RATCHET_INVALID_HEADER') throw e
    throw new TalosError('RATCHET_INVALID_HEADER', 'encrypted header does not decode', { cause: e })
  }
}

export function checkHeader(h: Header): void {
  if (h.ratchetKey.length !== 32) throw new TalosError('RATCHET_INVALID_HEADER', 'ratchet key must be 32 bytes')
  if (h.n >= 0xffffffff || h.pn >= 0xffffffff) throw new TalosError('RATCHET_INVALID_HEADER', 'counter out of range')
}

export function messageAd(x3dhAd: Uint8Array, headerEncrypted: boolean, header: Uint8Array): Uint8Array {
  return new Writer(x3dhAd.length + header.length + 16)
    .opaque(x3dhAd)
    .u8(RATCHET_VERSION)
    .u8(headerEncrypted ? 1 : 0)
    .opaque(header)
    .finish()
}

function headerAd(x3dhAd: Uint8Array): Uint8Array {
  return new Writer(x3dhAd.length + 24).opaque(LABEL.header).opaque(x3dhAd).finish()
}

export function encryptHeader(headerKey: Uint8Array, x3dhAd: Uint8Array, h: Header): Uint8Array {
  return xchachaSeal(headerKey, headerAd(x3dhAd), encodeHeader(h))
}

/** The header, or undefined if this key does not open it (trial decryption, spec §4). */
export function tryDecryptHeader(headerKey: Uint8Array | undefined, x3dhAd: Uint8Array, enc: Uint8Array): Header | undefined {
  if (headerKey === undefined) return undefined
  let plain: Uint8Array
  try {
    plain = xchachaOpen(headerKey, headerAd(x3dhAd), enc)
  } catch {
    return undefined
  }
  return decodeHeader(plain)
}
