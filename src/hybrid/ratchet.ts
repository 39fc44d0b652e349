/**
 * The two ratchets of HYBRID.md §3, as pure functions over byte arrays.
 * Nothing here mutates or zeroes its inputs: callers stage the outputs and
 * zero the consumed inputs when they commit (§7), so a rejected message can
 * leave the state untouched.
 *
 *   RK[L,0]    = HybExpand(base[L], "root",  "", Nh)
 *   CK[L,0,0]  = HybExpand(base[L], "chain", "", Nh)
 *
 *   key[k,n]   = HybExpand(CK[k,n], "key",    uint32(n), Nk)
 *   nonce[k,n] = HybExpand(CK[k,n], "nonce",  uint32(n), Nn)
 *   CK[k,n+1]  = HybExpand(CK[k,n], "secret", uint32(n), Nh)     (ratchetStep: all three at once)
 *   aead_nonce = nonce[k,n] XOR (reuse_guard || zeros)            (RFC 9420 §6.3.1)
 *
 * A message's own step goes through ratchetOpen / ratchetSealInto (the three
 * derivations and the AEAD in one suite call, key and nonce never returned);
 * ratchetStep is for the keys a receiver stores for skipped messages.
 *
 *   prk       = HKDF-Extract(salt = RK[k], ikm = r)
 *   RK[k+1]   = HybExpand(prk, "rk", RekeyContext, Nh)
 *   CK[k+1,0] = HybExpand(prk, "ck", RekeyContext, Nh)
 */
import type { CipherSuite } from '../crypto/suite.js'
import { memzero } from '../crypto/sodium.js'
import { hybExpand, hybLabelU32, ratchetStepInfos } from './kdf.js'

const EMPTY = new Uint8Array(0)

export interface ChainStart {
  readonly rootKey: Uint8Array
  readonly chainKey: Uint8Array
}

/** RK[L,0] and CK[L,0,0] from base[L] (the caller deletes base[L]). */
export function chainFromBase(suite: CipherSuite, base: Uint8Array): ChainStart {
  return {
    rootKey: hybExpand(suite, base, 'root', EMPTY, suite.Nh),
    chainKey: hybExpand(suite, base, 'chain', EMPTY, suite.Nh),
  }
}

export interface MessageKey {
  readonly key: Uint8Array
  /** nonce[k,n], before the reuse guard is applied. */
  readonly nonce: Uint8Array
}

/** key[k,n] and nonce[k,n] of CK[k,n]. */
export function messageKey(suite: CipherSuite, chainKey: Uint8Array, n: number): MessageKey {
  return {
    key: suite.expand(chainKey, hybLabelU32('key', n, suite.Nk), suite.Nk),
    nonce: suite.expand(chainKey, hybLabelU32('nonce', n, suite.Nn), suite.Nn),
  }
}

/** CK[k,n+1] from CK[k,n]. */
export function nextChainKey(suite: CipherSuite, chainKey: Uint8Array, n: number): Uint8Array {
  return suite.expand(chainKey, hybLabelU32('secret', n, suite.Nh), suite.Nh)
}

export interface RatchetStep extends MessageKey {
  /** CK[k,n+1]. */
  readonly next: Uint8Array
}

/**
 * key[k,n], nonce[k,n] and CK[k,n+1] of CK[k,n] in one call (the same three
 * derivations as messageKey and nextChainKey): the suite's expandMany keys
 * HMAC with CK once for all three. For skipped messages, whose key and nonce
 * are stored.
 */
export function ratchetStep(suite: CipherSuite, chainKey: Uint8Array, n: number): RatchetStep {
  const [key, nonce, next] = suite.expandMany(chainKey, ratchetStepInfos(n, suite.Nk, suite.Nn, suite.Nh), [suite.Nk, suite.Nn, suite.Nh])
  return { key: key!, nonce: nonce!, next: next! }
}

/**
 * The per-message step with the AEAD it keys (suite.ratchetOpen): key[k,n]
 * and nonce[k,n] XOR (reuse_guard || zeros) open the ciphertext inside the
 * suite and never reach this layer. Returns the plaintext and CK[k,n+1].
 */
export function ratchetOpen(
  suite: CipherSuite,
  chainKey: Uint8Array,
  n: number,
  reuseGuard: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): { plaintext: Uint8Array; next: Uint8Array } {
  return suite.ratchetOpen(chainKey, ratchetStepInfos(n, suite.Nk, suite.Nn, suite.Nh), reuseGuard, aad, ciphertext)
}

/** The sealing side of ratchetOpen: ciphertext into out[offset ..]; returns CK[k,n+1]. */
export function ratchetSealInto(
  suite: CipherSuite,
  chainKey: Uint8Array,
  n: number,
  reuseGuard: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): Uint8Array {
  return suite.ratchetSealInto(chainKey, ratchetStepInfos(n, suite.Nk, suite.Nn, suite.Nh), reuseGuard, aad, plaintext, out, offset)
}

/** nonce XOR (reuse_guard || zeros): a fresh array. */
export function applyReuseGuard(nonce: Uint8Array, reuseGuard: Uint8Array): Uint8Array {
  const out = nonce.slice()
  for (let i = 0; i < reuseGuard.length; i++) out[i]! ^= reuseGuard[i]!
  return out
}

/** The root step: RK[k+1], CK[k+1,0]. prk is zeroed here; r and RK[k] stay with the caller. */
export function rootStep(suite: CipherSuite, rootKey: Uint8Array, r: Uint8Array, rekeyContext: Uint8Array): ChainStart {
  const prk = suite.extract(rootKey, r)
  try {
    return {
      rootKey: hybExpand(suite, prk, 'rk', rekeyContext, suite.Nh),
      chainKey: hybExpand(suite, prk, 'ck', rekeyContext, suite.Nh),
    }
  } finally {
    memzero(prk)
  }
}
