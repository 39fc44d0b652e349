/**
 * Receiving one HybridMessage from sender L in one epoch (HYBRID.md §3–§7).
 *
 * Order of work, so that every limit is enforced before any key is derived
 * (§6 "rejected before any derivation"):
 *   1. structural checks (message.ts) and the sender's membership;
 *   2. classification against L's receive chain (step k, next n):
 *        step < k, or step = k and n < next    -> a skipped key, or DUPLICATE / STALE_STEP
 *        step = k, n >= next (DATA)            -> forward; n - next <= maximum_forward_distance
 *        step = k+1, DATA_REKEY                -> root step; pn - next <= maximum_forward_distance
 *        anything further ahead                -> buffered (<= 64 per sender) until the rekey arrives
 *   3. rekeys: blob checked against the tree, our entry found, r opened (HPKE);
 *   4. derivations into fresh buffers, AEAD open.
 * Nothing touches the state before `apply()`; `discard()` zeroes what was
 * derived. A sender heard from for the first time gets chain 0 from the seed
 * tree (staged as well).
 */
import { memzero } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { HybridMessageType, type HybridMessage, type HybridRekeyMissing } from '../proto/hybrid.js'
import { findCopathEntry, COPATH_LABEL, type FoundEntry } from './copath.js'
import { encodePairwiseContext, encodeRekeyContext, messageRekeyBlob, rekeyHash, rekeyTargets } from './encoding.js'
import { hybridError } from './errors.js'
import { AEAD_TAG_BYTES, checkMessage, HYBRID_VERSION, REUSE_GUARD_BYTES } from './message.js'
import { findPairwiseEntry, PAIRWISE_LABEL } from './pairwise.js'
import type { HybridPolicy } from './policy.js'
import { applyReuseGuard, chainFromBase, nextChainKey, ratchetOpen, ratchetStep, rootStep } from './ratchet.js'
import type { StagedSeed } from './seed-tree.js'
import { addSkipped, deleteSkipped, expireSkippedSteps, lookupSkipped } from './skipped.js'
import type { SkippedKey } from './skipped-store.js'
import { senderAad, type Chain, type EpochState } from './state.js'

export type StagedReceive =
  | {
      readonly kind: 'plaintext'
      readonly plaintext: Uint8Array
      readonly step: number
      readonly n: number
      readonly rekeyed: boolean
      apply(): void
      discard(): void
    }
  | { readonly kind: 'buffered'; readonly request: HybridRekeyMissing; apply(): void; discard(): void }

/** What a receive derived, zeroed as a whole if the message is rejected. */
interface Derived {
  seed: StagedSeed | undefined
  skipped: { n: number; key: Uint8Array; nonce: Uint8Array }[]
  fresh: Uint8Array[]
}

function zeroDerived(d: Derived): void {
  d.seed?.discard()
  for (const b of d.fresh) memzero(b)
  for (const k of d.skipped) {
    memzero(k.key)
    memzero(k.nonce)
  }
}

/** Walks CK from `from` to `to`, keeping the last `keep` message keys; returns CK[k,to] (fresh unless to = from). */
function walk(s: EpochState, ck: Uint8Array, from: number, to: number, keep: number, d: Derived): Uint8Array {
  let cur = ck
  for (let i = from; i < to; i++) {
    let next: Uint8Array
    if (i >= to - keep) {
      const st = ratchetStep(s.suite, cur, i)
      d.skipped.push({ n: i, key: st.key, nonce: st.nonce })
      next = st.next
    } else next = nextChainKey(s.suite, cur, i)
    if (cur !== ck) memzero(cur)
    cur = next
  }
  if (cur !== ck) d.fresh.push(cur)
  return cur
}

/** The AEAD associated data of `m` from `sender` (§4), in the per-sender scratch buffer (a synchronous open only). */
function messageAad(s: EpochState, sender: number, m: HybridMessage): Uint8Array {
  return senderAad(s, sender, {
    version: m.version,
    type: m.type,
    step: m.step,
    n: m.n,
    pn: m.pn,
    reuseGuard: m.reuseGuard,
    rekeyHash: rekeyHash(s.suite, messageRekeyBlob(m)),
  })
}

function decryptError(sender: number, m: HybridMessage, cause: unknown): TalosError {
  return hybridError('HYBRID_DECRYPT', `message (${m.step}, ${m.n}) of leaf ${sender} does not decrypt`, cause)
}

/** Opens with a stored skipped key (the store keeps key and nonce; the reuse guard is applied to a copy). */
function openSkipped(s: EpochState, sender: number, m: HybridMessage, key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const aad = messageAad(s, sender, m)
  const aeadNonce = applyReuseGuard(nonce, m.reuseGuard)
  try {
    return s.suite.open(key, aeadNonce, aad, m.ciphertext)
  } catch (e) {
    throw decryptError(sender, m, e)
  } finally {
    memzero(aeadNonce)
  }
}

/**
 * A forward message (or the next rekey) as stageReceive classified it: what
 * the derivations and the stage need, in one object instead of ten arguments.
 */
interface Forward {
  readonly s: EpochState
  readonly policy: HybridPolicy
  readonly sender: number
  readonly m: HybridMessage
  readonly now: number
  /** The sender's chain; undefined if never heard from (chain 0 then comes from the seed tree). */
  readonly existing: Chain | undefined
  /** Its next message number (0 without a chain). */
  readonly next: number
  /** Where the walk goes: m.n, or pn on a rekey. */
  readonly skipTo: number
  readonly distance: number
}

/** A rekey's opened r with the RekeyContext of its root step and the pairwise key version it was opened with. */
interface OpenedRekey {
  readonly r: Uint8Array
  readonly context: Uint8Array
  readonly version: number | undefined
}

/**
 * Stages one received message. Synchronous (errors thrown, no microtask hop)
 * unless it is a rekey whose entry must be opened with HPKE: then a Promise.
 * HybridSession tries receiveNext (below) first: the next DATA message of a
 * known chain, done at once; everything else comes here, and the other cases
 * have their own functions.
 */
export function stageReceive(
  s: EpochState,
  policy: HybridPolicy,
  sender: number,
  m: HybridMessage,
  raw: Uint8Array,
  now: number,
): StagedReceive | Promise<StagedReceive> {
  checkMessage(m, s.view.memberCount)
  checkSender(s, sender, m)
  const existing = s.receive.get(sender)
  if (existing === undefined && !s.seeds.hasLeaf(sender)) throw hybridError('HYBRID_INVALID_STATE', `no chain and no base for leaf ${sender}`)
  const k = existing === undefined ? 0 : existing.step
  const next = existing === undefined ? 0 : existing.n
  const isRekey = m.type === HybridMessageType.DATA_REKEY
  // Old messages: a stored skipped key or nothing.
  if (m.step < k || (m.step === k && (isRekey || m.n < next))) return stageOld(s, policy, sender, m, k, now)
  // Ahead of the next rekey: buffer, ask for the rekey.
  if (m.step > k + 1 || (m.step === k + 1 && !isRekey)) return stageBuffered(s, policy, sender, m, raw, k, now)
  // Forward in the current chain, or the next rekey.
  const skipTo = isRekey ? m.pn : m.n
  const distance = Math.max(0, skipTo - next)
  if (distance > policy.maxForwardDistance) throw tooFarAhead(sender, distance, policy)
  const f: Forward = { s, policy, sender, m, now, existing, next, skipTo, distance }
  if (isRekey) return openRekeyThenStage(f)
  return stageDerived(f, undefined, { seed: undefined, skipped: [], fresh: [] })
}

/**
 * The per-message case done at once: the next DATA message (step = k, n =
 * next) of a sender whose chain exists in this epoch, without an
 * announcement. It derives and changes exactly what stageReceive followed
 * by apply() would (no walk, no skipped keys, no seed, no rekey), with fewer
 * objects and calls; undefined, before any derivation, for anything else,
 * which then takes the general path. The existing chain stands in for the
 * membership check: a chain exists only for a sender already accepted as a
 * member of this epoch, and membership does not change within an epoch.
 * Throws HYBRID_DECRYPT (state unchanged) if the message does not open.
 * Measured in bench/hybrid's interleaved loop (same-process A/B of the two
 * source trees), it took 0.6-0.9 µs off a receive next to MLS operations.
 * test/hybrid/fast-path.test.ts holds it to the general path's outcome and
 * state on random delivery schedules.
 */
export function receiveNext(s: EpochState, sender: number, m: HybridMessage): Uint8Array | undefined {
  if (m.type !== HybridMessageType.DATA || m.announcement !== undefined || m.version !== HYBRID_VERSION) return undefined
  if (m.reuseGuard.length !== REUSE_GUARD_BYTES || m.ciphertext.length < AEAD_TAG_BYTES || m.pn !== 0 || m.copath.length + m.pairwise.length !== 0) return undefined
  if (sender === s.ownLeaf) return undefined
  const chain = s.receive.get(sender)
  if (chain === undefined || m.step !== chain.step || m.n !== chain.n) return undefined
  const aad = messageAad(s, sender, m)
  let opened: { plaintext: Uint8Array; next: Uint8Array }
  try {
    opened = ratchetOpen(s.suite, chain.chainKey, m.n, m.reuseGuard, aad, m.ciphertext)
  } catch (e) {
    throw decryptError(sender, m, e)
  }
  // As ForwardStage.apply: CK[k,n] is consumed (key/nonce[k,n] never left the suite), CK[k,n+1] kept.
  memzero(chain.chainKey)
  s.receive.set(sender, { step: m.step, n: m.n + 1, rootKey: chain.rootKey, chainKey: opened.next })
  s.send.peerMessageSinceRekey = true
  return opened.plaintext
}

function checkSender(s: EpochState, sender: number, m: HybridMessage): void {
  if (!Number.isInteger(sender) || sender < 0 || sender >= s.leafWidth || sender === s.ownLeaf || !s.view.isMember(sender)) {
    throw hybridError('HYBRID_UNKNOWN_SENDER', `leaf ${sender} is not another member of epoch ${s.epoch}`)
  }
  if (m.announcement !== undefined && m.announcement.publicKey.length !== s.view.encryptionKey(2 * sender).length) {
    throw hybridError('HYBRID_MALFORMED', 'announced receive key has the wrong length for the suite')
  }
}

function tooFarAhead(sender: number, distance: number, policy: HybridPolicy): TalosError {
  return hybridError('HYBRID_TOO_FAR_AHEAD', `message is ${distance} ahead of leaf ${sender}'s chain (limit ${policy.maxForwardDistance})`)
}

/** An old message (chain k's past, or an older chain): opened with its stored skipped key, else refused. */
function stageOld(s: EpochState, policy: HybridPolicy, sender: number, m: HybridMessage, k: number, now: number): StagedReceive {
  const sk = m.type === HybridMessageType.DATA_REKEY ? undefined : lookupSkipped(s, policy, sender, m.step, m.n, now)
  if (sk === undefined) {
    if (k - m.step >= policy.skippedKeyMaxSteps) throw hybridError('HYBRID_STALE_STEP', `chain ${m.step} of leaf ${sender} is no longer kept`)
    throw hybridError('HYBRID_DUPLICATE', `message (${m.step}, ${m.n}) of leaf ${sender} was already received or its key is gone`)
  }
  const plaintext = openSkipped(s, sender, m, sk.key, sk.nonce)
  return new SkippedStage(s, sender, m, sk, plaintext)
}

/** A message beyond the next rekey: kept (a copy) until the rekey arrives, within the buffer limits. */
function stageBuffered(s: EpochState, policy: HybridPolicy, sender: number, m: HybridMessage, raw: Uint8Array, k: number, now: number): StagedReceive {
  if (m.n > policy.maxForwardDistance) throw hybridError('HYBRID_TOO_FAR_AHEAD', `n = ${m.n} is beyond the forward limit of a new chain`)
  const mine = s.buffered.filter((b) => b.sender === sender)
  if (mine.some((b) => b.step === m.step && b.n === m.n)) throw hybridError('HYBRID_DUPLICATE', `message (${m.step}, ${m.n}) is already buffered`)
  if (mine.length >= policy.maxBufferedPerSender || raw.length > policy.maxBufferedMessageBytes) {
    throw hybridError('HYBRID_BUFFER_FULL', `${mine.length} messages of leaf ${sender} already wait for a rekey`)
  }
  const copy = new Uint8Array(raw) // a real copy: raw may be a reused Node Buffer (whose slice() is a view)
  return {
    kind: 'buffered',
    request: { senderLeaf: sender, step: k + 1 },
    apply: () => {
      s.buffered.push({ sender, step: m.step, n: m.n, message: copy, receivedMs: now })
    },
    discard: () => {},
  }
}

/**
 * The next rekey: our entry is found (synchronously, so a blob without one
 * is refused before any await), then r is opened with HPKE.
 */
function openRekeyThenStage(f: Forward): Promise<StagedReceive> {
  const { s, policy, sender, m, now } = f
  const t = rekeyTargets(m)!
  const entry: FoundEntry & { version?: number } =
    t.mode === 'copath' ? findCopathEntry(s.view, sender, t.entries) : findPairwiseEntry(s, sender, t.entries, policy, now)
  const context = encodeRekeyContext({ groupId: s.groupId, epoch: s.epoch, senderLeaf: sender, step: m.step, pn: m.pn })
  const [label, ctx] = t.mode === 'copath' ? [COPATH_LABEL, context] : [PAIRWISE_LABEL, encodePairwiseContext(context, s.ownLeaf, entry.version!)]
  return openRekey(f, entry, label, ctx, context)
}

async function openRekey(f: Forward, entry: FoundEntry & { version?: number }, label: string, ctx: Uint8Array, context: Uint8Array): Promise<StagedReceive> {
  const { s, sender } = f
  let r: Uint8Array
  try {
    r = await s.suite.decryptWithLabel(entry.privateKey, label, ctx, entry.kemOutput, entry.ciphertext)
  } catch (e) {
    throw hybridError('HYBRID_REKEY_DECRYPT', `our rekey entry from leaf ${sender} does not open`, e instanceof TalosError ? e : undefined)
  }
  if (r.length !== s.suite.Nh) {
    memzero(r)
    throw hybridError('HYBRID_REKEY_DECRYPT', 'rekey secret has the wrong length')
  }
  return stageDerived(f, { r, context, version: entry.version }, { seed: undefined, skipped: [], fresh: [r] })
}

/** Derivations and the AEAD open; `rekey` holds the opened r. Zeroes `d` on failure. */
function stageDerived(f: Forward, rekey: OpenedRekey | undefined, d: Derived): StagedReceive {
  const { s, sender, m } = f
  try {
    const chain = f.existing ?? chainZero(s, sender, d)
    const keep = Math.min(f.distance, f.policy.maxSkippedPerChain)
    const ckAt = walk(s, chain.chainKey, f.next, Math.max(f.next, f.skipTo), keep, d)
    let msgChainKey = ckAt
    let newRoot = chain.rootKey
    if (rekey !== undefined) {
      const stepped = rootStep(s.suite, chain.rootKey, rekey.r, rekey.context)
      memzero(rekey.r) // §7: r and prk are gone as soon as RK[k+1], CK[k+1,0] exist
      d.fresh.push(stepped.rootKey, stepped.chainKey)
      msgChainKey = stepped.chainKey
      newRoot = stepped.rootKey
    }
    // key[k,n] and nonce[k,n] are consumed inside the suite; CK[k,n+1] is staged.
    const aad = messageAad(s, sender, m)
    let opened: { plaintext: Uint8Array; next: Uint8Array }
    try {
      opened = ratchetOpen(s.suite, msgChainKey, m.n, m.reuseGuard, aad, m.ciphertext)
    } catch (e) {
      throw decryptError(sender, m, e)
    }
    d.fresh.push(opened.next)
    return new ForwardStage(f, opened.plaintext, d, chain, ckAt, msgChainKey, newRoot, opened.next, rekey?.version)
  } catch (e) {
    zeroDerived(d)
    throw e
  }
}

/** Chain 0 of a sender heard from for the first time, from the seed tree (staged in `d`; base[L] zeroed at once). */
function chainZero(s: EpochState, sender: number, d: Derived): Chain {
  d.seed = s.seeds.stage(sender)
  if (d.seed === undefined) throw hybridError('HYBRID_INVALID_STATE', `base of leaf ${sender} already consumed`)
  const c0 = chainFromBase(s.suite, d.seed.base)
  memzero(d.seed.base)
  d.fresh.push(c0.rootKey, c0.chainKey)
  return { step: 0, n: 0, rootKey: c0.rootKey, chainKey: c0.chainKey }
}

/** A decrypted message whose key came from the skipped store (a class, not closures: per message). */
class SkippedStage {
  readonly kind = 'plaintext'
  readonly rekeyed = false
  private done = false

  constructor(
    private readonly s: EpochState,
    private readonly sender: number,
    private readonly m: HybridMessage,
    private readonly key: SkippedKey,
    readonly plaintext: Uint8Array,
  ) {}

  get step(): number {
    return this.m.step
  }

  get n(): number {
    return this.m.n
  }

  apply(): void {
    if (this.done) throw hybridError('HYBRID_INVALID_STATE', 'receive stage applied twice')
    this.done = true
    deleteSkipped(this.s, this.key)
    this.s.send.peerMessageSinceRekey = true
    noteAnnouncement(this.s, this.sender, this.m)
  }

  discard(): void {
    this.done = true
  }
}

/** A decrypted message of the current chain or of the next one (a rekey): the per-message case. */
class ForwardStage {
  readonly kind = 'plaintext'
  private done = false

  constructor(
    private readonly f: Forward,
    readonly plaintext: Uint8Array,
    private readonly d: Derived,
    /** The chain the message was classified against (CK[k,next], RK[k]). */
    private readonly oldChain: Chain,
    /** CK[k,skipTo] after the walk (oldChain.chainKey itself if nothing was skipped). */
    private readonly ckAt: Uint8Array,
    /** The chain key the message was derived from (ckAt, or CK[k+1,0] on a rekey). */
    private readonly msgChainKey: Uint8Array,
    private readonly newRoot: Uint8Array,
    /** CK[k,n+1] (of the message's chain). */
    private readonly next: Uint8Array,
    /** The pairwise receive-key version a rekey was opened with. */
    private readonly keyVersion: number | undefined,
  ) {}

  get step(): number {
    return this.f.m.step
  }

  get n(): number {
    return this.f.m.n
  }

  get rekeyed(): boolean {
    return this.f.m.type === HybridMessageType.DATA_REKEY
  }

  apply(): void {
    if (this.done) throw hybridError('HYBRID_INVALID_STATE', 'receive stage applied twice')
    this.done = true
    const { s, policy, sender, m, now } = this.f
    const oldChain = this.oldChain
    const isRekey = this.rekeyed
    this.d.seed?.apply()
    // What this message consumed (§7): the chain keys walked through and CK[k,n] (key/nonce[k,n]
    // never left the suite); on a rekey also RK[k] and CK[k+1,0]. Some of these are the same
    // buffer: zeroing twice is harmless.
    memzero(oldChain.chainKey)
    memzero(this.ckAt)
    memzero(this.msgChainKey)
    if (isRekey) memzero(oldChain.rootKey)
    s.receive.set(sender, { step: m.step, n: m.n + 1, rootKey: this.newRoot, chainKey: this.next })
    if (this.d.skipped.length > 0) addSkipped(s, policy, sender, oldChain.step, this.d.skipped, now)
    if (isRekey) appliedRekey(s, policy, sender, m.step, this.keyVersion)
    s.send.peerMessageSinceRekey = true
    if (m.announcement !== undefined) noteAnnouncement(s, sender, m)
  }

  discard(): void {
    if (this.done) return
    this.done = true
    zeroDerived(this.d)
  }
}

/** What a rekey ends besides the old chain: skipped keys of chains 2 steps behind (§6), and marks the receive key it used. */
function appliedRekey(s: EpochState, policy: HybridPolicy, sender: number, step: number, keyVersion: number | undefined): void {
  expireSkippedSteps(s, policy, sender, step)
  if (keyVersion !== undefined) markUsed(s, keyVersion)
}

function markUsed(s: EpochState, version: number): void {
  if (version === 0) s.leafKeyUsed = true
  const k = s.ownKeys.find((x) => x.version === version)
  if (k !== undefined) k.used = true
}

function noteAnnouncement(s: EpochState, sender: number, m: HybridMessage): void {
  const a = m.announcement
  if (a === undefined) return
  const known = s.peerKeys.get(sender)?.version ?? 0
  if (a.version > known) s.peerKeys.set(sender, { leaf: sender, version: a.version, publicKey: a.publicKey.slice() })
}
