/**
 * The AEADs of the MLS cipher suites (RFC 9420 §17.1; RFC 5116 interface,
 * ciphertext = encrypted data || 16-byte tag):
 *   AES-128-GCM, AES-256-GCM (NIST SP 800-38D) via node:crypto, synchronous
 *     (WebCrypto costs ~50 µs per call in a thread-pool round trip);
 *   ChaCha20-Poly1305 (RFC 8439, IETF 96-bit nonce) via libsodium, and via
 *     node:crypto from NATIVE_CHACHA_MIN bytes on: OpenSSL's fixed cost per
 *     call is higher (~4-6 µs against ~1 µs), its cost per byte far lower
 *     (CPU time here: 1.1 KiB 3.6 µs WASM / 6.9 µs node; 4 KiB 10.5 / 6.4;
 *     200 KB ~1550 / ~250: a Welcome's GroupInfo with its ratchet tree).
 *     Same cipher, same bytes. The WASM side calls libsodium's export
 *     directly through sodium.ts's scratch arena (the JS wrapper allocated a
 *     WASM buffer per argument and returned a fresh copy of the output).
 *
 * sealInto writes the ciphertext into a caller's buffer at an offset (a
 * frame around it), so a framed message is sealed without a second copy.
 *
 * Key and nonce sizes are checked before any call (a wrong size is a typed
 * error, never a RangeError from below). A bad tag is CRYPTO_AEAD_DECRYPT,
 * with no partial plaintext released.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { TalosError } from '../errors.js'
import { chacha20Poly1305Open, chacha20Poly1305SealInto } from './sodium.js'

export type AeadName = 'AES128GCM' | 'AES256GCM' | 'CHACHA20POLY1305'

export interface Aead {
  readonly name: AeadName
  /** RFC 9180 §7.3 AEAD identifier. */
  readonly hpkeId: number
  readonly Nk: number
  readonly Nn: number
  /** Tag size. */
  readonly Nt: number
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array
  /**
   * seal() written into out[offset .. offset + plaintext.length + Nt): for
   * callers that frame the ciphertext, without an intermediate array.
   */
  sealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void
  /** Throws TalosError CRYPTO_AEAD_DECRYPT on a bad tag or a too short ciphertext. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array
}

const TAG = 16

function checkSizes(name: AeadName, nk: number, key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== nk) throw new TalosError('CRYPTO_INVALID_KEY', `${name} key must be ${nk} bytes, got ${key.length}`)
  if (nonce.length !== 12) throw new TalosError('CRYPTO_INVALID_NONCE', `${name} nonce must be 12 bytes, got ${nonce.length}`)
}

function checkRoom(name: AeadName, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + plaintext.length + TAG > out.length) {
    throw new TalosError('CRYPTO_INVALID_LENGTH', `${name}: no room for ${plaintext.length + TAG} ciphertext bytes at offset ${offset}`)
  }
}

function decryptFailed(name: AeadName): TalosError {
  return new TalosError('CRYPTO_AEAD_DECRYPT', `${name}: authentication failed`)
}

function aesGcm(nk: 16 | 32): Aead {
  const name: AeadName = nk === 16 ? 'AES128GCM' : 'AES256GCM'
  const algorithm = nk === 16 ? 'aes-128-gcm' : 'aes-256-gcm'
  const sealInto = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void => {
    checkSizes(name, nk, key, nonce)
    checkRoom(name, plaintext, out, offset)
    const c = createCipheriv(algorithm, key, nonce, { authTagLength: TAG })
    c.setAAD(aad)
    // update() may return fewer bytes than given (it does not for GCM, a
    // stream mode), so place each chunk at the running offset.
    const body = c.update(plaintext)
    out.set(body, offset)
    const rest = c.final()
    out.set(rest, offset + body.length)
    out.set(c.getAuthTag(), offset + body.length + rest.length)
  }
  return {
    name,
    hpkeId: nk === 16 ? 0x0001 : 0x0002,
    Nk: nk,
    Nn: 12,
    Nt: TAG,
    seal(key, nonce, aad, plaintext) {
      const out = new Uint8Array(plaintext.length + TAG)
      sealInto(key, nonce, aad, plaintext, out, 0)
      return out
    },
    sealInto,
    open(key, nonce, aad, ciphertext) {
      checkSizes(name, nk, key, nonce)
      if (ciphertext.length < TAG) throw decryptFailed(name)
      const ctLen = ciphertext.length - TAG
      // authTagLength pins the tag to 16 bytes: node would otherwise accept a truncated tag.
      const d = createDecipheriv(algorithm, key, nonce, { authTagLength: TAG })
      d.setAAD(aad)
      d.setAuthTag(ciphertext.subarray(ctLen))
      return finishOpen(d, d.update(ciphertext.subarray(0, ctLen)), name)
    },
  }
}

/**
 * The end of a node:crypto AEAD open: checks the tag (final) and returns the
 * plaintext as one fresh array. The decipher's output is zeroed either way,
 * so unauthenticated plaintext never leaves this function.
 */
function finishOpen(d: ReturnType<typeof createDecipheriv>, body: Buffer, name: AeadName): Uint8Array {
  try {
    const rest = d.final()
    const out = new Uint8Array(body.length + rest.length)
    out.set(body, 0)
    out.set(rest, body.length)
    return out
  } catch {
    throw decryptFailed(name)
  } finally {
    body.fill(0)
  }
}

/** Plaintexts (and ciphertext bodies) of this many bytes and more use OpenSSL's ChaCha20-Poly1305. */
export const NATIVE_CHACHA_MIN = 2048

function nodeChachaSealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG })
  c.setAAD(aad, { plaintextLength: plaintext.length })
  const body = c.update(plaintext)
  out.set(body, offset)
  const rest = c.final()
  out.set(rest, offset + body.length)
  out.set(c.getAuthTag(), offset + body.length + rest.length)
}

function nodeChachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const ctLen = ciphertext.length - TAG
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG })
  d.setAAD(aad, { plaintextLength: ctLen })
  d.setAuthTag(ciphertext.subarray(ctLen))
  return finishOpen(d, d.update(ciphertext.subarray(0, ctLen)), 'CHACHA20POLY1305')
}

function chachaSealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
  checkSizes('CHACHA20POLY1305', 32, key, nonce)
  checkRoom('CHACHA20POLY1305', plaintext, out, offset)
  if (plaintext.length >= NATIVE_CHACHA_MIN) nodeChachaSealInto(key, nonce, aad, plaintext, out, offset)
  else chacha20Poly1305SealInto(key, nonce, aad, plaintext, out, offset)
}

const chacha20Poly1305: Aead = {
  name: 'CHACHA20POLY1305',
  hpkeId: 0x0003,
  Nk: 32,
  Nn: 12,
  Nt: TAG,
  seal(key, nonce, aad, plaintext) {
    const out = new Uint8Array(plaintext.length + TAG)
    chachaSealInto(key, nonce, aad, plaintext, out, 0)
    return out
  },
  sealInto: chachaSealInto,
  open(key, nonce, aad, ciphertext) {
    checkSizes('CHACHA20POLY1305', 32, key, nonce)
    if (ciphertext.length < TAG) throw decryptFailed('CHACHA20POLY1305')
    if (ciphertext.length - TAG >= NATIVE_CHACHA_MIN) return nodeChachaOpen(key, nonce, aad, ciphertext)
    const pt = chacha20Poly1305Open(key, nonce, aad, ciphertext)
    if (pt === undefined) throw decryptFailed('CHACHA20POLY1305')
    return pt
  },
}

const aeads: Record<AeadName, Aead> = {
  AES128GCM: aesGcm(16),
  AES256GCM: aesGcm(32),
  CHACHA20POLY1305: chacha20Poly1305,
}

export function aead(name: AeadName): Aead {
  return aeads[name]
}
