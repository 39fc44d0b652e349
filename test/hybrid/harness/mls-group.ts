/**
 * The HYBRID.md §8 harness over a REAL MLS group: 4 MlsGroup members (suite
 * 0x0003) created by one Commit and Welcome, with a HybridSession on top of
 * each through the src/group adapter (mlsHybridView), run in one of three
 * modes:
 *
 *   copath, pairwise   application data = HybridSession.encrypt(plaintext) inside MlsGroup.send
 *   mls                application data = the plaintext (plain MLS, RFC 9420 secret tree only)
 *
 * Recorded: every MLSMessage sent (application messages, rekey_missing
 * requests and resends, Commits), with the inner frame and plaintext the
 * test knows; every rekey secret r (at the HPKE seal hook); E_e of every
 * epoch (SafeExportSecret(0xF001) of a copy of an MLS state taken before any
 * session consumed it); per member, the records it encrypted or decrypted.
 *
 * T16 runs inside: after every step (send, delivery, commit, expiry) every
 * active member's state -- MlsGroup.serialize() || HybridSession.serialize()
 * -- is audited (audit.ts, with an Oracle per epoch) for consumed hybrid
 * values, and E_e of every entered epoch must be absent from the MLS bytes;
 * any finding throws, naming the step.
 *
 * snapshot(X) = X's serialized MlsGroup and HybridSession. A record is
 * exposed if the attacker holding the snapshot opens BOTH layers (plain MLS:
 * the one layer), each layer judged separately:
 *   MLS layer     a clone (MlsGroup.deserialize of the snapshot) following the
 *                 recorded wire in order (Commits included) decrypts its MLSMessage;
 *   hybrid layer  the same clone's HybridSession (HybridSession.restore over the
 *                 clone's view, entering every epoch the clone reaches) decrypts
 *                 its frame, or the key scan of attack.ts finds a key for it in
 *                 the snapshot's hybrid bytes (with X's MLS private keys for
 *                 the rekey entries).
 */
import type { CipherSuite } from '../../../src/crypto/index.js'
import { mlsHybridView } from '../../../src/group/hybrid-adapter.js'
import {
  DEFAULT_DEPS,
  HYBRID_COMPONENT_ID,
  HybridSession,
  type HybridGroupView,
  type HybridOptions,
  type ReceiveResult,
} from '../../../src/hybrid/index.js'
import type { HybridPolicy } from '../../../src/hybrid/policy.js'
import { MlsGroup, basicCredential, decodeMLSMessage, decodeMLSMessageKeyPackage, generateKeyPackage, keyPackageMessage } from '../../../src/mls/index.js'
import { WireFormat } from '../../../src/mls/wire/index.js'
import type { HybridMessage } from '../../../src/proto/hybrid.js'
import { decodeStateRecord } from '../../../src/hybrid/state-codec.js'
import { scanState } from './attack.js'
import { auditDeletion } from './audit.js'
import { ManualClock, parseMessage, type WireRecord } from './group.js'
import { Oracle } from './oracle.js'

export type Mode = 'copath' | 'pairwise' | 'mls'
export const MODES: readonly Mode[] = ['copath', 'pairwise', 'mls']

export const A = 0
export const B = 1
export const C = 2
export const D = 3
export const NAMES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']

export interface MlsRecord {
  readonly index: number
  /** app: an application message; control: a rekey_missing request; resend: a kept rekey sent again; commit. */
  readonly kind: 'app' | 'control' | 'resend' | 'commit'
  readonly sender: number
  /** Epoch the message was sent in. */
  readonly epoch: bigint
  /** The MLSMessage on the wire. */
  readonly mls: Uint8Array
  /** The MLS application_data: a hybrid frame, or the plaintext in plain MLS mode (empty for a Commit). */
  readonly frame: Uint8Array
  /** The parsed HybridMessage (hybrid modes, app and resend records). */
  readonly message: HybridMessage | undefined
  readonly label: string
  readonly plaintext: Uint8Array
}

export interface MlsSnapshot {
  readonly member: number
  readonly epoch: bigint
  readonly mls: Uint8Array
  readonly hybrid: Uint8Array | undefined
}

export interface Exposure {
  readonly mls: boolean
  readonly hybrid: boolean
}

interface Member {
  readonly leaf: number
  group: MlsGroup
  session: HybridSession | undefined
  active: boolean
}

export type Delivered =
  | { readonly kind: 'messages'; readonly labels: string[] }
  | { readonly kind: 'buffered'; readonly request: Uint8Array }
  | { readonly kind: 'rekey-request'; readonly forLeaf: number; readonly step: number; readonly resend: Uint8Array | undefined }

const utf8 = new TextEncoder()

/** (epoch, sender, step) of a RekeyContext (group_id<V> || uint64 epoch || uint32 sender || uint32 step || uint32 pn ...). */
function rekeyContextIds(ctx: Uint8Array): { epoch: bigint; sender: number; step: number } {
  const first = ctx[0]!
  const vlen = first >> 6 === 0 ? 1 : first >> 6 === 1 ? 2 : 4
  const glen = vlen === 1 ? first : vlen === 2 ? ((first & 0x3f) << 8) | ctx[1]! : 0
  const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength)
  const p = vlen + glen
  return { epoch: dv.getBigUint64(p), sender: dv.getUint32(p + 8), step: dv.getUint32(p + 12) }
}

function concat(a: Uint8Array, b: Uint8Array | undefined): Uint8Array {
  if (b === undefined) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * The adapter's view of a group's current epoch. src/group/hybrid-adapter.ts
 * returns either the view or { view, dispose } (a view that copies our path's
 * private keys, so the previous epoch's rekeys still open during the grace):
 * both are accepted here.
 */
export function viewOf(group: MlsGroup): HybridGroupView {
  const r = mlsHybridView(group) as HybridGroupView | { readonly view: HybridGroupView }
  return 'view' in r ? r.view : r
}

/** The same state read as another member's (its secret tree shared): opens our own messages like theirs. */
function asOtherLeaf(group: MlsGroup): MlsGroup {
  const st = group.currentState
  const other = st.tree.memberIndices().find((l) => l !== st.ownLeaf)!
  return new MlsGroup({ ...st, ownLeaf: other })
}

/** The pairwise receive private keys in a serialized hybrid state. */
function ownKeysOf(hybrid: Uint8Array): { key: Uint8Array; version: number }[] {
  const r = decodeStateRecord(hybrid)
  return [r.current, r.previous].flatMap((e) => (e?.ownKeys ?? []).map((k) => ({ key: k.privateKey, version: k.version })))
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export interface MlsSimOptions {
  readonly policy?: Partial<HybridPolicy>
  readonly clock?: ManualClock
  readonly members?: number
  /** Wraps a member's suite in its hybrid view (e.g. a counting suite). */
  readonly wrapSuite?: (leaf: number, suite: CipherSuite) => CipherSuite
  /** Run the deletion audit after every step (default true). */
  readonly audit?: boolean
}

export class MlsSim {
  readonly wire: MlsRecord[] = []
  /** member -> wire indices it encrypted or decrypted. */
  readonly processed = new Map<number, Set<number>>()
  /** `${epoch}:${sender}:${step}` -> r. */
  readonly rLog = new Map<string, Uint8Array>()
  /** E_e per epoch. */
  readonly seeds = new Map<bigint, Uint8Array>()
  readonly members = new Map<number, Member>()
  /** Steps audited so far (T16 bookkeeping, for the tests to check the audit ran). */
  audits = 0
  private readonly oracles = new Map<bigint, Oracle>()
  private nextDid = 0

  private constructor(
    readonly mode: Mode,
    readonly clock: ManualClock,
    readonly options: HybridOptions,
    private readonly sim: MlsSimOptions,
  ) {}

  get hybrid(): boolean {
    return this.mode !== 'mls'
  }

  static async create(mode: Mode, opts: MlsSimOptions = {}): Promise<MlsSim> {
    const clock = opts.clock ?? new ManualClock()
    let self: MlsSim | undefined
    const options: HybridOptions = {
      policy: { ...opts.policy, ...(mode === 'mls' ? {} : { rekeyMode: mode }) },
      deps: {
        now: clock.now,
        encryptWithLabel: async (suite, pk, label, ctx, pt) => {
          const id = rekeyContextIds(ctx)
          self!.rLog.set(`${id.epoch}:${id.sender}:${id.step}`, pt.slice())
          return DEFAULT_DEPS.encryptWithLabel(suite, pk, label, ctx, pt)
        },
      },
    }
    const sim = new MlsSim(mode, clock, options, opts)
    self = sim
    const n = opts.members ?? 4
    const creator = await MlsGroup.create({ cipherSuite: 3, credential: basicCredential(sim.did()) })
    sim.members.set(0, { leaf: 0, group: creator, session: undefined, active: true })
    if (n > 1) await sim.addMembers(0, n - 1, false)
    sim.captureSeed(creator)
    for (const m of sim.members.values()) m.session = sim.newSession(m.group)
    sim.step('create')
    return sim
  }

  private did(): string {
    return `did:talos:${NAMES[this.nextDid++] ?? `m${this.nextDid}`}`
  }

  private view(group: MlsGroup): HybridGroupView {
    const v = viewOf(group)
    const wrap = this.sim.wrapSuite
    return wrap === undefined ? v : { ...v, suite: wrap(v.ownLeaf, v.suite) }
  }

  private newSession(group: MlsGroup): HybridSession | undefined {
    return this.hybrid ? HybridSession.create(this.view(group), this.options) : undefined
  }

  /** E_e of the group's epoch, from a copy of its MLS state (before anyone's session consumed it). */
  private captureSeed(group: MlsGroup): void {
    if (!this.hybrid || this.seeds.has(group.epoch)) return
    this.seeds.set(group.epoch, MlsGroup.deserialize(group.serialize()).safeExportSecret(HYBRID_COMPONENT_ID))
  }

  get epoch(): bigint {
    return this.member(A).group.epoch
  }

  member(leaf: number): Member {
    const m = this.members.get(leaf)
    if (m === undefined) throw new Error(`no member ${leaf}`)
    return m
  }

  session(leaf: number): HybridSession {
    const s = this.member(leaf).session
    if (s === undefined) throw new Error(`member ${leaf} has no hybrid session (mode ${this.mode})`)
    return s
  }

  activeLeaves(): number[] {
    return [...this.members.values()].filter((m) => m.active).map((m) => m.leaf)
  }

  private mark(leaf: number, index: number): void {
    let s = this.processed.get(leaf)
    if (s === undefined) this.processed.set(leaf, (s = new Set()))
    s.add(index)
  }

  private record(r: Omit<MlsRecord, 'index'>): MlsRecord {
    const rec = { ...r, index: this.wire.length }
    this.wire.push(rec)
    return rec
  }

  /** `from` sends `text` (hybrid: encrypted by its session first); recorded, not delivered. */
  async send(from: number, text: string): Promise<MlsRecord> {
    const m = this.member(from)
    const plaintext = utf8.encode(text)
    let frame: Uint8Array = plaintext
    let message: HybridMessage | undefined
    if (this.hybrid) {
      frame = await this.session(from).encrypt(plaintext)
      message = parseMessage(frame)
    }
    const rec = this.record({ kind: 'app', sender: from, epoch: m.group.epoch, mls: m.group.send(frame), frame, message, label: text, plaintext })
    this.mark(from, rec.index)
    this.step(`${NAMES[from]} sends ${text}`)
    return rec
  }

  /** Sends a hybrid control frame (a rekey_missing request, or a kept rekey to resend) as MLS application data. */
  async sendControl(from: number, frame: Uint8Array, kind: 'control' | 'resend'): Promise<MlsRecord> {
    const m = this.member(from)
    const message = kind === 'resend' ? parseMessage(frame) : undefined
    const orig = kind === 'resend' ? this.wire.find((w) => w.kind === 'app' && w.sender === from && w.message?.step === message!.step && w.message.n === message!.n) : undefined
    const rec = this.record({
      kind,
      sender: from,
      epoch: m.group.epoch,
      mls: m.group.send(frame),
      frame,
      message,
      label: orig?.label ?? kind,
      plaintext: orig?.plaintext ?? new Uint8Array(0),
    })
    this.step(`${NAMES[from]} sends ${kind}`)
    return rec
  }

  /** `to` processes `rec` (MLS, then the hybrid layer). */
  async deliver(rec: MlsRecord, to: number): Promise<Delivered> {
    const m = this.member(to)
    const r = await m.group.processMessage(rec.mls)
    if (r.content.kind !== 'application') throw new Error(`record ${rec.index} is not application data`)
    const data = r.content.data
    let out: Delivered
    if (!this.hybrid) {
      this.mark(to, rec.index)
      out = { kind: 'messages', labels: [new TextDecoder().decode(data)] }
    } else {
      const hr: ReceiveResult = await this.session(to).receive(rec.sender, rec.epoch, data)
      if (hr.kind === 'messages') {
        const labels: string[] = []
        for (const x of hr.messages) {
          const w = this.wire.find((y) => y.kind === 'app' && y.sender === x.sender && y.epoch === x.epoch && y.message?.step === x.step && y.message.n === x.n)
          if (w !== undefined) this.mark(to, w.index)
          labels.push(new TextDecoder().decode(x.plaintext))
        }
        out = { kind: 'messages', labels }
      } else out = hr
    }
    this.step(`${NAMES[to]} receives ${rec.label}`)
    return out
  }

  /** Sends and delivers to every other active member except `skip`; each must decrypt it. */
  async broadcast(from: number, text: string, skip: readonly number[] = []): Promise<MlsRecord> {
    const rec = await this.send(from, text)
    for (const leaf of this.activeLeaves()) {
      if (leaf === from || skip.includes(leaf)) continue
      const r = await this.deliver(rec, leaf)
      if (r.kind !== 'messages' || !r.labels.includes(text)) throw new Error(`${NAMES[leaf]} did not decrypt ${text}: ${r.kind}`)
    }
    return rec
  }

  private async addMembers(committer: number, count: number, enter: boolean): Promise<{ commit: Uint8Array; joined: number[] }> {
    const kps = await Promise.all(
      Array.from({ length: count }, async () => {
        const bundle = await generateKeyPackage({ cipherSuite: 3, credential: basicCredential(this.did()) })
        return { bundle, message: keyPackageMessage(bundle.keyPackage) }
      }),
    )
    const c = this.member(committer).group
    const out = await c.commit({ add: kps.map((k) => k.message) })
    const joined: number[] = []
    const welcome = decodeMLSMessage(out.welcome!)
    if (welcome.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
    await this.finishCommit(committer, out.commit, enter, async () => {
      for (const k of kps) {
        const g = await MlsGroup.join({ welcome: welcome.welcome, keyPackage: decodeMLSMessageKeyPackage(k.message), secrets: k.bundle })
        this.members.set(g.ownLeafIndex, { leaf: g.ownLeafIndex, group: g, session: undefined, active: true })
        joined.push(g.ownLeafIndex)
      }
    })
    return { commit: out.commit, joined }
  }

  /** The committer merges, every other active member processes the Commit, then every session enters the new epoch. */
  private async finishCommit(committer: number, commit: Uint8Array, enter: boolean, join?: () => Promise<void>, mergedFrom?: bigint): Promise<MlsRecord> {
    const c = this.member(committer)
    const epoch = mergedFrom ?? c.group.epoch
    if (mergedFrom === undefined) c.group.mergePendingCommit()
    const rec = this.record({ kind: 'commit', sender: committer, epoch, mls: commit, frame: new Uint8Array(0), message: undefined, label: 'commit', plaintext: new Uint8Array(0) })
    for (const m of this.members.values()) {
      if (!m.active || m.leaf === committer) continue
      const r = await m.group.processMessage(commit)
      if (r.content.kind === 'commit' && r.content.removedUs) m.active = false
    }
    await join?.()
    if (!enter) return rec
    this.captureSeed(c.group)
    for (const m of this.members.values()) {
      if (!m.active) continue
      if (m.session === undefined) m.session = this.newSession(m.group)
      else await m.session.enterEpoch(this.view(m.group))
    }
    this.step(`commit by ${NAMES[committer]} -> epoch ${this.epoch}`)
    return rec
  }

  /** An empty Commit with path by `from` (a self-update); optionally with a fresh signature key in its leaf (T10). */
  async selfCommit(from: number, opts: { newSignatureKey?: boolean } = {}): Promise<MlsRecord> {
    // newSignatureKey: the Commit's new LeafNode carries a fresh signature key (MlsGroup.commit rotateSignatureKey).
    const out = await this.member(from).group.commit({ path: 'always', rotateSignatureKey: opts.newSignatureKey === true })
    return this.finishCommit(from, out.commit, true)
  }

  async remove(from: number, leaves: number[]): Promise<MlsRecord> {
    const out = await this.member(from).group.commit({ remove: leaves })
    return this.finishCommit(from, out.commit, true)
  }

  async add(from: number, count = 1): Promise<number[]> {
    return (await this.addMembers(from, count, true)).joined
  }

  /** Advances the clock and runs every session's time-based expiry. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms)
    for (const m of this.members.values()) if (m.active) await m.session?.expire()
    this.step(`clock +${ms} ms`)
  }

  /** Serialized MLS state || serialized hybrid state of a member. */
  stateBytes(leaf: number): Uint8Array {
    const m = this.member(leaf)
    return concat(m.group.serialize(), m.session?.serialize())
  }

  // --- T16: the deletion audit after every step ---

  private oracle(epoch: bigint): Oracle {
    let o = this.oracles.get(epoch)
    if (o === undefined) {
      const sim = this
      const g = this.member(A).group
      const source = {
        tree: { suite: g.currentState.suite, leafWidth: this.leafWidthOf(epoch), groupId: g.groupId, epoch },
        get wire() {
          return sim.wire.filter((w) => w.epoch === epoch && w.kind === 'app' && w.message !== undefined) as unknown as WireRecord[]
        },
        get rLog() {
          const m = new Map<string, Uint8Array>()
          for (const [k, r] of sim.rLog) if (k.startsWith(`${epoch}:`)) m.set(k.slice(`${epoch}:`.length), r)
          return m
        },
      }
      o = new Oracle(source, this.seeds.get(epoch)!)
      this.oracles.set(epoch, o)
    }
    return o
  }

  private readonly widths = new Map<bigint, number>()
  private leafWidthOf(epoch: bigint): number {
    return this.widths.get(epoch) ?? this.member(A).group.currentState.tree.leafCount
  }

  /** Runs the audit now; throws on any consumed value found. */
  step(what: string): void {
    if (!this.hybrid || this.sim.audit === false) return
    this.audits++
    for (const m of this.members.values()) {
      if (!this.widths.has(m.group.epoch) && m.active) this.widths.set(m.group.epoch, m.group.currentState.tree.leafCount)
    }
    for (const m of this.members.values()) {
      if (!m.active || m.session === undefined) continue
      const findings = this.auditFindings(m.leaf)
      if (findings.length > 0) throw new Error(`T16 deletion audit after "${what}": member ${NAMES[m.leaf]} still holds ${findings.join(', ')}`)
    }
  }

  /** The consumed values found in a member's state (or in `extra` appended to it: to show the audit is not vacuous). */
  auditFindings(leaf: number, extra?: Uint8Array): string[] {
    const m = this.member(leaf)
    const mls = concat(m.group.serialize(), extra)
    const state = concat(mls, m.session?.serialize())
    const findings: string[] = []
    for (const [epoch, seed] of this.seeds) {
      if (epoch > m.group.epoch) continue
      // E_e left the MLS exporter tree when the session took it (FS-1).
      if (Buffer.from(mls).indexOf(Buffer.from(seed)) >= 0) findings.push(`E_e of epoch ${epoch} in the MLS state`)
      const seen = new Set([...(this.processed.get(m.leaf) ?? [])].filter((i) => this.wire[i]!.epoch === epoch))
      if (seen.size === 0) continue
      const source = { processed: new Map([[m.leaf, seen]]), wire: this.wire as unknown as WireRecord[], tree: { epoch } }
      for (const f of auditDeletion(source, this.oracle(epoch), m.leaf, state)) findings.push(`epoch ${epoch}: ${f}`)
    }
    return findings
  }

  /** The oracle of an epoch (for tests of the audit itself). */
  oracleOf(epoch: bigint): Oracle {
    return this.oracle(epoch)
  }

  // --- the attacker ---

  snapshot(leaf: number): MlsSnapshot {
    const m = this.member(leaf)
    return { member: leaf, epoch: m.group.epoch, mls: m.group.serialize(), hybrid: m.session?.serialize() }
  }

  /** Layer by layer, what the snapshot's holder opens among `targets` (see the header). */
  async exposure(snap: MlsSnapshot, targets: readonly MlsRecord[], accomplice?: MlsSnapshot): Promise<Map<number, Exposure>> {
    const want = new Set(targets.map((t) => t.index))
    const mlsOpen = new Set<number>()
    const hybOpen = new Set<number>()
    const last = Math.max(-1, ...want)
    const group = MlsGroup.deserialize(snap.mls)
    const session = snap.hybrid === undefined ? undefined : HybridSession.restore(snap.hybrid, { current: viewOf(group) }, this.options)
    // The key scan of the hybrid bytes, with the member's MLS private keys for rekey entries.
    if (snap.hybrid !== undefined) {
      const st = MlsGroup.deserialize(snap.mls).currentState
      // A second snapshot's keys (T9): its MLS node keys and its pairwise receive keys open more rekey entries.
      const helper = accomplice === undefined ? undefined : MlsGroup.deserialize(accomplice.mls).currentState
      const scanTargets = targets.filter((t) => t.message !== undefined) as unknown as WireRecord[]
      const found = await scanState(
        {
          suite: st.suite,
          groupId: group.groupId,
          leafWidth: st.tree.leafCount,
          memberList: st.tree.memberIndices(),
          member: snap.member,
          privateKey: (x) => st.privateKeys.get(x) ?? helper?.privateKeys.get(x),
          extraPrivateKeys: accomplice?.hybrid === undefined ? [] : ownKeysOf(accomplice.hybrid),
        },
        snap.hybrid,
        scanTargets,
      )
      for (const i of found) hybOpen.add(i)
    }
    // The clone follows the recorded wire in order.
    for (const w of this.wire) {
      if (w.index > last) break
      if (w.kind === 'commit') {
        const before = group.epoch
        try {
          await group.processMessage(w.mls)
        } catch {
          continue // not a Commit the clone can follow
        }
        if (session !== undefined && group.epoch > before && group.active) await session.enterEpoch(viewOf(group))
        continue
      }
      // MLS has one ratchet per sender, so a member's state also holds the keys of its own later
      // messages; MlsGroup refuses them as echoes (MLS_OWN_MESSAGE), a check the attacker skips by
      // reading the same state as another leaf (same secret tree, same keys).
      try {
        await (w.sender === snap.member ? asOtherLeaf(group) : group).processMessage(w.mls)
        if (want.has(w.index)) mlsOpen.add(w.index)
      } catch {
        // the MLS layer stays closed
      }
      // The hybrid layer of our own messages: only the key scan (a session never receives from itself).
      if (session === undefined || w.kind === 'control' || w.sender === snap.member) continue
      try {
        const r = await session.receive(w.sender, w.epoch, w.frame)
        if (r.kind !== 'messages') continue
        for (const x of r.messages) {
          for (const t of targets) {
            if (t.sender === x.sender && t.epoch === x.epoch && t.message?.step === x.step && t.message.n === x.n) hybOpen.add(t.index)
          }
        }
      } catch {
        // the hybrid layer stays closed
      }
    }
    const out = new Map<number, Exposure>()
    for (const t of targets) out.set(t.index, { mls: mlsOpen.has(t.index), hybrid: this.hybrid ? hybOpen.has(t.index) : true })
    return out
  }

  /** Indices of the targets whose plaintext the snapshot's holder recovers (both layers open), ascending. */
  async exposed(snap: MlsSnapshot, targets: readonly MlsRecord[], accomplice?: MlsSnapshot): Promise<number[]> {
    const e = await this.exposure(snap, targets, accomplice)
    return [...e].filter(([, x]) => x.mls && x.hybrid).map(([i]) => i).sort((a, b) => a - b)
  }

  /** Hex of every E_e recorded so far (for absence checks). */
  seedHexes(): string[] {
    return [...this.seeds.values()].map(hex)
  }
}

export const indices = (recs: readonly MlsRecord[]): number[] => recs.map((r) => r.index).sort((a, b) => a - b)
