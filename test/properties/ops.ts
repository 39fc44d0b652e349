/**
 * Counts cryptographic operations process-wide, below every protocol, so the
 * same meter reads sender keys, the Double Ratchet, MLS and hybrid alike.
 *
 * It wraps the primitives themselves, once, the first time `installOpCounter`
 * runs:
 *   dh      node:crypto diffieHellman (X25519 in the ratchet and in HPKE's DHKEM);
 *           the ESM bindings are refreshed with module.syncBuiltinESMExports()
 *   sign    libsodium crypto_sign_detached          verify  crypto_sign_verify_detached
 *   aead    libsodium ChaCha20-Poly1305 IETF encrypt/decrypt (suite 3 and the ratchet)
 *   kdf     libsodium's WASM HKDF-SHA256 extract/expand and HMAC-SHA256 (one init = one HMAC)
 *   hash    libsodium SHA-256
 * and, as a summary of the above (not added to the total twice):
 *   hpkeSeal / hpkeOpen / hpkeDerive   the suite's HPKE SealBase, OpenBase, DeriveKeyPair
 *
 * `total` is dh + sign + verify + aead + kdf + hash: every primitive call,
 * whatever protocol made it. Costs are read as differences of snapshots
 * (`opsNow()` before and after), one member at a time.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { sodium } from '../../src/crypto/sodium.js'
import { Hpke } from '../../src/crypto/hpke/hpke.js'
import { setVerifyWorkers } from '../../src/crypto/verify-pool.js'

export interface OpCounts {
  dh: number
  sign: number
  verify: number
  aead: number
  kdf: number
  hash: number
  hpkeSeal: number
  hpkeOpen: number
  hpkeDerive: number
}

const counts: OpCounts = { dh: 0, sign: 0, verify: 0, aead: 0, kdf: 0, hash: 0, hpkeSeal: 0, hpkeOpen: 0, hpkeDerive: 0 }
let installed = false

type Fn = (...a: unknown[]) => unknown

function wrap(obj: Record<string, unknown>, name: string, key: keyof OpCounts): void {
  const f = obj[name] as Fn | undefined
  if (typeof f !== 'function') throw new Error(`op counter: ${name} is not a function`)
  obj[name] = function (this: unknown, ...a: unknown[]) {
    counts[key]++
    return f.apply(this, a)
  }
}

/** Wraps the primitives (idempotent). */
export function installOpCounter(): void {
  if (installed) return
  installed = true
  // A joiner's leaf signatures go to the verify pool's worker threads, whose
  // libsodium this meter cannot wrap: with the pool on, the count would depend
  // on how the batch happened to split. The work is the same on any thread, so
  // it is all kept on the calling thread, where every call is counted.
  setVerifyWorkers(0)
  const require = createRequire(import.meta.url)
  const nodeCrypto = require('node:crypto') as Record<string, unknown>
  wrap(nodeCrypto, 'diffieHellman', 'dh')
  syncBuiltinESMExports()
  const s = sodium as unknown as Record<string, unknown>
  wrap(s, 'crypto_sign_detached', 'sign')
  wrap(s, 'crypto_sign_verify_detached', 'verify')
  wrap(s, 'crypto_aead_chacha20poly1305_ietf_encrypt', 'aead')
  wrap(s, 'crypto_aead_chacha20poly1305_ietf_decrypt', 'aead')
  wrap(s, 'crypto_auth_hmacsha256_init', 'kdf')
  wrap(s, 'crypto_hash_sha256', 'hash')
  const wasm = (s as { libsodium: Record<string, unknown> }).libsodium
  wrap(wasm, '_crypto_kdf_hkdf_sha256_extract', 'kdf')
  wrap(wasm, '_crypto_kdf_hkdf_sha256_expand', 'kdf')
  const proto = Hpke.prototype as unknown as Record<string, unknown>
  wrap(proto, 'sealSync', 'hpkeSeal')
  wrap(proto, 'openSync', 'hpkeOpen')
  wrap(proto, 'deriveKeyPair', 'hpkeDerive')
}

export function opsNow(): OpCounts {
  return { ...counts }
}

export function opsSince(before: OpCounts): OpCounts {
  const out = { ...counts }
  for (const k of Object.keys(out) as (keyof OpCounts)[]) out[k] -= before[k]
  return out
}

export function totalOps(c: OpCounts): number {
  return c.dh + c.sign + c.verify + c.aead + c.kdf + c.hash
}

export function addOps(a: OpCounts, b: OpCounts, times = 1): OpCounts {
  const out = { ...a }
  for (const k of Object.keys(out) as (keyof OpCounts)[]) out[k] += b[k] * times
  return out
}

export const ZERO_OPS: OpCounts = { dh: 0, sign: 0, verify: 0, aead: 0, kdf: 0, hash: 0, hpkeSeal: 0, hpkeOpen: 0, hpkeDerive: 0 }

/** Runs `fn` and returns what it cost. */
export async function measure<T>(fn: () => T | Promise<T>): Promise<{ value: T; ops: OpCounts }> {
  const before = opsNow()
  const value = await fn()
  return { value, ops: opsSince(before) }
}
