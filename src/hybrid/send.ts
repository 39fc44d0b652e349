/**
 * Sending (HYBRID.md §3, §4, §5, §6): picks the chain (rekeying when the
 * policy says so), derives key/nonce, seals, and frames a HybridMessage.
 *
 * Staged like receiving: everything is computed into fresh buffers and the
 * state changes only in `apply()`, which also zeroes what the message
 * consumed (§7): CK[k,n] and key/nonce[k,n] after encrypting; on a rekey r,
 * prk (inside rootStep), RK[k] and CK[k,*]. A seal that fails (say, a bad
 * public key in the tree) leaves the state as it was.
 */
import { memzero } from '../crypto/sodium.js'
import { HybridMessageType, type HybridKeyAnnouncement } from '../proto/hybrid.js'
import { sealCopath } from './copath.js'
import type { HybridDeps } from './deps.js'
import { encodeRekeyContext, messageRekeyBlob, rekeyHash, type RekeyTargets } from './encoding.js'
import { layoutDataFrame, layoutMessageFrame } from './frame-writer.js'
import { AEAD_TAG_BYTES, HYBRID_VERSION, REUSE_GUARD_BYTES } from './message.js'
import { sealPairwise } from './pairwise.js'
import { effectiveMode, type HybridPolicy } from './policy.js'
import { chainFromBase, ratchetSealInto, rootStep } from './ratchet.js'
import { announceDue, announcementOf, deleteOwnKey, newOwnKey, pruneOwnKeys } from './receive-keys.js'
import type { StagedSeed } from './seed-tree.js'
import { senderAad, zeroChain, type Chain, type EpochState, type OwnReceiveKey } from './state.js'
import { hybridError } from './errors.js'

export interface StagedSend {
  readonly frame: Uint8Array
  readonly step: number
  readonly n: number
  readonly rekeyed: boolean
  apply(): void
  discard(): void
}

/** Whether the next send must start a new chain (§6). */
export function rekeyDue(s: EpochState, policy: HybridPolicy, now: number): boolean {
  const st = s.send
  if (st.restored) return true // a restore rekey is never held back: the old chain may already have been used
  const c = st.chain
  if (c !== undefined && c.n >= 0xffffffff) return true
  // The epoch start counts as a rekey for the rate limit: chain 0 is fresh.
  if (now - st.lastRekeyMs < policy.minRekeyIntervalMs) return false
  const pingPong = st.peerMessageSinceRekey && s.view.memberCount <= policy.pingPongMaxMembers
  const n = c === undefined ? 0 : c.n
  return pingPong || n >= policy.rekeyAfterMessages || now - st.chainStartedMs >= policy.rekeyAfterMs
}

/**
 * Stages one send. Synchronous (no await, no microtask hop) for the common
 * DATA message of an existing or first chain with nothing to announce; a
 * Promise only when the message rekeys or announces a receive key (HPKE).
 * `now`: the caller's clock reading when it has one (the session reads it once per send).
 */
export function stageSend(
  s: EpochState,
  policy: HybridPolicy,
  deps: HybridDeps,
  plaintext: Uint8Array,
  now = deps.now(),
): StagedSend | Promise<StagedSend> {
  const pairwise = effectiveMode(policy, s.view.memberCount) === 'pairwise'
  if (!rekeyDue(s, policy, now) && !(pairwise && announceDue(s, policy, now))) return stageSendWith(s, policy, deps, plaintext, now, undefined)
  return stageSendAsync(s, policy, deps, plaintext, now)
}

/**
 * The per-message case done at once: a DATA message in the existing send
 * chain, when no rekey and no announcement is due. It derives, frames and
 * changes exactly what stageSend followed by apply() would for that case,
 * with fewer objects and calls; undefined, before anything is drawn or
 * derived, for anything else, which then takes stageSend. A seal that fails
 * leaves the state as it was. test/hybrid/fast-path.test.ts holds it to
 * stageSend + apply (frames and serialized state) on random schedules.
 */
export function sendNext(s: EpochState, policy: HybridPolicy, deps: HybridDeps, plaintext: Uint8Array, now: number): Uint8Array | undefined {
  const chain = s.send.chain
  if (chain === undefined || rekeyDue(s, policy, now)) return undefined
  if (effectiveMode(policy, s.view.memberCount) === 'pairwise' && announceDue(s, policy, now)) return undefined
  const n = chain.n
  const reuseGuard = deps.rng(REUSE_GUARD_BYTES)
  const aad = senderAad(s, s.ownLeaf, {
    version: HYBRID_VERSION,
    type: HybridMessageType.DATA,
    step: chain.step,
    n,
    pn: 0,
    reuseGuard,
    rekeyHash: rekeyHash(s.suite, undefined),
  })
  const { frame, ciphertextOffset } = layoutDataFrame(chain.step, n, reuseGuard, plaintext.length + AEAD_TAG_BYTES)
  const nextCk = ratchetSealInto(s.suite, chain.chainKey, n, reuseGuard, aad, plaintext, frame, ciphertextOffset)
  // As Staged.apply: CK[k,n] is consumed (key/nonce[k,n] never left the suite), CK[k,n+1] kept.
  memzero(chain.chainKey)
  s.send.chain = { step: chain.step, n: n + 1, rootKey: chain.rootKey, chainKey: nextCk }
  s.send.sentTotal++
  s.sentSinceAnnounce++
  return frame
}

/** What the asynchronous part of a send prepared: the rekey (r already consumed) and/or a new receive key. */
interface Prepared {
  readonly chain: Chain
  readonly seed: StagedSeed | undefined
  readonly fresh: Uint8Array[]
  readonly msgChain: Chain
  readonly rekey: boolean
  readonly pn: number
  readonly rekeyTargets: RekeyTargets | undefined
  readonly newKey: OwnReceiveKey | undefined
}

/** Chain 0 from the seed tree on first use (base[L] is deleted right after, §7). */
function currentChain(s: EpochState, fresh: Uint8Array[]): { chain: Chain; seed: StagedSeed | undefined } {
  const chain = s.send.chain
  if (chain !== undefined) return { chain, seed: undefined }
  const seed = s.seeds.stage(s.ownLeaf)
  if (seed === undefined) throw hybridError('HYBRID_INVALID_STATE', 'our base secret was consumed but we have no send chain')
  const c0 = chainFromBase(s.suite, seed.base)
  memzero(seed.base) // §7: base[L] is deleted at the first use of L's chain
  fresh.push(c0.rootKey, c0.chainKey)
  return { chain: { step: 0, n: 0, rootKey: c0.rootKey, chainKey: c0.chainKey }, seed }
}

async function stageSendAsync(s: EpochState, policy: HybridPolicy, deps: HybridDeps, plaintext: Uint8Array, now: number): Promise<StagedSend> {
  const suite = s.suite
  const fresh: Uint8Array[] = [] // new secrets: zeroed on discard
  let seed: StagedSeed | undefined
  let newKey: OwnReceiveKey | undefined
  let prepared: Prepared
  try {
    const cur = currentChain(s, fresh)
    seed = cur.seed
    const chain = cur.chain
    const rekey = rekeyDue(s, policy, now)
    let msgChain = chain
    let pn = 0
    let rekeyTargets: RekeyTargets | undefined
    if (rekey) {
      if (chain.step >= 0xffffffff) throw hybridError('HYBRID_INVALID_STATE', 'step counter exhausted: a new epoch is needed')
      pn = chain.n
      const step = chain.step + 1
      const ctx = encodeRekeyContext({ groupId: s.groupId, epoch: s.epoch, senderLeaf: s.ownLeaf, step, pn })
      const r = deps.rng(suite.Nh)
      fresh.push(r)
      rekeyTargets =
        effectiveMode(policy, s.view.memberCount) === 'copath'
          ? { mode: 'copath', entries: await sealCopath(s.view, deps, s.ownLeaf, ctx, r) }
          : { mode: 'pairwise', entries: await sealPairwise(s, deps, ctx, r) }
      const next = rootStep(suite, chain.rootKey, r, ctx)
      memzero(r) // §7: r is deleted right after RK[k+1], CK[k+1,0] exist
      fresh.push(next.rootKey, next.chainKey)
      msgChain = { step, n: 0, rootKey: next.rootKey, chainKey: next.chainKey }
    }
    if (effectiveMode(policy, s.view.memberCount) === 'pairwise' && announceDue(s, policy, now)) {
      newKey = await newOwnKey(s, deps, now)
    }
    prepared = { chain, seed, fresh, msgChain, rekey, pn, rekeyTargets, newKey }
  } catch (e) {
    seed?.discard()
    for (const b of fresh) memzero(b)
    if (newKey !== undefined) deleteOwnKey(newKey)
    throw e
  }
  // From here stageSendWith owns (and on failure zeroes) what was prepared.
  return stageSendWith(s, policy, deps, plaintext, now, prepared)
}

const NO_ENTRIES: readonly never[] = Object.freeze([])

/** Seals and frames the message; `prep` is undefined for a plain DATA message (then chain 0 may be derived here). */
function stageSendWith(
  s: EpochState,
  policy: HybridPolicy,
  deps: HybridDeps,
  plaintext: Uint8Array,
  now: number,
  prep: Prepared | undefined,
): StagedSend {
  const suite = s.suite
  const fresh: Uint8Array[] = prep?.fresh ?? [] // new secrets: zeroed on discard
  let seed: StagedSeed | undefined = prep?.seed
  const newKey = prep?.newKey
  try {
    let chain: Chain
    if (prep === undefined) {
      const cur = currentChain(s, fresh)
      seed = cur.seed
      chain = cur.chain
    } else chain = prep.chain
    const rekey = prep?.rekey ?? false
    const msgChain = prep?.msgChain ?? chain
    const type = rekey ? HybridMessageType.DATA_REKEY : HybridMessageType.DATA
    const pn = prep?.pn ?? 0
    const targets = prep?.rekeyTargets
    const announcement: HybridKeyAnnouncement | undefined = newKey === undefined ? undefined : announcementOf(newKey)
    const n = msgChain.n
    const reuseGuard = deps.rng(REUSE_GUARD_BYTES)
    const copath = targets?.mode === 'copath' ? targets.entries : NO_ENTRIES
    const pairwise = targets?.mode === 'pairwise' ? targets.entries : NO_ENTRIES
    // The blob exactly as receivers read it back from the frame (a rekey without entries, a sole
    // member's, is a copath one whatever the mode), so the AAD of both sides agree by construction.
    const blob = messageRekeyBlob({ type, copath, pairwise, announcement })
    const aad = senderAad(s, s.ownLeaf, {
      version: HYBRID_VERSION,
      type,
      step: msgChain.step,
      n,
      pn,
      reuseGuard,
      rekeyHash: rekeyHash(suite, blob),
    })
    // The frame is laid out first and the AEAD writes the ciphertext straight into it (no copy).
    const { frame, ciphertextOffset } =
      type === HybridMessageType.DATA && announcement === undefined
        ? layoutDataFrame(msgChain.step, n, reuseGuard, plaintext.length + AEAD_TAG_BYTES)
        : layoutMessageFrame(
            {
              version: HYBRID_VERSION,
              type,
              step: msgChain.step,
              n,
              pn,
              reuseGuard,
              announcement,
              copath,
              pairwise,
            },
            plaintext.length + AEAD_TAG_BYTES,
          )
    // key[k,n] and nonce[k,n] XOR (reuse_guard || zeros) seal inside the suite and are gone; CK[k,n+1] is staged.
    const nextCk = ratchetSealInto(suite, msgChain.chainKey, n, reuseGuard, aad, plaintext, frame, ciphertextOffset)
    fresh.push(nextCk)
    return new Staged(s, policy, now, frame, chain, s.send.chain === undefined, msgChain, n, nextCk, rekey, seed, fresh, newKey)
  } catch (e) {
    seed?.discard()
    for (const b of fresh) memzero(b)
    if (newKey !== undefined) deleteOwnKey(newKey)
    throw e
  }
}

/** A staged send (a class, not closures: one per message on the hot path). */
class Staged implements StagedSend {
  private done = false

  constructor(
    private readonly s: EpochState,
    private readonly policy: HybridPolicy,
    private readonly now: number,
    readonly frame: Uint8Array,
    /** The chain the message started from (the old one on a rekey). */
    private readonly chain: Chain,
    /** No send chain existed before (chain 0 derived by this send). */
    private readonly firstChain: boolean,
    /** The chain the message was sealed in. */
    private readonly msgChain: Chain,
    readonly n: number,
    private readonly nextCk: Uint8Array,
    readonly rekeyed: boolean,
    private readonly seed: StagedSeed | undefined,
    private readonly fresh: Uint8Array[],
    private readonly newKey: OwnReceiveKey | undefined,
  ) {}

  get step(): number {
    return this.msgChain.step
  }

  apply(): void {
    if (this.done) throw hybridError('HYBRID_INVALID_STATE', 'send stage applied twice')
    this.done = true
    const { s, policy, now, msgChain, newKey } = this
    this.seed?.apply()
    // What this message consumed (§7): CK[k,n] (the chain key it was sealed under); on a rekey
    // also the whole old chain (RK[k], CK[k,*]). Its key/nonce never left the suite (ratchetSealInto).
    memzero(msgChain.chainKey)
    if (this.rekeyed) this.applyRekey()
    else if (this.firstChain) s.send.chainStartedMs = now
    s.send.chain = { step: msgChain.step, n: this.n + 1, rootKey: msgChain.rootKey, chainKey: this.nextCk }
    s.send.sentTotal++
    s.sentSinceAnnounce++
    // The version bound (§5: at most 5) can only be crossed here; the age bound (7 days) is
    // HybridSession's housekeeping's, and ownPrivateKey refuses an expired key before that.
    if (newKey !== undefined) {
      this.applyNewKey(newKey)
      pruneOwnKeys(s, policy, now)
    }
  }

  /** A rekey ends the whole old chain (RK[k], CK[k,*]) and restarts the rekey clocks; its frame is kept for resends. */
  private applyRekey(): void {
    const { s, now } = this
    zeroChain(this.chain)
    s.send.lastRekeyMs = now
    s.send.chainStartedMs = now
    s.send.peerMessageSinceRekey = false
    s.send.restored = false
    s.sentRekeys.push({ step: this.msgChain.step, frame: this.frame })
    while (s.sentRekeys.length > this.policy.keptRekeys) s.sentRekeys.shift()
  }

  private applyNewKey(newKey: OwnReceiveKey): void {
    const s = this.s
    s.ownKeys.push(newKey)
    s.sentSinceAnnounce = 0
    s.lastAnnounceMs = this.now
  }

  discard(): void {
    if (this.done) return
    this.done = true
    this.seed?.discard()
    for (const b of this.fresh) memzero(b)
    if (this.newKey !== undefined) deleteOwnKey(this.newKey)
  }
}
