/**
 * One sender key: a chain key, its iteration, an Ed25519 key pair (private
 * half only for our own key), and the skipped message seeds of a receiver.
 * Encryption with our own key; staged decryption with a member's key.
 *
 * Decryption order: the iteration window is checked first (a message too far
 * ahead, or behind with no stored seed, is refused before any derivation),
 * then the signature (still no derivation), then the chain is advanced into
 * local variables, the AEAD opened, and only then is the state changed.
 */
import { aead } from '../crypto/aead.js'
import { secureRandom } from '../crypto/dh.js'
import { forgetPrivateKey } from '../crypto/key-cache.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { memzero } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import type { SenderKeyDistribution, SenderKeyMessage } from '../proto/senderkeys.js'
import { senderChainStep, senderMessageKeys } from './chain.js'
import { MAX_ITERATION, MAX_SENDERKEY_PLAINTEXT, SENDERKEY_VERSION, type SenderKeyPolicy } from './constants.js'
import { messageAd, messageTbs } from './message.js'

const chacha = aead('CHACHA20POLY1305')

export interface SenderKeyState {
  readonly sender: string
  readonly keyId: number
  iteration: number
  chainKey: Uint8Array
  readonly signingKey: Uint8Array
  /** Ed25519 seed, own keys only. */
  readonly signingPrivate: Uint8Array | undefined
  /** iteration -> message seed, oldest first. */
  readonly skipped: Map<number, Uint8Array>
}

/** A fresh own sender key: random key id, chain key and signing key. */
export function newOwnState(sender: string): SenderKeyState {
  const kp = ed25519.generateKeyPair()
  const id = new DataView(secureRandom(4).buffer).getUint32(0)
  return {
    sender,
    keyId: id,
    iteration: 0,
    chainKey: secureRandom(32),
    signingKey: kp.publicKey,
    signingPrivate: kp.privateKey,
    skipped: new Map(),
  }
}

export function toDistribution(groupId: Uint8Array, s: SenderKeyState): SenderKeyDistribution {
  return {
    version: SENDERKEY_VERSION,
    groupId,
    sender: s.sender,
    keyId: s.keyId,
    iteration: s.iteration,
    chainKey: s.chainKey,
    signingKey: s.signingKey,
  }
}

export function fromDistribution(d: SenderKeyDistribution): SenderKeyState {
  return {
    sender: d.sender,
    keyId: d.keyId,
    iteration: d.iteration,
    chainKey: d.chainKey,
    signingKey: d.signingKey,
    signingPrivate: undefined,
    skipped: new Map(),
  }
}

/** Zeroes every secret of a sender key (deleted or replaced). */
export function destroySenderKey(s: SenderKeyState): void {
  memzero(s.chainKey)
  for (const seed of s.skipped.values()) memzero(seed)
  s.skipped.clear()
  if (s.signingPrivate !== undefined) {
    forgetPrivateKey(s.signingPrivate)
    memzero(s.signingPrivate)
  }
}

/** Encrypts and signs one message with our own sender key; advances the chain. */
export function senderKeyEncrypt(groupId: Uint8Array, s: SenderKeyState, plaintext: Uint8Array): SenderKeyMessage {
  if (s.signingPrivate === undefined) throw new TalosError('SENDERKEY_NOT_OWN_KEY', 'cannot send with a member key')
  // Before the chain steps: a string or an array would be sealed as whatever bytes it coerces to.
  if (!(plaintext instanceof Uint8Array)) throw new TalosError('SENDERKEY_INVALID_ARGUMENT', 'the plaintext is a Uint8Array')
  if (plaintext.length > MAX_SENDERKEY_PLAINTEXT) throw new TalosError('SENDERKEY_MESSAGE_TOO_LARGE', 'plaintext too large')
  if (s.iteration >= MAX_ITERATION) throw new TalosError('SENDERKEY_CHAIN_EXHAUSTED', 'sender key must be rotated')
  const step = senderChainStep(s.chainKey)
  memzero(s.chainKey)
  s.chainKey = step.chainKey
  const iteration = s.iteration++
  const ctx = { groupId, sender: s.sender, keyId: s.keyId, iteration }
  const keys = senderMessageKeys(step.seed, iteration)
  const ciphertext = chacha.seal(keys.key, keys.nonce, messageAd(ctx), plaintext)
  memzero(keys.key)
  memzero(keys.nonce)
  const signature = ed25519.sign(s.signingPrivate, messageTbs(ctx, ciphertext))
  return { version: SENDERKEY_VERSION, groupId, sender: s.sender, keyId: s.keyId, iteration, ciphertext, signature }
}

/** Decrypts with a member's sender key, staged: on any error the state is unchanged. */
export function senderKeyDecrypt(groupId: Uint8Array, s: SenderKeyState, m: SenderKeyMessage, policy: SenderKeyPolicy): Uint8Array {
  const it = m.iteration
  const stored = it < s.iteration ? s.skipped.get(it) : undefined
  if (it < s.iteration && stored === undefined) {
    throw new TalosError('SENDERKEY_DUPLICATE_MESSAGE', `iteration ${it} was already decrypted or its key is gone`)
  }
  if (it >= s.iteration && it - s.iteration > policy.maxForward) {
    throw new TalosError('SENDERKEY_TOO_FAR_AHEAD', `iteration ${it} is ${it - s.iteration} ahead (limit ${policy.maxForward})`)
  }
  const ctx = { groupId, sender: s.sender, keyId: s.keyId, iteration: it }
  if (!ed25519.verify(s.signingKey, messageTbs(ctx, m.ciphertext), m.signature)) {
    throw new TalosError('SENDERKEY_BAD_SIGNATURE', `signature of ${s.sender}'s message ${it} does not verify`)
  }
  let seed: Uint8Array
  let nextChain: Uint8Array | undefined
  const pending: [number, Uint8Array][] = []
  if (stored !== undefined) {
    seed = stored.slice()
  } else {
    let ck = s.chainKey
    for (let i = s.iteration; i < it; i++) {
      const step = senderChainStep(ck)
      if (ck !== s.chainKey) memzero(ck)
      ck = step.chainKey
      pending.push([i, step.seed])
    }
    const step = senderChainStep(ck)
    if (ck !== s.chainKey) memzero(ck)
    seed = step.seed
    nextChain = step.chainKey
  }
  const keys = senderMessageKeys(seed, it)
  let plaintext: Uint8Array
  try {
    plaintext = chacha.open(keys.key, keys.nonce, messageAd(ctx), m.ciphertext)
  } catch {
    for (const [, p] of pending) memzero(p)
    memzero(nextChain)
    throw new TalosError('SENDERKEY_DECRYPT_FAILED', `message ${it} of ${s.sender} does not decrypt`)
  } finally {
    memzero(keys.key)
    memzero(keys.nonce)
  }
  // Commit.
  if (stored !== undefined) {
    memzero(stored)
    s.skipped.delete(it)
  } else {
    for (const [i, p] of pending) s.skipped.set(i, p)
    memzero(s.chainKey)
    s.chainKey = nextChain!
    s.iteration = it + 1
    while (s.skipped.size > policy.maxSkippedKeys) {
      const [oldest, p] = s.skipped.entries().next().value as [number, Uint8Array]
      memzero(p)
      s.skipped.delete(oldest)
    }
  }
  return plaintext
}
