/**
 * libsodium (WASM, sumo build) initialised once, at module load, plus the hot
 * primitives talos-group runs on: SHA-2, HMAC, HKDF (RFC 5869), randomness,
 * zeroing and constant-time comparison.
 *
 * The JS wrapper does not expose HKDF, so extract/expand call the WASM
 * exports `_crypto_kdf_hkdf_sha{256,512}_{extract,expand}` directly, with
 * buffers from the module's own heap. Every scratch buffer that held key
 * material is zeroed before it is freed.
 *
 * Long inputs go to node:crypto (OpenSSL, native SHA-2) instead: the WASM
 * SHA-2 costs ~4 ns a byte, OpenSSL's well under 1, against a fixed ~1 µs
 * more per call. Measured CPU time per call here (SHA-256):
 *   hash  100 B: WASM 0.9 µs, node 1.05 µs;  256 B: 1.6 / 1.1;  2 KiB: 8.5 / 2.0;  200 KB: ~2200 / ~290
 *   HMAC  256 B: 2.5 / 2.5;                  512 B: 3.6 / 2.9;  2 KiB: 9.8 / 3.4
 * so hashes of NATIVE_HASH_MIN bytes and more, and HMACs (HKDF included) over
 * NATIVE_MAC_MIN bytes and more, run on OpenSSL. Small inputs, the per-message
 * and per-node case, stay on libsodium. Both compute the same function.
 *
 * This module (with the rest of src/crypto) is the only place that touches
 * libsodium.
 */
import { createHmac, hash as nodeHash, randomFillSync } from 'node:crypto'
import _sodium from 'libsodium-wrappers-sumo'
import { TalosError } from '../errors.js'

await _sodium.ready

/** The initialised libsodium wrapper. */
export const sodium = _sodium

interface WasmModule {
  HEAPU8: Uint8Array
  _malloc(n: number): number
  _free(p: number): void
  _crypto_kdf_hkdf_sha256_extract(out: number, salt: number, saltLen: number, ikm: number, ikmLen: number): number
  _crypto_kdf_hkdf_sha256_expand(out: number, outLen: number, info: number, infoLen: number, prk: number): number
  _crypto_kdf_hkdf_sha512_extract(out: number, salt: number, saltLen: number, ikm: number, ikmLen: number): number
  _crypto_kdf_hkdf_sha512_expand(out: number, outLen: number, info: number, infoLen: number, prk: number): number
  /** One-shot HMAC with a 32-byte key; the 64-bit input length is passed as two 32-bit halves. */
  _crypto_auth_hmacsha256(out: number, input: number, lenLo: number, lenHi: number, key: number): number
  _crypto_auth_hmacsha512(out: number, input: number, lenLo: number, lenHi: number, key: number): number
  // unsigned long long arguments are passed as two 32-bit halves (low, high).
  _crypto_aead_chacha20poly1305_ietf_encrypt(
    c: number, clenP: number, m: number, mlenLo: number, mlenHi: number, ad: number, adlenLo: number, adlenHi: number, nsec: number, npub: number, k: number,
  ): number
  _crypto_aead_chacha20poly1305_ietf_decrypt(
    m: number, mlenP: number, nsec: number, c: number, clenLo: number, clenHi: number, ad: number, adlenLo: number, adlenHi: number, npub: number, k: number,
  ): number
  _crypto_auth_hmacsha256_statebytes(): number
  _crypto_auth_hmacsha256_init(st: number, key: number, keyLen: number): number
  _crypto_auth_hmacsha256_update(st: number, data: number, lenLo: number, lenHi: number): number
  _crypto_auth_hmacsha256_final(st: number, out: number): number
  _crypto_auth_hmacsha512_statebytes(): number
  _crypto_auth_hmacsha512_init(st: number, key: number, keyLen: number): number
  _crypto_auth_hmacsha512_update(st: number, data: number, lenLo: number, lenHi: number): number
  _crypto_auth_hmacsha512_final(st: number, out: number): number
}

const wasm = (_sodium as unknown as { libsodium: WasmModule }).libsodium

export type HashName = 'SHA256' | 'SHA384' | 'SHA512'

/** Hash inputs from this size on go to OpenSSL (see the header). */
export const NATIVE_HASH_MIN = 256
/** HMAC / HKDF inputs (data, IKM, info) from this size on go to OpenSSL. */
export const NATIVE_MAC_MIN = 512

const nodeName = (hash: 'SHA256' | 'SHA512'): 'sha256' | 'sha512' => (hash === 'SHA256' ? 'sha256' : 'sha512')

/** A plain Uint8Array copy of a node Buffer (possibly a view into a shared pool), the Buffer then zeroed. */
export function takeBuffer(b: Buffer): Uint8Array {
  const out = new Uint8Array(b.byteLength)
  out.set(b)
  b.fill(0)
  return out
}

function nodeHmac(hash: 'SHA256' | 'SHA512', key: Uint8Array, data: Uint8Array): Uint8Array {
  return takeBuffer(createHmac(nodeName(hash), key).update(data).digest())
}

/** HKDF-Expand (RFC 5869 §2.3) over OpenSSL's HMAC, for long info strings. */
function nodeHkdfExpand(hash: 'SHA256' | 'SHA512', prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const nh = hash === 'SHA256' ? 32 : 64
  const out = new Uint8Array(length)
  const counter = new Uint8Array(1)
  let t: Buffer | undefined
  for (let i = 1, filled = 0; filled < length; i++) {
    counter[0] = i
    const h = createHmac(nodeName(hash), prk)
    if (t !== undefined) h.update(t)
    const next = h.update(info).update(counter).digest()
    t?.fill(0)
    t = next
    const n = Math.min(nh, length - filled)
    out.set(t.subarray(0, n), filled)
    filled += n
  }
  t?.fill(0)
  return out
}

/**
 * A scratch arena on the WASM heap, grown on demand and reused across calls
 * (HKDF is called on every message, so per-call malloc/free is avoided).
 * JS is single-threaded and these calls are synchronous, so one arena is safe.
 */
let arenaPtr = 0
let arenaSize = 0
function arena(size: number): number {
  if (size > arenaSize) {
    if (arenaPtr !== 0) {
      heap().fill(0, arenaPtr, arenaPtr + arenaSize)
      wasm._free(arenaPtr)
    }
    arenaSize = Math.max(size, 4096)
    arenaPtr = wasm._malloc(arenaSize)
    if (arenaPtr === 0) throw new TalosError('CRYPTO_OUT_OF_MEMORY', 'WASM heap allocation failed')
  }
  return arenaPtr
}

function heap(): Uint8Array {
  // HEAPU8 is replaced when the WASM memory grows: always read it fresh.
  return wasm.HEAPU8
}

/** HKDF-Extract via libsodium's WASM export. SHA-256 and SHA-512 only. */
export function hkdfExtract(hash: 'SHA256' | 'SHA512', salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  // PRK = HMAC(salt, IKM); an empty salt is HashLen zeros, which HMAC pads exactly as it pads an empty key.
  if (ikm.length >= NATIVE_MAC_MIN) return nodeHmac(hash, salt, ikm)
  const nh = hash === 'SHA256' ? 32 : 64
  const base = arena(nh + salt.length + ikm.length)
  const pOut = base
  const pSalt = pOut + nh
  const pIkm = pSalt + salt.length
  let h = heap()
  h.set(salt, pSalt)
  h.set(ikm, pIkm)
  const rc =
    hash === 'SHA256'
      ? wasm._crypto_kdf_hkdf_sha256_extract(pOut, pSalt, salt.length, pIkm, ikm.length)
      : wasm._crypto_kdf_hkdf_sha512_extract(pOut, pSalt, salt.length, pIkm, ikm.length)
  h = heap()
  const out = h.slice(pOut, pOut + nh)
  h.fill(0, base, base + nh + salt.length + ikm.length)
  if (rc !== 0) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Extract failed')
  return out
}

/**
 * HKDF-Expand via libsodium's WASM export. libsodium requires the PRK to be
 * exactly Nh bytes; any other key length falls back to the RFC 5869
 * definition over HMAC (identical output).
 */
export function hkdfExpand(hash: 'SHA256' | 'SHA512', prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const nh = hash === 'SHA256' ? 32 : 64
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * nh) {
    throw new TalosError('CRYPTO_HKDF_FAILED', `HKDF-Expand length ${length} is outside 0..255*Nh`)
  }
  if (prk.length !== nh) return hkdfExpandHmac(hash, prk, info, length)
  if (length === 0) return new Uint8Array(0)
  if (info.length >= NATIVE_MAC_MIN) return nodeHkdfExpand(hash, prk, info, length)
  const total = length + info.length + nh
  const base = arena(total)
  const pOut = base
  const pInfo = pOut + length
  const pPrk = pInfo + info.length
  let h = heap()
  h.set(info, pInfo)
  h.set(prk, pPrk)
  const rc =
    hash === 'SHA256'
      ? wasm._crypto_kdf_hkdf_sha256_expand(pOut, length, pInfo, info.length, pPrk)
      : wasm._crypto_kdf_hkdf_sha512_expand(pOut, length, pInfo, info.length, pPrk)
  h = heap()
  const out = h.slice(pOut, pOut + length)
  h.fill(0, base, base + total)
  if (rc !== 0) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Expand failed')
  return out
}

/**
 * T(1) = HMAC(prk, info || 0x01) into pOut, from the HMAC state keyed with
 * prk at pKeyed (copied to pState, so one key set-up serves several infos);
 * pIn is scratch for info || 0x01. Returns libsodium's rc.
 */
function hmacT1(sha256: boolean, stateBytes: number, pKeyed: number, pState: number, pIn: number, info: Uint8Array, pOut: number): number {
  const h = heap()
  h.copyWithin(pState, pKeyed, pKeyed + stateBytes)
  h.set(info, pIn)
  h[pIn + info.length] = 1 // the block counter of T(1)
  const rc = sha256 ? wasm._crypto_auth_hmacsha256_update(pState, pIn, info.length + 1, 0) : wasm._crypto_auth_hmacsha512_update(pState, pIn, info.length + 1, 0)
  if (rc !== 0) return rc
  return sha256 ? wasm._crypto_auth_hmacsha256_final(pState, pOut) : wasm._crypto_auth_hmacsha512_final(pState, pOut)
}

/**
 * HKDF-Expand of several infos from one PRK, each output at most HashLen
 * bytes: out[i] = HKDF-Expand(prk, infos[i], lengths[i]) = the first
 * lengths[i] bytes of HMAC(prk, infos[i] || 0x01) (RFC 5869 §2.3, one block).
 * HMAC's keyed state (the ipad and opad blocks, two compressions) is built
 * once and copied for each info, so k outputs cost 2 + 2k compressions
 * instead of 4k: a ratchet step derives key, nonce and next chain key from
 * one chain key (three outputs: 8 compressions instead of 12). Anything else
 * (a PRK that is not HashLen bytes, a longer output, a long info) goes
 * through hkdfExpand one by one.
 */
export function hkdfExpandMany(hash: 'SHA256' | 'SHA512', prk: Uint8Array, infos: readonly Uint8Array[], lengths: readonly number[]): Uint8Array[] {
  const nh = hash === 'SHA256' ? 32 : 64
  if (infos.length !== lengths.length) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Expand: one length per info')
  let maxInfo = 0
  let simple = prk.length === nh
  for (let i = 0; i < infos.length; i++) {
    const l = lengths[i]!
    if (!Number.isInteger(l) || l < 1 || l > nh || infos[i]!.length >= NATIVE_MAC_MIN) simple = false
    maxInfo = Math.max(maxInfo, infos[i]!.length)
  }
  if (!simple) return infos.map((info, i) => hkdfExpand(hash, prk, info, lengths[i]!))
  const sha256 = hash === 'SHA256'
  const stateBytes = sha256 ? wasm._crypto_auth_hmacsha256_statebytes() : wasm._crypto_auth_hmacsha512_statebytes()
  const total = 2 * stateBytes + nh + maxInfo + 1 + nh
  const base = arena(total)
  const pKeyed = base
  const pState = pKeyed + stateBytes
  const pPrk = pState + stateBytes
  const pIn = pPrk + nh
  const pOut = pIn + maxInfo + 1
  const out: Uint8Array[] = []
  try {
    heap().set(prk, pPrk)
    let rc = sha256 ? wasm._crypto_auth_hmacsha256_init(pKeyed, pPrk, nh) : wasm._crypto_auth_hmacsha512_init(pKeyed, pPrk, nh)
    for (let i = 0; i < infos.length && rc === 0; i++) {
      rc = hmacT1(sha256, stateBytes, pKeyed, pState, pIn, infos[i]!, pOut)
      out.push(heap().slice(pOut, pOut + lengths[i]!))
    }
    if (rc !== 0) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Expand failed')
    return out
  } catch (e) {
    for (const o of out) o.fill(0)
    throw e
  } finally {
    heap().fill(0, base, base + total)
  }
}

/**
 * ChaCha20-Poly1305 (RFC 8439, IETF) seal on the WASM export, ciphertext ||
 * tag written into out[offset ..]: one copy of the inputs into the arena and
 * one of the result out of it. The libsodium wrapper allocates and frees a
 * WASM buffer per argument and returns a fresh array, which framing callers
 * then copied again. Sizes are the caller's to check (aead.ts).
 */
export function chacha20Poly1305SealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
  const ctLen = plaintext.length + 16
  const total = key.length + nonce.length + aad.length + plaintext.length + ctLen
  const base = arena(total)
  const pKey = base
  const pNonce = pKey + key.length
  const pAad = pNonce + nonce.length
  const pPt = pAad + aad.length
  const pCt = pPt + plaintext.length
  let h = heap()
  try {
    h.set(key, pKey)
    h.set(nonce, pNonce)
    h.set(aad, pAad)
    h.set(plaintext, pPt)
    const rc = wasm._crypto_aead_chacha20poly1305_ietf_encrypt(pCt, 0, pPt, plaintext.length, 0, pAad, aad.length, 0, 0, pNonce, pKey)
    if (rc !== 0) throw new TalosError('CRYPTO_AEAD_FAILED', 'ChaCha20-Poly1305 seal failed')
    h = heap()
    out.set(h.subarray(pCt, pCt + ctLen), offset)
  } finally {
    heap().fill(0, base, base + total)
  }
}

/** ChaCha20-Poly1305 open on the WASM export: the plaintext, or undefined on a bad tag (nothing else released). */
export function chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  const ptLen = ciphertext.length - 16
  if (ptLen < 0) return undefined
  const total = key.length + nonce.length + aad.length + ciphertext.length + ptLen
  const base = arena(total)
  const pKey = base
  const pNonce = pKey + key.length
  const pAad = pNonce + nonce.length
  const pCt = pAad + aad.length
  const pPt = pCt + ciphertext.length
  try {
    const h = heap()
    h.set(key, pKey)
    h.set(nonce, pNonce)
    h.set(aad, pAad)
    h.set(ciphertext, pCt)
    const rc = wasm._crypto_aead_chacha20poly1305_ietf_decrypt(pPt, 0, 0, pCt, ciphertext.length, 0, pAad, aad.length, 0, pNonce, pKey)
    return rc === 0 ? heap().slice(pPt, pPt + ptLen) : undefined
  } finally {
    heap().fill(0, base, base + total)
  }
}

const HMAC256_STATE = wasm._crypto_auth_hmacsha256_statebytes()
const HMAC512_STATE = wasm._crypto_auth_hmacsha512_statebytes()

/** Where ratchetInto put things in the arena; rc is the HMAC calls' result (0 on success). */
interface RatchetArena {
  readonly base: number
  readonly total: number
  readonly pKey: number
  readonly pNonce: number
  readonly pNext: number
  readonly pData: number
  /** Where ratchetInto put the AEAD input (after the AAD) and where the AEAD output goes (after the input). */
  readonly pInput: number
  readonly pOutput: number
  readonly rc: number
}

/**
 * A ratchet step and the ChaCha20-Poly1305 operation it keys, in one pass
 * through the arena (ratchet-aead.ts has the contract and the checks):
 *
 *   key   = HKDF-Expand(prk, infos[0], 32)
 *   nonce = HKDF-Expand(prk, infos[1], 12) XOR (mask || zeros)
 *   next  = HKDF-Expand(prk, infos[2], nextLength)
 *
 * each one HMAC block from one keyed state (as hkdfExpandMany), then the
 * AEAD on the key and nonce where HMAC wrote them: they never leave the WASM
 * heap, so there is no JavaScript copy of them to zero, and the inputs go in
 * and the outputs come out once. The caller guarantees a HashLen PRK, short
 * infos, nextLength <= HashLen, mask.length <= 12 and a 16-byte tag room.
 *
 * ratchetInto lays out the arena (HMAC states, PRK, info scratch, HMAC
 * block, key, nonce, then AAD, AEAD input and `outLength` bytes of output),
 * copies the AAD and input in and derives; the two callers check rc, run the
 * AEAD and zero the whole arena.
 */
function ratchetInto(
  hash: 'SHA256' | 'SHA512',
  prk: Uint8Array,
  infos: readonly [Uint8Array, Uint8Array, Uint8Array],
  mask: Uint8Array,
  aad: Uint8Array,
  input: Uint8Array,
  outLength: number,
): RatchetArena {
  const tail = aad.length + input.length + outLength
  const sha256 = hash === 'SHA256'
  const nh = sha256 ? 32 : 64
  const stateBytes = sha256 ? HMAC256_STATE : HMAC512_STATE
  const maxInfo = Math.max(infos[0].length, infos[1].length, infos[2].length)
  const pKeyed = arena(2 * stateBytes + nh + maxInfo + 1 + nh + 32 + 12 + tail)
  const pState = pKeyed + stateBytes
  const pPrk = pState + stateBytes
  const pIn = pPrk + nh
  const pBlock = pIn + maxInfo + 1
  const pKey = pBlock + nh
  const pNonce = pKey + 32
  const pData = pNonce + 12
  const total = pData + tail - pKeyed
  const pInput = pData + aad.length
  const pOutput = pInput + input.length
  const h0 = heap()
  h0.set(prk, pPrk)
  h0.set(aad, pData)
  h0.set(input, pInput)
  let rc = sha256 ? wasm._crypto_auth_hmacsha256_init(pKeyed, pPrk, nh) : wasm._crypto_auth_hmacsha512_init(pKeyed, pPrk, nh)
  // T(1) of each info in turn: key and nonce are moved out of the block, next (the last) stays in it.
  for (let i = 0; i < 3 && rc === 0; i++) {
    rc = hmacT1(sha256, stateBytes, pKeyed, pState, pIn, infos[i]!, pBlock)
    if (i === 0) heap().copyWithin(pKey, pBlock, pBlock + 32)
    else if (i === 1) {
      const g = heap()
      g.copyWithin(pNonce, pBlock, pBlock + 12)
      for (let j = 0; j < mask.length; j++) g[pNonce + j]! ^= mask[j]!
    }
  }
  return { base: pKeyed, total, pKey, pNonce, pNext: pBlock, pData, pInput, pOutput, rc }
}

/** Ratchet step + ChaCha20-Poly1305 open: { plaintext, next }, or undefined on a bad tag (nothing released, everything zeroed). */
export function ratchetChachaOpen(
  hash: 'SHA256' | 'SHA512',
  prk: Uint8Array,
  infos: readonly [Uint8Array, Uint8Array, Uint8Array],
  nextLength: number,
  mask: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): { plaintext: Uint8Array; next: Uint8Array } | undefined {
  const ptLen = ciphertext.length - 16
  if (ptLen < 0) return undefined
  const a = ratchetInto(hash, prk, infos, mask, aad, ciphertext, ptLen)
  try {
    if (a.rc !== 0) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Expand failed')
    const pPt = a.pOutput
    const rc = wasm._crypto_aead_chacha20poly1305_ietf_decrypt(pPt, 0, 0, a.pInput, ciphertext.length, 0, a.pData, aad.length, 0, a.pNonce, a.pKey)
    if (rc !== 0) return undefined
    const g = heap()
    return { plaintext: g.slice(pPt, pPt + ptLen), next: g.slice(a.pNext, a.pNext + nextLength) }
  } finally {
    heap().fill(0, a.base, a.base + a.total)
  }
}

/** Ratchet step + ChaCha20-Poly1305 seal, ciphertext || tag written into out[offset ..]; returns next. */
export function ratchetChachaSealInto(
  hash: 'SHA256' | 'SHA512',
  prk: Uint8Array,
  infos: readonly [Uint8Array, Uint8Array, Uint8Array],
  nextLength: number,
  mask: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): Uint8Array {
  const ctLen = plaintext.length + 16
  const a = ratchetInto(hash, prk, infos, mask, aad, plaintext, ctLen)
  try {
    if (a.rc !== 0) throw new TalosError('CRYPTO_HKDF_FAILED', 'HKDF-Expand failed')
    const pCt = a.pOutput
    const rc = wasm._crypto_aead_chacha20poly1305_ietf_encrypt(pCt, 0, a.pInput, plaintext.length, 0, a.pData, aad.length, 0, 0, a.pNonce, a.pKey)
    if (rc !== 0) throw new TalosError('CRYPTO_AEAD_FAILED', 'ChaCha20-Poly1305 seal failed')
    const g = heap()
    out.set(g.subarray(pCt, pCt + ctLen), offset)
    return g.slice(a.pNext, a.pNext + nextLength)
  } finally {
    heap().fill(0, a.base, a.base + a.total)
  }
}

/** RFC 5869 §2.3 over HMAC, for PRKs of non-standard length. */
function hkdfExpandHmac(hash: 'SHA256' | 'SHA512', prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const nh = hash === 'SHA256' ? 32 : 64
  const out = new Uint8Array(length)
  let t: Uint8Array = new Uint8Array(0)
  let filled = 0
  for (let i = 1; filled < length; i++) {
    const input = new Uint8Array(t.length + info.length + 1)
    input.set(t, 0)
    input.set(info, t.length)
    input[input.length - 1] = i
    const next = hmac(hash, prk, input)
    memzero(t)
    memzero(input)
    t = next
    const n = Math.min(nh, length - filled)
    out.set(t.subarray(0, n), filled)
    filled += n
  }
  memzero(t)
  return out
}

export function sha256(data: Uint8Array): Uint8Array {
  if (data.length >= NATIVE_HASH_MIN) return takeBuffer(nodeHash('sha256', data, 'buffer'))
  return sodium.crypto_hash_sha256(data)
}

export function sha512(data: Uint8Array): Uint8Array {
  if (data.length >= NATIVE_HASH_MIN) return takeBuffer(nodeHash('sha512', data, 'buffer'))
  return sodium.crypto_hash_sha512(data)
}

/** HMAC with any key length (libsodium's HMAC takes arbitrary key sizes). */
export function hmac(hash: 'SHA256' | 'SHA512', key: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length >= NATIVE_MAC_MIN) return nodeHmac(hash, key, data)
  if (key.length === 32) return hmacKey32(hash, key, data)
  if (hash === 'SHA256') {
    const st = sodium.crypto_auth_hmacsha256_init(key)
    sodium.crypto_auth_hmacsha256_update(st, data)
    return sodium.crypto_auth_hmacsha256_final(st)
  }
  const st = sodium.crypto_auth_hmacsha512_init(key)
  sodium.crypto_auth_hmacsha512_update(st, data)
  return sodium.crypto_auth_hmacsha512_final(st)
}

/**
 * HMAC with a 32-byte key (every chain key of the Double Ratchet and of sender
 * keys) in one WASM call, in the scratch arena: the wrapper's
 * init/update/final path allocates and copies its state three times, which
 * cost ~4x the hash itself for these 1-byte inputs.
 */
function hmacKey32(hash: 'SHA256' | 'SHA512', key: Uint8Array, data: Uint8Array): Uint8Array {
  const nh = hash === 'SHA256' ? 32 : 64
  const total = nh + 32 + data.length
  const base = arena(total)
  const pOut = base
  const pKey = pOut + nh
  const pData = pKey + 32
  let h = heap()
  h.set(key, pKey)
  h.set(data, pData)
  const rc =
    hash === 'SHA256'
      ? wasm._crypto_auth_hmacsha256(pOut, pData, data.length, 0, pKey)
      : wasm._crypto_auth_hmacsha512(pOut, pData, data.length, 0, pKey)
  h = heap()
  const out = h.slice(pOut, pOut + nh)
  h.fill(0, base, base + total)
  if (rc !== 0) throw new TalosError('CRYPTO_INTERNAL', 'HMAC failed')
  return out
}

/**
 * CSPRNG output from the OS (node:crypto randomFillSync, OpenSSL's DRBG).
 * libsodium's WASM randombytes_buf calls back into JS for every 4 bytes:
 * measured ~8-30 µs for 4 bytes and ~3 ms for 1 KiB, against ~2.5 µs here.
 */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n))
}

/** Overwrites a secret with zeros (sodium_memzero semantics: not optimised away). */
export function memzero(b: Uint8Array | undefined | null): void {
  // fill(0) is a memset. libsodium-wrappers' memzero on a JavaScript array is a
  // byte-at-a-time JavaScript loop (sodium_memzero only covers WASM memory), so
  // it gave no stronger guarantee and cost ~1 ns per byte: milliseconds for the
  // 2 MB HPKE info of a large group's Welcome.
  if (b && b.length > 0) b.fill(0)
}

/**
 * Constant-time equality for MACs, tags and other secret-dependent values.
 * The length is not secret: unequal lengths return false at once.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
