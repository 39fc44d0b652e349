/**
 * The 'hybrid' protocol adapter (design/HYBRID.md): an MLS group whose
 * application data is a HybridMessage frame from a HybridSession seeded by
 * each epoch's SafeExportSecret(0xF001).
 *
 *   send        frame = session.encrypt(GroupPayload); MLS PrivateMessage(frame)
 *   receive     MLS authenticates sender leaf and epoch; session.receive(leaf, epoch, frame)
 *   new epoch   session.enterEpoch(view) after every commit (ours or another's)
 *   control     a buffered frame's rekey_missing request, and our resend of a
 *               requested rekey, go back to the group as MLS application data
 *
 * Membership changes are MLS commits (HYBRID.md §2); policy defaults are the
 * HybridSession's (§6) unless the client overrides them.
 */
import { HybridSession, resolvePolicy, type HybridPolicy } from '../../hybrid/index.js'
import { MlsGroup } from '../../mls/index.js'
import { mlsHybridView, type DisposableView } from '../hybrid-adapter.js'
import { MlsEngine, type MlsEngineOptions } from './mls.js'
import type { EngineState, GroupProtocol, Received } from './types.js'

export interface HybridEngineOptions extends MlsEngineOptions {
  readonly hybridPolicy?: Partial<HybridPolicy> | undefined
}

export class HybridEngine extends MlsEngine {
  override readonly protocol: GroupProtocol = 'hybrid'
  private session!: HybridSession
  /** Views of the current epoch and of the previous one (while in grace), with when the latter was retired. */
  private views: DisposableView[] = []
  private retiredAt = 0
  private readonly graceMs: number

  private constructor(group: MlsGroup, opts: HybridEngineOptions) {
    super(group, opts)
    this.graceMs = resolvePolicy(opts.hybridPolicy).epochGraceMs
  }

  private newView(): DisposableView {
    const v = mlsHybridView(this.group)
    this.views.push(v)
    while (this.views.length > 2) this.views.shift()!.dispose()
    return v
  }

  /** Zeroes the previous epoch's key copies once the hybrid grace is over. */
  private expireViews(): void {
    if (this.views.length > 1 && Date.now() - this.retiredAt > this.graceMs) this.views.shift()!.dispose()
  }

  /** A new member (creator or joiner) at the group's current epoch. */
  static override async open(group: MlsGroup, opts: HybridEngineOptions): Promise<HybridEngine> {
    const e = new HybridEngine(group, opts)
    e.session = HybridSession.create(e.newView().view, { policy: opts.hybridPolicy })
    return e
  }

  static override restore(state: EngineState, opts: HybridEngineOptions): HybridEngine {
    const e = new HybridEngine(MlsGroup.deserialize(state.mls, { config: opts.config }), opts)
    // The previous epoch's hybrid state needs that epoch's tree, which is not
    // kept: a restored session continues in the current epoch only.
    e.session = HybridSession.restore(state.hybrid, { current: e.newView().view }, { policy: opts.hybridPolicy })
    return e
  }

  protected override async enteredEpoch(): Promise<void> {
    await this.session.enterEpoch(this.newView().view)
    this.retiredAt = Date.now()
  }

  override async encrypt(payload: Uint8Array): Promise<Uint8Array> {
    this.expireViews()
    const frame = await this.session.encrypt(payload)
    return this.group.send(frame)
  }

  protected override async application(sender: string, leaf: number, epoch: bigint, data: Uint8Array): Promise<Received> {
    this.expireViews()
    const r = await this.session.receive(leaf, epoch, data)
    if (r.kind === 'messages') {
      return { kind: 'application', sender, epoch, payloads: r.messages.map((m) => m.plaintext), replies: [] }
    }
    // Control frames go back to the group as MLS application data (our ratchet moves now; persisted with this entry).
    if (r.kind === 'buffered') return { kind: 'application', sender, epoch, payloads: [], replies: [this.group.send(r.request)] }
    return { kind: 'application', sender, epoch, payloads: [], replies: r.resend === undefined ? [] : [this.group.send(r.resend)] }
  }

  override serialize(): EngineState {
    return { mls: this.group.serialize(), hybrid: this.session.serialize() }
  }

  override destroy(): void {
    this.session.close()
    for (const v of this.views) v.dispose()
    this.views = []
    super.destroy()
  }
}
