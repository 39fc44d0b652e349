/**
 * Double Ratchet encryption and decryption (Signal "The Double Ratchet
 * Algorithm", §3.4 RatchetEncrypt, §3.5 RatchetDecrypt, §4 header
 * encryption), over the state of state.ts.
 *
 * Decryption is staged: every check that needs no secret runs first (a
 * message beyond MAX_SKIP, a replay, a closed chain, a header that cannot be
 * right are refused before any DH or KDF call), then the new chain keys,
 * skipped keys and root key are derived into local variables, the AEAD is
 * opened, and only then is the state changed. A rejected message leaves the
 * state exactly as it was; everything derived for it is zeroed.
 *
 * The DH ratchet step is split (see state.ts): the receiving half here, on
 * the first message of a new chain; the sending half in `encrypt`, on the
 * first send after it. Both parties still take one DH ratchet step per turn.
 */
import { aead } from '../crypto/aead.js'
import { x25519Forget, x25519Generate } from '../crypto/dh.js'
import { constantTimeEqual, memzero } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import type { RatchetMessage } from '../proto/ratchet.js'
import { MAX_COUNTER, MAX_PLAINTEXT_BYTES, MAX_PREVIOUS_RECEIVING_KEYS, RATCHET_VERSION, type RatchetPolicy } from './constants.js'
import { checkHeader, encodeHeader, encryptHeader, messageAd, tryDecryptHeader, type Header } from './header.js'
import { kdfCk, kdfRk, messageAeadKeys, ratchetDh } from './kdf.js'
import type { PendingSkipped } from './skipped.js'
import type { SessionState } from './state.js'

const chacha = aead('CHACHA20POLY1305')

/** The sending half of a DH ratchet step: fresh DHs, then KDF_RK(RK, DH(DHs, DHr)). */
function sendingStep(s: SessionState): void {
  if (s.dhr === undefined) {
    throw new TalosError('RATCHET_CANNOT_SEND', 'the responder can send only after the first message has arrived')
  }
  const dhs = x25519Generate()
  const step = kdfRk(s.rootKey, ratchetDh(dhs.privateKey, s.dhr), s.headerEncryption)
  memzero(s.rootKey)
  s.rootKey = step.rootKey
  x25519Forget(s.dhs?.privateKey)
  s.dhs = dhs
  memzero(s.cks)
  s.cks = step.chainKey
  s.pn = s.ns
  s.ns = 0
  if (s.headerEncryption) {
    memzero(s.hks)
    s.hks = s.nhks
    s.nhks = step.nextHeaderKey
  }
}

/**
 * Every check RatchetEncrypt makes before it changes the state, without
 * changing it: a caller that encrypts to many sessions (a hub's relay, a
 * sender-key distribution) runs it on all of them first, so that a refusal
 * cannot come half-way through. Past these checks only an internal crypto
 * fault can make ratchetEncrypt throw (DHr was imported and used when it
 * arrived).
 */
export function checkCanEncrypt(s: SessionState, plaintextLength: number): void {
  if (plaintextLength > MAX_PLAINTEXT_BYTES) {
    throw new TalosError('RATCHET_MESSAGE_TOO_LARGE', `plaintext of ${plaintextLength} bytes exceeds ${MAX_PLAINTEXT_BYTES}`)
  }
  if (s.cks === undefined) {
    if (s.dhr === undefined) throw new TalosError('RATCHET_CANNOT_SEND', 'the responder can send only after the first message has arrived')
  } else if (s.ns >= MAX_COUNTER - 1) {
    throw new TalosError('RATCHET_CHAIN_EXHAUSTED', 'sending chain reached its message limit')
  }
}

/** RatchetEncrypt. Mutates the state (nothing can fail after checkCanEncrypt's checks). */
export function ratchetEncrypt(s: SessionState, plaintext: Uint8Array): RatchetMessage {
  // Before any step: a string or an array would be sealed as whatever bytes it coerces to.
  if (!(plaintext instanceof Uint8Array)) throw new TalosError('RATCHET_INVALID_ARGUMENT', 'the plaintext is a Uint8Array')
  checkCanEncrypt(s, plaintext.length)
  if (s.cks === undefined) sendingStep(s)
  const { chainKey, messageKey } = kdfCk(s.cks!)
  memzero(s.cks)
  s.cks = chainKey
  const header: Header = { ratchetKey: s.dhs!.publicKey, pn: s.pn, n: s.ns }
  s.ns++
  let headerBytes: Uint8Array
  let field: RatchetMessage['header']
  if (s.headerEncryption) {
    headerBytes = encryptHeader(s.hks!, s.associatedData, header)
    field = { case: 'encryptedHeader', value: headerBytes }
  } else {
    headerBytes = encodeHeader(header)
    field = {
      case: 'plainHeader',
      value: { ratchetKey: header.ratchetKey, previousChainLength: header.pn, messageNumber: header.n },
    }
  }
  const keys = messageAeadKeys(messageKey)
  const ciphertext = chacha.seal(keys.key, keys.nonce, messageAd(s.associatedData, s.headerEncryption, headerBytes), plaintext)
  memzero(keys.key)
  memzero(keys.nonce)
  return { version: RATCHET_VERSION, header: field, ciphertext }
}

/** Where an incoming message belongs, decided before any derivation. */
type Route =
  | { kind: 'skipped'; ratchetKey: Uint8Array }
  | { kind: 'current' }
  | { kind: 'next' }

interface Parsed {
  header: Header
  /** The header bytes that enter the message AD (canonical header, or its ciphertext). */
  adHeader: Uint8Array
  route: Route
}

function parseHeader(s: SessionState, m: RatchetMessage, nowMs: number, policy: RatchetPolicy): Parsed {
  if (!s.headerEncryption) {
    if (m.header?.case !== 'plainHeader') throw new TalosError('RATCHET_INVALID_MESSAGE', 'expected a plain header')
    const h = m.header.value
    const header: Header = { ratchetKey: h.ratchetKey, pn: h.previousChainLength, n: h.messageNumber }
    checkHeader(header)
    const adHeader = encodeHeader(header)
    if (s.skipped.find(header.ratchetKey, header.n, nowMs, s.receivingSteps, policy) !== undefined) {
      return { header, adHeader, route: { kind: 'skipped', ratchetKey: header.ratchetKey } }
    }
    const current = s.dhr !== undefined && constantTimeEqual(header.ratchetKey, s.dhr)
    return { header, adHeader, route: current ? { kind: 'current' } : { kind: 'next' } }
  }
  if (m.header?.case !== 'encryptedHeader') throw new TalosError('RATCHET_INVALID_MESSAGE', 'expected an encrypted header')
  const enc = m.header.value
  // Spec §4 TrySkippedMessageKeysHE: the header keys of chains with skipped keys first.
  for (const c of s.skipped.headerChains()) {
    const header = tryDecryptHeader(c.headerKey, s.associatedData, enc)
    if (header === undefined) continue
    if (!constantTimeEqual(header.ratchetKey, c.ratchetKey)) throw new TalosError('RATCHET_INVALID_HEADER', 'header names another chain')
    if (s.skipped.find(c.ratchetKey, header.n, nowMs, s.receivingSteps, policy) !== undefined) {
      return { header, adHeader: enc, route: { kind: 'skipped', ratchetKey: c.ratchetKey } }
    }
    // Same chain as the current one: fall through to the normal path (a later message of it).
    if (s.dhr !== undefined && constantTimeEqual(c.ratchetKey, s.dhr)) return { header, adHeader: enc, route: { kind: 'current' } }
    throw new TalosError('RATCHET_DUPLICATE_MESSAGE', 'message of a closed chain was already decrypted or its key expired')
  }
  const current = tryDecryptHeader(s.hkr, s.associatedData, enc)
  if (current !== undefined) {
    if (s.dhr === undefined || !constantTimeEqual(current.ratchetKey, s.dhr)) {
      throw new TalosError('RATCHET_INVALID_HEADER', 'header under the current header key names another ratchet key')
    }
    return { header: current, adHeader: enc, route: { kind: 'current' } }
  }
  const next = tryDecryptHeader(s.nhkr, s.associatedData, enc)
  if (next !== undefined) return { header: next, adHeader: enc, route: { kind: 'next' } }
  throw new TalosError('RATCHET_HEADER_DECRYPT_FAILED', 'no header key opens this header')
}

/** Derives message keys from..to-1 of a chain (to be stored as skipped) and the chain key at `to`. */
function advance(chainKey: Uint8Array, from: number, to: number, out: PendingSkipped[]): Uint8Array {
  let ck = chainKey
  for (let i = from; i < to; i++) {
    const step = kdfCk(ck)
    if (ck !== chainKey) memzero(ck)
    ck = step.chainKey
    out.push({ n: i, messageKey: step.messageKey })
  }
  return ck === chainKey ? chainKey.slice() : ck
}

function zeroPending(list: PendingSkipped[]): void {
  for (const p of list) memzero(p.messageKey)
}

function open(s: SessionState, messageKey: Uint8Array, adHeader: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const keys = messageAeadKeys(messageKey)
  try {
    return chacha.open(keys.key, keys.nonce, messageAd(s.associatedData, s.headerEncryption, adHeader), ciphertext)
  } catch {
    throw new TalosError('RATCHET_DECRYPT_FAILED', 'message authentication failed')
  } finally {
    memzero(keys.key)
    memzero(keys.nonce)
  }
}

/** RatchetDecrypt, staged. Returns the plaintext; on any error the state is unchanged. */
export function ratchetDecrypt(s: SessionState, m: RatchetMessage, nowMs: number, policy: RatchetPolicy): Uint8Array {
  if (m.version !== RATCHET_VERSION) throw new TalosError('RATCHET_UNSUPPORTED_VERSION', `message version ${m.version}`)
  if (m.ciphertext.length > MAX_PLAINTEXT_BYTES + 16) throw new TalosError('RATCHET_MESSAGE_TOO_LARGE', 'ciphertext too large')
  const { header, adHeader, route } = parseHeader(s, m, nowMs, policy)

  if (route.kind === 'skipped') {
    const entry = s.skipped.find(route.ratchetKey, header.n, nowMs, s.receivingSteps, policy)!
    const plaintext = open(s, entry.messageKey.slice(), adHeader, m.ciphertext)
    s.skipped.remove(route.ratchetKey, header.n)
    return plaintext
  }

  if (route.kind === 'current') {
    if (s.ckr === undefined) throw new TalosError('RATCHET_INVALID_HEADER', 'no receiving chain for this ratchet key')
    if (header.n < s.nr) throw new TalosError('RATCHET_DUPLICATE_MESSAGE', `message ${header.n} was already decrypted or its key expired`)
    if (header.n - s.nr > policy.maxSkip) {
      throw new TalosError('RATCHET_TOO_FAR_AHEAD', `message ${header.n} is ${header.n - s.nr} ahead (limit ${policy.maxSkip})`)
    }
    const pending: PendingSkipped[] = []
    const ck = advance(s.ckr, s.nr, header.n, pending)
    const step = kdfCk(ck)
    memzero(ck)
    let plaintext: Uint8Array
    try {
      plaintext = open(s, step.messageKey, adHeader, m.ciphertext)
    } catch (e) {
      memzero(step.chainKey)
      zeroPending(pending)
      throw e
    }
    s.skipped.add(s.dhr!, s.hkr, pending, nowMs, s.receivingSteps)
    memzero(s.ckr)
    s.ckr = step.chainKey
    s.nr = header.n + 1
    s.skipped.prune(nowMs, s.receivingSteps, policy)
    return plaintext
  }

  // A new receiving chain: the receiving half of a DH ratchet step.
  if (!s.headerEncryption && s.previousReceivingKeys.some((k) => constantTimeEqual(k, header.ratchetKey))) {
    throw new TalosError('RATCHET_DUPLICATE_MESSAGE', 'message of a closed chain was already decrypted or its key expired')
  }
  if (s.dhs === undefined) {
    throw new TalosError('RATCHET_UNEXPECTED_RATCHET_KEY', 'a second new ratchet key arrived before we answered the first')
  }
  if (s.ckr !== undefined) {
    if (header.pn < s.nr) throw new TalosError('RATCHET_INVALID_HEADER', `previous chain length ${header.pn} is below ${s.nr}`)
    if (header.pn - s.nr > policy.maxSkip) {
      throw new TalosError('RATCHET_TOO_FAR_AHEAD', `previous chain skips ${header.pn - s.nr} messages (limit ${policy.maxSkip})`)
    }
  }
  if (header.n > policy.maxSkip) {
    throw new TalosError('RATCHET_TOO_FAR_AHEAD', `message ${header.n} of a new chain (limit ${policy.maxSkip})`)
  }
  const oldPending: PendingSkipped[] = []
  const newPending: PendingSkipped[] = []
  let rootStep: ReturnType<typeof kdfRk> | undefined
  let step: ReturnType<typeof kdfCk> | undefined
  let plaintext: Uint8Array
  try {
    if (s.ckr !== undefined) memzero(advance(s.ckr, s.nr, header.pn, oldPending))
    rootStep = kdfRk(s.rootKey, ratchetDh(s.dhs.privateKey, header.ratchetKey), s.headerEncryption)
    const ck = advance(rootStep.chainKey, 0, header.n, newPending)
    memzero(rootStep.chainKey)
    step = kdfCk(ck)
    memzero(ck)
    plaintext = open(s, step.messageKey, adHeader, m.ciphertext)
  } catch (e) {
    zeroPending(oldPending)
    zeroPending(newPending)
    memzero(rootStep?.rootKey)
    memzero(rootStep?.nextHeaderKey)
    memzero(step?.chainKey)
    throw e
  }
  // Commit.
  if (s.dhr !== undefined) {
    s.skipped.add(s.dhr, s.hkr, oldPending, nowMs, s.receivingSteps)
    s.previousReceivingKeys.push(s.dhr)
    if (s.previousReceivingKeys.length > MAX_PREVIOUS_RECEIVING_KEYS) s.previousReceivingKeys.shift()
  }
  s.receivingSteps++
  memzero(s.ckr)
  memzero(s.rootKey)
  s.rootKey = rootStep.rootKey
  // Our ratchet private key has done its last DH: delete it now, and with it
  // the sending chain it fed (the next send takes a fresh step).
  x25519Forget(s.dhs.privateKey)
  s.dhs = undefined
  memzero(s.cks)
  s.cks = undefined
  s.dhr = header.ratchetKey
  s.ckr = step.chainKey
  s.nr = header.n + 1
  if (s.headerEncryption) {
    memzero(s.hkr)
    s.hkr = s.nhkr
    s.nhkr = rootStep.nextHeaderKey
  }
  s.skipped.add(header.ratchetKey, s.hkr, newPending, nowMs, s.receivingSteps)
  s.skipped.prune(nowMs, s.receivingSteps, policy)
  return plaintext
}
