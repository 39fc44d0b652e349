/**
 * HybridSession: one member's hybrid layer for one group across epochs
 * (HYBRID.md §2–§7). The MLS group calls it:
 *
 *   enterEpoch(view)                   on every new epoch (create, Welcome, external join, Commit)
 *   encrypt(plaintext) -> frame        the frame goes out as MLS application_data
 *   receive(senderLeaf, epoch, frame)  with the sender and epoch of the authenticated outer layer
 *   serialize() / HybridSession.restore(...)   persistence; a restore forces a rekey on the next send
 *
 * Operations are serialized (one at a time, in call order): staging across
 * the HPKE awaits relies on nobody else touching the state meanwhile.
 * The previous epoch stays usable for at most `epochGraceEpochs` (1) epoch and
 * `epochGraceMs` (10 min), then is zeroed (§6, §7).
 */
import { TalosError } from '../errors.js'
import { HybridMessageType, type HybridRekeyMissing } from '../proto/hybrid.js'
import { resolveDeps, type HybridDeps } from './deps.js'
import { hybridError } from './errors.js'
import type { HybridGroupView } from './group-view.js'
import { decodeFrame, encodeRekeyMissingFrame } from './message.js'
import { resolvePolicy, type HybridPolicy } from './policy.js'
import { receiveNext, stageReceive, type StagedReceive } from './receive.js'
import { sendNext, stageSend } from './send.js'
import { pruneOwnKeys } from './receive-keys.js'
import { expireSkipped } from './skipped.js'
import { decodeStateRecord, encodeState, epochFromRecord } from './state-codec.js'
import { newEpochState, zeroEpochState, type EpochState } from './state.js'

export interface HybridOptions {
  readonly policy?: Partial<HybridPolicy>
  readonly deps?: Partial<HybridDeps>
}

export interface ReceivedMessage {
  readonly epoch: bigint
  readonly sender: number
  readonly step: number
  readonly n: number
  readonly rekeyed: boolean
  readonly plaintext: Uint8Array
}

export type ReceiveResult =
  /** Decrypted: the message itself and any buffered messages it unlocked, in order. `dropped`: buffered ones that failed. */
  | { readonly kind: 'messages'; readonly messages: ReceivedMessage[]; readonly dropped: number }
  /** Held until the sender's missing rekey arrives; send `request` (a rekey_missing frame) to the group. */
  | { readonly kind: 'buffered'; readonly request: Uint8Array }
  /** Someone asks for `forLeaf`'s rekey of chain `step`; `resend` is the kept frame if we are that leaf and still have it. */
  | { readonly kind: 'rekey-request'; readonly forLeaf: number; readonly step: number; readonly resend: Uint8Array | undefined }

export class HybridSession {
  private queue: Promise<unknown> = Promise.resolve()
  /** Operations queued and not yet settled. */
  private busy = 0
  private lastExpiryMs = -Infinity

  private constructor(
    readonly policy: HybridPolicy,
    private readonly deps: HybridDeps,
    private current: EpochState,
    private previous: EpochState | undefined,
    private previousRetiredMs: number,
  ) {}

  /** Enters the view's epoch (takes SafeExportSecret(0xF001) from it). */
  static create(view: HybridGroupView, options: HybridOptions = {}): HybridSession {
    const policy = resolvePolicy(options.policy)
    const deps = resolveDeps(options.deps)
    return new HybridSession(policy, deps, newEpochState(view, deps.now()), undefined, 0)
  }

  /** Restores a serialized state; the next send rekeys (§6, "first send after a state restore"). */
  static restore(bytes: Uint8Array, views: { current: HybridGroupView; previous?: HybridGroupView }, options: HybridOptions = {}): HybridSession {
    const policy = resolvePolicy(options.policy)
    const deps = resolveDeps(options.deps)
    const rec = decodeStateRecord(bytes)
    const current = epochFromRecord(rec.current!, views.current)
    current.send.restored = true
    let previous: EpochState | undefined
    if (rec.previous !== undefined && views.previous !== undefined) {
      previous = epochFromRecord(rec.previous, views.previous)
      previous.send.restored = true
    }
    return new HybridSession(policy, deps, current, previous, Number(rec.previousRetiredMs))
  }

  get epoch(): bigint {
    return this.current.epoch
  }

  /** The state as bytes (what `restore` takes). Use for persistence and snapshots. */
  serialize(): Uint8Array {
    return encodeState(this.current, this.previous, this.previousRetiredMs)
  }

  private run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.busy++
    const p = this.queue.then(fn, fn)
    this.queue = p.then(
      () => {
        this.busy--
      },
      () => {
        this.busy--
      },
    )
    return p
  }

  /**
   * The result of an operation that ran at once because nothing was queued
   * (the common case: a plain DATA message, done without a microtask hop).
   * If it went asynchronous (HPKE for a rekey), the rest of it is queued, so
   * operations called meanwhile still wait for it. encrypt and receive call
   * their synchronous part directly (no closure per message) and this after.
   */
  private settleNow<T>(r: T | Promise<T>): Promise<T> {
    if (r instanceof Promise) return this.run(() => r)
    return Promise.resolve(r)
  }

  /** A new epoch: the current one becomes the previous (kept for the grace), the older one is zeroed. */
  enterEpoch(view: HybridGroupView): Promise<void> {
    return this.run(async () => {
      if (view.epoch <= this.current.epoch) throw hybridError('HYBRID_VIEW', `epoch ${view.epoch} is not after ${this.current.epoch}`)
      const now = this.deps.now()
      const next = newEpochState(view, now)
      if (this.previous !== undefined) zeroEpochState(this.previous)
      if (this.policy.epochGraceEpochs >= 1) {
        this.previous = this.current
        this.previousRetiredMs = now
      } else {
        zeroEpochState(this.current)
        this.previous = undefined
      }
      this.current = next
    })
  }

  encrypt(plaintext: Uint8Array): Promise<Uint8Array> {
    // A string or an array would be copied into the AEAD input as whatever bytes it coerces to.
    if (!(plaintext instanceof Uint8Array)) return Promise.reject(hybridError('HYBRID_INVALID_ARGUMENT', 'encrypt takes a Uint8Array'))
    if (this.busy > 0) return this.run(() => this.encryptNow(plaintext))
    try {
      return this.settleNow(this.encryptNow(plaintext))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  private encryptNow(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const now = this.deps.now()
    this.housekeeping(now)
    const frame = sendNext(this.current, this.policy, this.deps, plaintext, now)
    if (frame !== undefined) return frame
    const staged = stageSend(this.current, this.policy, this.deps, plaintext, now)
    if (staged instanceof Promise) {
      return staged.then((st) => {
        st.apply()
        return st.frame
      })
    }
    staged.apply()
    return staged.frame
  }

  /** Processes a frame from `senderLeaf` in `epoch` (both from the authenticated MLS layer). */
  receive(senderLeaf: number, epoch: bigint, frame: Uint8Array): Promise<ReceiveResult> {
    if (this.busy > 0) return this.run(() => this.receiveNow(senderLeaf, epoch, frame))
    try {
      return this.settleNow(this.receiveNow(senderLeaf, epoch, frame))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  private receiveNow(senderLeaf: number, epoch: bigint, frame: Uint8Array): ReceiveResult | Promise<ReceiveResult> {
    // Views into `frame` for a DATA message: processed synchronously below; a buffered one is copied.
    const decoded = decodeFrame(frame, this.policy.maxBufferedMessageBytes, false)
    if (decoded.kind === 'rekey-missing') return this.rekeyRequest(decoded.request, epoch)
    const s = this.epochState(epoch)
    const now = this.deps.now()
    const plaintext = receiveNext(s, senderLeaf, decoded.message)
    if (plaintext !== undefined) {
      const m = decoded.message
      this.housekeeping(now)
      return { kind: 'messages', messages: [{ epoch, sender: senderLeaf, step: m.step, n: m.n, rekeyed: false, plaintext }], dropped: 0 }
    }
    const staged = stageReceive(s, this.policy, senderLeaf, decoded.message, frame, now)
    // A rekey waited for HPKE: the clock is read again for the housekeeping after it.
    if (staged instanceof Promise) return staged.then((st) => this.received(s, senderLeaf, epoch, st, this.deps.now()))
    return this.received(s, senderLeaf, epoch, staged, now)
  }

  /** Someone misses `req.senderLeaf`'s rekey of chain `req.step`: our kept frame if that is us, in this epoch. */
  private rekeyRequest(req: HybridRekeyMissing, epoch: bigint): ReceiveResult {
    const s = this.current.epoch === epoch ? this.current : undefined
    const kept = s !== undefined && req.senderLeaf === s.ownLeaf ? s.sentRekeys.find((r) => r.step === req.step) : undefined
    return { kind: 'rekey-request', forLeaf: req.senderLeaf, step: req.step, resend: kept?.frame }
  }

  private received(s: EpochState, senderLeaf: number, epoch: bigint, staged: StagedReceive, now: number): ReceiveResult | Promise<ReceiveResult> {
    if (staged.kind === 'buffered') {
      staged.apply()
      return { kind: 'buffered', request: encodeRekeyMissingFrame(staged.request) }
    }
    staged.apply()
    const messages: ReceivedMessage[] = [
      { epoch, sender: senderLeaf, step: staged.step, n: staged.n, rekeyed: staged.rekeyed, plaintext: staged.plaintext },
    ]
    if (!staged.rekeyed) {
      this.housekeeping(now)
      return { kind: 'messages', messages, dropped: 0 }
    }
    return this.drain(s, senderLeaf, messages).then((dropped) => {
      this.housekeeping()
      return { kind: 'messages', messages, dropped }
    })
  }

  /** After a rekey from `sender`: processes buffered messages that now fit, lowest (step, n) first. */
  private async drain(s: EpochState, sender: number, out: ReceivedMessage[]): Promise<number> {
    let dropped = 0
    for (;;) {
      const chain = s.receive.get(sender)!
      let best = -1
      for (let i = 0; i < s.buffered.length; i++) {
        const b = s.buffered[i]!
        if (b.sender !== sender || b.step > chain.step + 1) continue
        if (best < 0 || b.step < s.buffered[best]!.step || (b.step === s.buffered[best]!.step && b.n < s.buffered[best]!.n)) best = i
      }
      if (best < 0) return dropped
      const b = s.buffered[best]!
      const decoded = decodeFrame(b.message, this.policy.maxBufferedMessageBytes)
      if (decoded.kind !== 'message') {
        s.buffered.splice(best, 1)
        dropped++
        continue
      }
      // A chain+1 DATA message still lacks its rekey: leave it (and everything later) buffered.
      if (b.step === chain.step + 1 && decoded.message.type !== HybridMessageType.DATA_REKEY) return dropped
      s.buffered.splice(best, 1)
      try {
        const staged = await stageReceive(s, this.policy, sender, decoded.message, b.message, this.deps.now())
        staged.apply()
        if (staged.kind === 'plaintext') {
          out.push({ epoch: s.epoch, sender, step: staged.step, n: staged.n, rekeyed: staged.rekeyed, plaintext: staged.plaintext })
        }
      } catch (e) {
        if (!(e instanceof TalosError)) throw e
        dropped++
      }
    }
  }

  private epochState(epoch: bigint): EpochState {
    if (epoch === this.current.epoch) return this.current
    const p = this.previous
    if (p !== undefined && p.epoch === epoch && this.deps.now() - this.previousRetiredMs <= this.policy.epochGraceMs) return p
    throw hybridError('HYBRID_EPOCH_EXPIRED', `epoch ${epoch} is not the current epoch (${this.current.epoch}) nor inside the grace period`)
  }

  /** Time-based deletions (§6, §7); runs at most once a second on its own, or now when called. */
  expire(): Promise<void> {
    return this.run(async () => {
      this.lastExpiryMs = -Infinity
      this.housekeeping()
    })
  }

  /** `now`: the caller's clock reading when it has one (the per-message path reads the clock once). */
  private housekeeping(now = this.deps.now()): void {
    if (now - this.lastExpiryMs < 1000) return
    this.lastExpiryMs = now
    if (this.previous !== undefined && now - this.previousRetiredMs > this.policy.epochGraceMs) {
      zeroEpochState(this.previous)
      this.previous = undefined
    }
    for (const s of [this.current, this.previous]) {
      if (s === undefined) continue
      if (s.skipped.size > 0 || s.buffered.length > 0) expireSkipped(s, this.policy, now)
      // Our pairwise receive keys past their age (§5, §7); the version bound is kept when a key is added.
      if (s.ownKeys.length > 0) pruneOwnKeys(s, this.policy, now)
    }
  }

  /** Advisory (§6): time for an empty Commit with path, which heals receiver compromise in copath mode. */
  selfCommitDue(): boolean {
    const s = this.current
    return s.send.sentTotal >= this.policy.selfCommitAfterMessages || this.deps.now() - s.createdMs >= this.policy.selfCommitAfterMs
  }

  /** Zeroes every secret; the session is unusable afterwards. */
  close(): void {
    zeroEpochState(this.current)
    if (this.previous !== undefined) zeroEpochState(this.previous)
    this.previous = undefined
  }
}
