/**
 * Persistence of the hybrid state as Protobuf (proto/hybrid.proto,
 * HybridStateRecord). Deterministic: maps are written sorted, skipped keys in
 * insertion order, so equal states serialize to equal bytes (the tests
 * compare serialized states before and after a rejected message).
 *
 * Only live secrets are in the state (§7); what the tree owns (the MLS leaf
 * key, node private keys) is not copied: restoring needs the group view of
 * each epoch again. Every field is checked on restore: a state that does not
 * fit the view is HYBRID_INVALID_STATE, never a RangeError.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import { HybridStateRecord, type HybridChainRecord, type HybridEpochRecord } from '../proto/hybrid.js'
import { hybridError } from './errors.js'
import type { HybridGroupView } from './group-view.js'
import { SeedTree } from './seed-tree.js'
import { SkippedKeys } from './skipped-store.js'
import { checkView, type Chain, type EpochState } from './state.js'

const FORMAT = 1
const u64 = (n: number): bigint => BigInt(n)
const num = (b: bigint, what: string): number => {
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw hybridError('HYBRID_INVALID_STATE', `${what} out of range`)
  return Number(b)
}

function chainRecord(c: Chain): HybridChainRecord {
  return { step: c.step, n: c.n, rootKey: c.rootKey.slice(), chainKey: c.chainKey.slice() }
}

export function epochRecord(s: EpochState): HybridEpochRecord {
  return {
    cipherSuite: s.suite.id,
    groupId: s.groupId,
    epoch: s.epoch,
    ownLeaf: s.ownLeaf,
    leafWidth: s.leafWidth,
    createdMs: u64(s.createdMs),
    seedNodes: s.seeds.entries().map(([node, secret]) => ({ node, secret: secret.slice() })),
    send: {
      chain: s.send.chain === undefined ? undefined : chainRecord(s.send.chain),
      chainStartedMs: u64(s.send.chainStartedMs),
      lastRekeyMs: u64(s.send.lastRekeyMs),
      peerMessageSinceRekey: s.send.peerMessageSinceRekey,
      restored: s.send.restored,
      sentTotal: s.send.sentTotal,
    },
    receive: [...s.receive.entries()].sort((a, b) => a[0] - b[0]).map(([sender, c]) => ({ sender, chain: chainRecord(c) })),
    skipped: [...s.skipped.values()].map((k) => ({
      sender: k.sender,
      step: k.step,
      n: k.n,
      key: k.key.slice(),
      nonce: k.nonce.slice(),
      createdMs: u64(k.createdMs),
      seq: u64(k.seq),
    })),
    buffered: s.buffered.map((b) => ({ sender: b.sender, step: b.step, n: b.n, message: b.message, receivedMs: u64(b.receivedMs) })),
    ownKeys: s.ownKeys.map((k) => ({
      version: k.version,
      privateKey: k.privateKey.slice(),
      publicKey: k.publicKey,
      createdMs: u64(k.createdMs),
      used: k.used,
    })),
    peerKeys: [...s.peerKeys.values()].sort((a, b) => a.leaf - b.leaf).map((k) => ({ leaf: k.leaf, version: k.version, publicKey: k.publicKey })),
    sentRekeys: s.sentRekeys.map((r) => ({ step: r.step, frame: r.frame })),
    skippedSeq: u64(s.skippedSeq),
    sentSinceAnnounce: s.sentSinceAnnounce,
    leafKeyUsed: s.leafKeyUsed,
    lastAnnounceMs: u64(s.lastAnnounceMs),
  }
}

export function encodeState(current: EpochState, previous: EpochState | undefined, previousRetiredMs: number): Uint8Array {
  return encodeProto(HybridStateRecord, {
    format: FORMAT,
    current: epochRecord(current),
    previous: previous === undefined ? undefined : epochRecord(previous),
    previousRetiredMs: u64(previousRetiredMs),
  })
}

export function decodeStateRecord(bytes: Uint8Array): HybridStateRecord {
  let rec: HybridStateRecord
  try {
    rec = decodeProto(HybridStateRecord, bytes, { maxBytes: 64 << 20 })
  } catch (e) {
    throw hybridError('HYBRID_INVALID_STATE', 'hybrid state does not decode', e)
  }
  if (rec.format !== FORMAT) throw hybridError('HYBRID_INVALID_STATE', `unknown hybrid state format ${rec.format}`)
  if (rec.current === undefined) throw hybridError('HYBRID_INVALID_STATE', 'hybrid state without a current epoch')
  return rec
}

function bad(msg: string): TalosError {
  return hybridError('HYBRID_INVALID_STATE', msg)
}

function chainFrom(r: HybridChainRecord | undefined, nh: number, what: string): Chain {
  if (r === undefined) throw bad(`${what}: missing chain`)
  if (r.rootKey.length !== nh || r.chainKey.length !== nh) throw bad(`${what}: key lengths`)
  return { step: r.step, n: r.n, rootKey: r.rootKey, chainKey: r.chainKey }
}

/** Rebuilds an epoch's state against its group view. */
export function epochFromRecord(r: HybridEpochRecord, view: HybridGroupView): EpochState {
  checkView(view)
  const suite = view.suite
  const nh = suite.Nh
  if (r.cipherSuite !== suite.id) throw bad(`state is for cipher suite ${r.cipherSuite}`)
  if (r.epoch !== view.epoch || r.ownLeaf !== view.ownLeaf || r.leafWidth !== view.leafWidth) throw bad('state does not match the group view')
  if (r.groupId.length !== view.groupId.length || !r.groupId.every((b, i) => b === view.groupId[i])) throw bad('state is for another group')
  const seeds = SeedTree.fromFrontier(suite, r.leafWidth, new Map(r.seedNodes.map((x) => [x.node, x.secret])))
  const receive = new Map<number, Chain>()
  for (const x of r.receive) {
    if (x.sender >= r.leafWidth || x.sender === r.ownLeaf || receive.has(x.sender)) throw bad(`receive chain for leaf ${x.sender}`)
    receive.set(x.sender, chainFrom(x.chain, nh, 'receive chain'))
  }
  const skipped = new SkippedKeys()
  const lastN = new Map<number, Map<number, number>>()
  let prevSeq = -1
  for (const k of r.skipped) {
    const seq = num(k.seq, 'seq')
    if (seq <= prevSeq) throw bad('skipped keys out of order')
    prevSeq = seq
    if (k.key.length !== suite.Nk || k.nonce.length !== suite.Nn) throw bad('skipped key lengths')
    // Within a chain, keys are derived (and so numbered) walking forward: the store relies on it.
    let lastOfSender = lastN.get(k.sender)
    if (lastOfSender === undefined) lastN.set(k.sender, (lastOfSender = new Map()))
    if (k.n <= (lastOfSender.get(k.step) ?? -1)) throw bad('skipped keys of a chain out of order')
    lastOfSender.set(k.step, k.n)
    skipped.add({
      sender: k.sender,
      step: k.step,
      n: k.n,
      key: k.key,
      nonce: k.nonce,
      createdMs: num(k.createdMs, 'created'),
      seq,
    })
  }
  const send = r.send
  if (send === undefined) throw bad('missing send state')
  let prevVersion = 0
  for (const k of r.ownKeys) {
    if (k.version <= prevVersion) throw bad('own receive keys out of order')
    prevVersion = k.version
  }
  return {
    suite,
    view,
    groupId: r.groupId,
    epoch: r.epoch,
    ownLeaf: r.ownLeaf,
    leafWidth: r.leafWidth,
    createdMs: num(r.createdMs, 'created'),
    seeds,
    send: {
      chain: send.chain === undefined ? undefined : chainFrom(send.chain, nh, 'send chain'),
      chainStartedMs: num(send.chainStartedMs, 'chain start'),
      lastRekeyMs: num(send.lastRekeyMs, 'last rekey'),
      peerMessageSinceRekey: send.peerMessageSinceRekey,
      restored: send.restored,
      sentTotal: send.sentTotal,
    },
    receive,
    skipped,
    skippedSeq: num(r.skippedSeq, 'skipped seq'),
    buffered: r.buffered.map((b) => ({ sender: b.sender, step: b.step, n: b.n, message: b.message, receivedMs: num(b.receivedMs, 'received') })),
    ownKeys: r.ownKeys.map((k) => ({ version: k.version, privateKey: k.privateKey, publicKey: k.publicKey, createdMs: num(k.createdMs, 'created'), used: k.used })),
    leafKeyUsed: r.leafKeyUsed,
    sentSinceAnnounce: r.sentSinceAnnounce,
    lastAnnounceMs: num(r.lastAnnounceMs, 'last announce'),
    peerKeys: new Map(r.peerKeys.map((k) => [k.leaf, { leaf: k.leaf, version: k.version, publicKey: k.publicKey }])),
    sentRekeys: r.sentRekeys.map((x) => ({ step: x.step, frame: x.frame })),
    aadPrefixes: new Map(),
    aadScratch: new Map(),
  }
}
