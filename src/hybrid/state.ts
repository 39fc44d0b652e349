/**
 * The hybrid state of one epoch (HYBRID.md §3, §5, §6, §7): our send chain,
 * one receive chain per sender heard from, skipped message keys, messages
 * buffered while a rekey is missing, pairwise receive keys (ours and the
 * latest each peer announced), and the seed tree's frontier.
 *
 * Invariants kept by send.ts / receive.ts: every buffer here is live (a
 * consumed value is zeroed and removed in the same commit), and everything
 * is bounded by the policy (skipped keys per chain and per group, buffered
 * messages per sender, receive-key versions).
 */
import type { CipherSuite } from '../crypto/suite.js'
import { forgetPrivateKey } from '../crypto/index.js'
import { memzero } from '../crypto/sodium.js'
import { aadPrefix, writeAad, type AadFields } from './encoding.js'
import { hybridError } from './errors.js'
import { HYBRID_COMPONENT_ID, type HybridGroupView } from './group-view.js'
import { SeedTree } from './seed-tree.js'
import { SkippedKeys } from './skipped-store.js'

export interface Chain {
  step: number
  /** Next message number: CK below is CK[step, n]. */
  n: number
  rootKey: Uint8Array
  chainKey: Uint8Array
}

export interface SendState {
  chain: Chain | undefined
  chainStartedMs: number
  lastRekeyMs: number
  peerMessageSinceRekey: boolean
  restored: boolean
  sentTotal: number
}

export type { SkippedKey } from './skipped-store.js'

export interface BufferedMessage {
  readonly sender: number
  readonly step: number
  readonly n: number
  readonly message: Uint8Array
  readonly receivedMs: number
}

/** HRK[own, v] for v >= 1 (v = 0 is the MLS leaf key, owned by the tree). */
export interface OwnReceiveKey {
  readonly version: number
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly createdMs: number
  used: boolean
}

export interface PeerReceiveKey {
  readonly leaf: number
  readonly version: number
  readonly publicKey: Uint8Array
}

export interface EpochState {
  readonly suite: CipherSuite
  readonly view: HybridGroupView
  readonly groupId: Uint8Array
  readonly epoch: bigint
  readonly ownLeaf: number
  readonly leafWidth: number
  readonly createdMs: number
  seeds: SeedTree
  send: SendState
  receive: Map<number, Chain>
  skipped: SkippedKeys
  skippedSeq: number
  buffered: BufferedMessage[]
  ownKeys: OwnReceiveKey[]
  leafKeyUsed: boolean
  sentSinceAnnounce: number
  lastAnnounceMs: number
  peerKeys: Map<number, PeerReceiveKey>
  sentRekeys: { step: number; frame: Uint8Array }[]
  /** Not persisted: the per-sender AAD prefix ("HYB1 msg" || group_id<V> || epoch || sender). */
  aadPrefixes: Map<number, Uint8Array>
  /** Not persisted: per-sender AAD scratch buffers (prefix written once), see senderAad. */
  aadScratch: Map<number, Uint8Array>
}

/** The cached AAD prefix of `sender` in this epoch. */
export function senderAadPrefix(s: EpochState, sender: number): Uint8Array {
  let p = s.aadPrefixes.get(sender)
  if (p === undefined) {
    p = aadPrefix(s.groupId, s.epoch, sender)
    s.aadPrefixes.set(sender, p)
  }
  return p
}

/**
 * The AAD of one message of `sender` (§4), written into a per-sender scratch
 * buffer holding the prefix (no allocation per message). Valid until the next
 * call for the same sender: hand it only to a synchronous seal or open.
 */
export function senderAad(s: EpochState, sender: number, a: Omit<AadFields, 'groupId' | 'epoch' | 'senderLeaf'>): Uint8Array {
  const prefix = senderAadPrefix(s, sender)
  const size = prefix.length + 14 + a.reuseGuard.length + a.rekeyHash.length
  let buf = s.aadScratch.get(sender)
  if (buf === undefined || buf.length !== size) {
    buf = new Uint8Array(size)
    buf.set(prefix, 0)
    s.aadScratch.set(sender, buf)
  }
  return writeAad(buf, prefix, true, a)
}

/** Entering an epoch: E_e = SafeExportSecret(0xF001) seeds the seed tree and is owned by it from here on. */
export function newEpochState(view: HybridGroupView, nowMs: number): EpochState {
  checkView(view)
  const seed = view.safeExportSecret(HYBRID_COMPONENT_ID)
  let seeds: SeedTree
  try {
    seeds = SeedTree.fromEpochSeed(view.suite, view.leafWidth, seed)
  } catch (e) {
    memzero(seed)
    throw e
  }
  return {
    suite: view.suite,
    view,
    groupId: new Uint8Array(view.groupId), // a real copy: Buffer#slice would be a view the caller may change
    epoch: view.epoch,
    ownLeaf: view.ownLeaf,
    leafWidth: view.leafWidth,
    createdMs: nowMs,
    seeds,
    send: { chain: undefined, chainStartedMs: nowMs, lastRekeyMs: nowMs, peerMessageSinceRekey: false, restored: false, sentTotal: 0 },
    receive: new Map(),
    skipped: new SkippedKeys(),
    skippedSeq: 0,
    buffered: [],
    ownKeys: [],
    leafKeyUsed: false,
    sentSinceAnnounce: 0,
    lastAnnounceMs: nowMs,
    peerKeys: new Map(),
    sentRekeys: [],
    aadPrefixes: new Map(),
    aadScratch: new Map(),
  }
}

export function checkView(view: HybridGroupView): void {
  const w = view.leafWidth
  if (!Number.isInteger(w) || w < 1 || w > 1 << 30 || (w & (w - 1)) !== 0) throw hybridError('HYBRID_VIEW', `leaf width ${w} is not a power of two`)
  if (!Number.isInteger(view.ownLeaf) || view.ownLeaf < 0 || view.ownLeaf >= w || !view.isMember(view.ownLeaf)) {
    throw hybridError('HYBRID_VIEW', `own leaf ${view.ownLeaf} is not a member`)
  }
  if (view.groupId.length > 0xffff) throw hybridError('HYBRID_VIEW', 'group_id is too long')
}

export function zeroChain(c: Chain | undefined): void {
  if (c === undefined) return
  memzero(c.rootKey)
  memzero(c.chainKey)
}

/** Deletes a whole epoch's hybrid state (§7: epoch-grace expiry). */
export function zeroEpochState(s: EpochState): void {
  s.seeds.zeroize()
  zeroChain(s.send.chain)
  s.send.chain = undefined
  for (const c of s.receive.values()) zeroChain(c)
  s.receive.clear()
  for (const k of s.skipped.values()) {
    memzero(k.key)
    memzero(k.nonce)
  }
  s.skipped.clear()
  for (const k of s.ownKeys) {
    forgetPrivateKey(k.privateKey)
    memzero(k.privateKey)
  }
  s.ownKeys = []
  s.buffered = []
  s.sentRekeys = []
  s.peerKeys.clear()
}
