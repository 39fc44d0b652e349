/**
 * The Double Ratchet state of one session (spec §3.2, §4 for the header
 * keys), as a plain object, and its persistent form (SessionRecord in
 * proto/ratchet.proto).
 *
 * This implementation takes the sending half of a DH ratchet step lazily,
 * at the next send (as Olm does), instead of right after receiving: the
 * receiving half derives the new receiving chain and deletes our ratchet
 * private key at once, and a fresh key pair is generated only when we next
 * send. The wire protocol and every derived key are the same as the spec's;
 * what changes is that no unused sending key pair or chain sits in the
 * state between turns. `dhs` and `cks` are therefore undefined between a
 * receiving step and the next send.
 */
import { memzero } from '../crypto/sodium.js'
import { x25519Forget, type X25519KeyPair } from '../crypto/dh.js'
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import { SessionRecord, type PendingPreKey } from '../proto/ratchet.js'
import { MAX_COUNTER, MAX_PREVIOUS_RECEIVING_KEYS, MAX_SESSION_RECORD_BYTES, MAX_STORED_SKIPPED, RATCHET_VERSION } from './constants.js'
import { checkIdentityShape, type IdentityPublic } from './identity.js'
import { MAX_SKIPPED_CHAINS, SkippedKeys } from './skipped.js'
import { associatedData } from './x3dh.js'

export interface SessionState {
  readonly initiator: boolean
  readonly localIdentity: IdentityPublic
  readonly remoteIdentity: IdentityPublic
  /** The initiator's X3DH base key (EK_A public). */
  readonly baseKey: Uint8Array
  /** X3DH AD (derived from the identities, not stored). */
  readonly associatedData: Uint8Array
  rootKey: Uint8Array
  /** DHs; undefined between a receiving step and the next send. */
  dhs: X25519KeyPair | undefined
  /** DHr. */
  dhr: Uint8Array | undefined
  cks: Uint8Array | undefined
  ckr: Uint8Array | undefined
  ns: number
  nr: number
  pn: number
  readonly headerEncryption: boolean
  hks: Uint8Array | undefined
  hkr: Uint8Array | undefined
  nhks: Uint8Array | undefined
  nhkr: Uint8Array | undefined
  readonly skipped: SkippedKeys
  /** Ratchet keys of closed receiving chains, newest last. */
  readonly previousReceivingKeys: Uint8Array[]
  receivingSteps: number
  pendingPreKey: PendingPreKey | undefined
}

/** Zeroes every secret of a state (the session is being deleted). */
export function destroyState(s: SessionState): void {
  memzero(s.rootKey)
  x25519Forget(s.dhs?.privateKey)
  for (const k of [s.cks, s.ckr, s.hks, s.hkr, s.nhks, s.nhkr]) memzero(k)
  s.dhs = s.cks = s.ckr = s.hks = s.hkr = s.nhks = s.nhkr = undefined
  s.skipped.clear()
}

const EMPTY = new Uint8Array(0)
const opt = (b: Uint8Array | undefined): Uint8Array => b ?? EMPTY

export function serializeState(s: SessionState): Uint8Array {
  return encodeProto(SessionRecord, {
    version: RATCHET_VERSION,
    initiator: s.initiator,
    localIdentity: s.localIdentity,
    remoteIdentity: s.remoteIdentity,
    baseKey: s.baseKey,
    rootKey: s.rootKey,
    sendingRatchetPrivate: opt(s.dhs?.privateKey),
    sendingRatchetPublic: opt(s.dhs?.publicKey),
    receivingRatchetKey: opt(s.dhr),
    sendingChainKey: opt(s.cks),
    receivingChainKey: opt(s.ckr),
    sendingN: s.ns,
    receivingN: s.nr,
    previousSendingN: s.pn,
    headerEncryption: s.headerEncryption,
    sendingHeaderKey: opt(s.hks),
    receivingHeaderKey: opt(s.hkr),
    nextSendingHeaderKey: opt(s.nhks),
    nextReceivingHeaderKey: opt(s.nhkr),
    skipped: s.skipped.toRecords(),
    previousReceivingKeys: s.previousReceivingKeys,
    receivingSteps: s.receivingSteps,
    pendingPreKey: s.pendingPreKey,
  })
}

function bad(what: string): TalosError {
  return new TalosError('RATCHET_INVALID_RECORD', `session record: ${what}`)
}

/** A 32-byte key, or absent (empty); anything else is a corrupt record. */
function key32(b: Uint8Array, what: string): Uint8Array | undefined {
  if (b.length === 0) return undefined
  if (b.length !== 32) throw bad(`${what} must be 32 bytes`)
  return b
}

/** Parses and validates a SessionRecord. Only TalosError on bad input. */
export function deserializeState(bytes: Uint8Array): SessionState {
  const r = decodeProto(SessionRecord, bytes, { maxBytes: MAX_SESSION_RECORD_BYTES })
  if (r.version !== RATCHET_VERSION) throw bad(`unsupported version ${r.version}`)
  // Our own record: the identities were verified when the session was made.
  const local = checkIdentityShape(r.localIdentity)
  const remote = checkIdentityShape(r.remoteIdentity)
  const rootKey = key32(r.rootKey, 'root key')
  if (rootKey === undefined) throw bad('root key is missing')
  const priv = key32(r.sendingRatchetPrivate, 'sending ratchet private key')
  const pub = key32(r.sendingRatchetPublic, 'sending ratchet public key')
  if ((priv === undefined) !== (pub === undefined)) throw bad('sending ratchet key pair is incomplete')
  if (key32(r.baseKey, 'base key') === undefined) throw bad('base key is missing')
  for (const n of [r.sendingN, r.receivingN, r.previousSendingN]) if (n >= MAX_COUNTER) throw bad('counter out of range')
  if (r.previousReceivingKeys.length > MAX_PREVIOUS_RECEIVING_KEYS) throw bad('too many previous receiving keys')
  for (const k of r.previousReceivingKeys) key32(k, 'previous receiving key')
  if (r.skipped.length > MAX_SKIPPED_CHAINS) throw bad('too many skipped chains')
  let skippedCount = 0
  for (const c of r.skipped) {
    if (key32(c.ratchetKey, 'skipped chain ratchet key') === undefined) throw bad('skipped chain without ratchet key')
    if ((key32(c.headerKey, 'skipped chain header key') !== undefined) !== r.headerEncryption) {
      throw bad('skipped chain header key does not match the header-encryption setting')
    }
    for (const k of c.keys) {
      if (k.messageKey.length !== 32) throw bad('skipped message key must be 32 bytes')
      if (k.messageNumber >= MAX_COUNTER) throw bad('skipped message number out of range')
    }
    skippedCount += c.keys.length
  }
  if (skippedCount > MAX_STORED_SKIPPED) throw bad('too many skipped keys')
  const p = r.pendingPreKey
  if (p !== undefined && key32(p.baseKey, 'pending base key') === undefined) throw bad('pending prekey without base key')
  const he = r.headerEncryption
  const hk = (b: Uint8Array, what: string): Uint8Array | undefined => {
    const k = key32(b, what)
    if (k !== undefined && !he) throw bad(`${what} present without header encryption`)
    return k
  }
  // What RatchetEncrypt relies on without checking (every state the ratchet
  // itself produces has it): a sending chain was made with our ratchet key
  // pair and, with header encryption, its header key; with no sending chain,
  // the next send's DH step promotes the next sending header key.
  const cks = key32(r.sendingChainKey, 'sending chain key')
  const dhr = key32(r.receivingRatchetKey, 'receiving ratchet key')
  const hks = hk(r.sendingHeaderKey, 'sending header key')
  const nhks = hk(r.nextSendingHeaderKey, 'next sending header key')
  if (cks !== undefined && priv === undefined) throw bad('sending chain without a sending ratchet key pair')
  if (he && cks !== undefined && hks === undefined) throw bad('sending chain without a sending header key')
  if (he && cks === undefined && dhr !== undefined && nhks === undefined) throw bad('no next sending header key for the next send')
  return {
    initiator: r.initiator,
    localIdentity: local,
    remoteIdentity: remote,
    baseKey: r.baseKey,
    associatedData: r.initiator ? associatedData(local, remote) : associatedData(remote, local),
    rootKey,
    dhs: priv !== undefined ? { privateKey: priv, publicKey: pub! } : undefined,
    dhr,
    cks,
    ckr: key32(r.receivingChainKey, 'receiving chain key'),
    ns: r.sendingN,
    nr: r.receivingN,
    pn: r.previousSendingN,
    headerEncryption: he,
    hks,
    hkr: hk(r.receivingHeaderKey, 'receiving header key'),
    nhks,
    nhkr: hk(r.nextReceivingHeaderKey, 'next receiving header key'),
    skipped: SkippedKeys.fromRecords(r.skipped),
    previousReceivingKeys: [...r.previousReceivingKeys],
    receivingSteps: r.receivingSteps,
    pendingPreKey: p,
  }
}
