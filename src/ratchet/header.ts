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
import { Reader, Writer, varintSize } from '../codec/tls.js'
import { putOpaque, putU32 } from './canonical.js'
import { TalosError } from '../errors.js'
import { LABEL, RATCHET_VERSION } from './constants.js'

export interface Header {
  readonly ratchetKey: Uint8Array
  readonly pn: number
  readonly n: number
}

/*
 * The two encoders below run on every message, so they write into one
 * exactly sized array (canonical.ts) instead of a growing Writer and its final
 * copy (same bytes; the vectors in test/ratchet pin them).
 */
export function encodeHeader(h: Header): Uint8Array {
  checkCounter(h.pn)
  checkCounter(h.n)
  const out = new Uint8Array(varintSize(h.ratchetKey.length) + h.ratchetKey.length + 8)
  putU32(out, putU32(out, putOpaque(out, 0, h.ratchetKey), h.pn), h.n)
  return out
}

/** What Writer.u32 enforces. */
function checkCounter(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TalosError('DECODE_INVALID_VALUE', `${String(v)} does not fit a uint32`)
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
  const out = new Uint8Array(varintSize(x3dhAd.length) + x3dhAd.length + 2 + varintSize(header.length) + header.length)
  let at = putOpaque(out, 0, x3dhAd)
  out[at++] = RATCHET_VERSION
  out[at++] = headerEncrypted ? 1 : 0
  putOpaque(out, at, header)
  return out
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
