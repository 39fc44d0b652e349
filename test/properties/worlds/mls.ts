/**
 * MLS and hybrid worlds over real MlsGroups (src/mls, suite 0x0003), the
 * hybrid one through the MLS adapter the group layer uses
 * (src/group/hybrid-adapter.ts mlsHybridView): a HybridMessage travels as the
 * application_data of an MLS PrivateMessage, with the sender leaf and epoch of
 * the authenticated outer layer (HYBRID.md §2).
 *
 * Members m0..m(n-1) sit at leaves 0..n-1: m0 creates the group, one Commit
 * adds the others, who join from the Welcome.
 *   snapshot(X)  X's serialized MLS state (and hybrid state)
 *   commit(X)    X commits an empty Commit with a path; everyone processes it
 *                (and enters the new epoch's hybrid state)
 *   rekey(X)     hybrid only: another member's message reaches X, then X sends;
 *                the ping-pong rule (§6) makes that send a DATA_REKEY
 *   remove(X)    a Commit removing X's leaf
 * Attacker: the clone (MlsGroup.deserialize, HybridSession.restore over the
 * clone's view) fed every later record; an MLS member's state opens its own
 * later messages too (the secret tree holds its own ratchet; the copy that opens
 * them calls itself another leaf, see asOtherLeaf). For the hybrid
 * inner layer of X's own messages, and for FS, the key scan tries every
 * Nh-byte bytes field of the hybrid state as a chain key CK[k, c] run forward
 * to the message's n, and as a seed-tree node on the sender's path (or its
 * base) derived down to CK[0, 0], with the message's real AAD and reuse guard;
 * for X's own rekeys after the snapshot, every rekey entry is tried with every
 * private key the snapshot (or the following clone) holds — MLS tree keys and
 * pairwise receive keys — and an opened r is combined with every Nh-byte field
 * as the root key (rootStep), as the design's harness does.
 */
import { getCipherSuite, type CipherSuite } from '../../../src/crypto/index.js'
import { mlsHybridView } from '../../../src/group/hybrid-adapter.js'
import type { HybridGroupView } from '../../../src/hybrid/index.js'
import {
  COPATH_LABEL,
  HybridSession,
  PAIRWISE_LABEL,
  applyReuseGuard,
  encodePairwiseContext,
  encodeRekeyContext,
  rootStep,
  chainFromBase,
  hybExpand,
  decodeFrame,
  encodeAad,
  messageRekeyBlob,
  messageKey,
  nextChainKey,
  rekeyHash,
  type RekeyMode,
} from '../../../src/hybrid/index.js'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import { decodeStateRecord } from '../../../src/hybrid/state-codec.js'
import { left, right } from '../../../src/mls/treemath.js'
import { basicCredential, decodeMLSMessage, generateKeyPackage, keyPackageMessage, MlsGroup } from '../../../src/mls/index.js'
import { attempt, dec, enc, type Rec, type Snap, type World } from '../world.js'
import { mlsScan } from './mls-scan.js'

export const SUITE = 3

/**
 * The hybrid view of an MLS group through the group layer's adapter. The
 * adapter is changing to return { view, dispose } (views copy their epoch's
 * private keys); both shapes are accepted. Views made here are never
 * disposed: the simulations are short-lived.
 */
export function hybridViewOf(group: MlsGroup): HybridGroupView {
  const v = mlsHybridView(group) as unknown as HybridGroupView | { view: HybridGroupView }
  return 'view' in v ? v.view : v
}
const suite = getCipherSuite(SUITE)

interface Member {
  mls: MlsGroup
  hyb: HybridSession | undefined
}

interface MlsSnapData {
  readonly mls: Uint8Array
  readonly hyb: Uint8Array | undefined
}

export function welcomeOf(bytes: Uint8Array) {
  const m = decodeMLSMessage(bytes) as { welcome?: unknown }
  if (m.welcome === undefined) throw new Error('not a Welcome')
  return m.welcome as Parameters<typeof MlsGroup.join>[0]['welcome']
}

export async function newKeyPackage(name: string) {
  const bundle = await generateKeyPackage({ cipherSuite: SUITE, credential: basicCredential(`did:talos:${name}`) })
  return { bundle, message: keyPackageMessage(bundle.keyPackage) }
}

export async function joinFrom(welcome: ReturnType<typeof welcomeOf>, kp: Awaited<ReturnType<typeof newKeyPackage>>): Promise<MlsGroup> {
  return MlsGroup.join({ welcome, keyPackage: { value: kp.bundle.keyPackage, bytes: kp.bundle.bytes }, secrets: kp.bundle })
}

/** The inner frame's plaintext under chain key CK[k, c] run forward, for every Nh-byte bytes field of `state`. */
export function hybridScan(
  state: Uint8Array,
  frame: Uint8Array,
  groupId: Uint8Array,
  epoch: bigint,
  senderLeaf: number,
  leafWidth: number,
): Uint8Array | undefined {
  let m
  try {
    const f = decodeFrame(frame, 1 << 20)
    if (f.kind !== 'message') return undefined
    m = f.message
  } catch {
    return undefined
  }
  const aad = encodeAad({
    groupId,
    epoch,
    senderLeaf,
    version: 1,
    type: m.type,
    step: m.step,
    n: m.n,
    pn: m.pn,
    reuseGuard: m.reuseGuard,
    rekeyHash: rekeyHash(suite, messageRekeyBlob(m)),
  })
  const Nh = suite.Nh
  const tryChain = (ck0: Uint8Array, from: number): Uint8Array | undefined => {
    let ck = ck0
    for (let j = from; j < m.n; j++) ck = nextChainKey(suite, ck, j)
    const mk = messageKey(suite, ck, m.n)
    try {
      return suite.open(mk.key, applyReuseGuard(mk.nonce, m.reuseGuard), aad, m.ciphertext)
    } catch {
      return undefined
    }
  }
  const target = 2 * senderLeaf
  for (let i = 1; i + Nh <= state.length; i++) {
    if (state[i - 1] !== Nh) continue
    const w = state.slice(i, i + Nh)
    if (new Set(w).size < Nh / 2) continue
    // As a chain key CK[k, c], for every c up to the message's n.
    for (let c = 0; c <= m.n; c++) {
      const pt = tryChain(w, c)
      if (pt !== undefined) return pt
    }
    // As a seed-tree node on the sender's path (root included) or its base: derived down to CK[0, 0].
    if (m.step !== 0) continue
    for (let x = leafWidth - 1; ; x = target < x ? left(x) : right(x)) {
      let seed: Uint8Array = w
      for (let y = x; y !== target; y = target < y ? left(y) : right(y)) {
        seed = hybExpand(suite, seed, 'tree', enc(target < y ? 'left' : 'right'), Nh)
      }
      const pt = tryChain(chainFromBase(suite, seed).chainKey, 0)
      if (pt !== undefined) return pt
      if (x === target) break
    }
  }
  return undefined
}

/**
 * The rekey attack: every rekey entry of `frames` tried with every private key in `keys`; an opened r is
 * combined with every Nh-byte field of `states` as the root key (rootStep), and the resulting chain key is
 * run forward to the target frame. The plaintext, or undefined.
 */
export async function rekeyAttack(
  suiteOf: CipherSuite,
  gid: Uint8Array,
  keys: readonly Uint8Array[],
  states: readonly Uint8Array[],
  frames: readonly { inner: Uint8Array; epoch: bigint; leaf: number }[],
  target: Uint8Array,
  epoch: bigint,
  leaf: number,
): Promise<Uint8Array | undefined> {
  for (const wx of frames) {
    const f = decodeFrame(wx.inner, 1 << 20)
    if (f.kind !== 'message' || f.message.type !== HybridMessageType.DATA_REKEY) continue
    const m = f.message
    const ctx = encodeRekeyContext({ groupId: gid, epoch: wx.epoch, senderLeaf: wx.leaf, step: m.step, pn: m.pn })
    const sealed = [
      ...m.copath.map((e) => ({ e, label: COPATH_LABEL, context: ctx })),
      ...m.pairwise.map((e) => ({ e, label: PAIRWISE_LABEL, context: encodePairwiseContext(ctx, e.leaf, e.keyVersion) })),
    ]
    let secret: Uint8Array | undefined
    for (const { e, label, context } of sealed) {
      for (const k of keys) {
        if (secret !== undefined) break
        secret = await attempt(() => suiteOf.decryptWithLabel(k, label, context, e.kemOutput, e.ciphertext))
      }
    }
    if (secret === undefined) continue
    const Nh = suiteOf.Nh
    for (const state of states) {
      for (let i = 1; i + Nh <= state.length; i++) {
        if (state[i - 1] !== Nh) continue
        const next = rootStep(suiteOf, state.slice(i, i + Nh), secret, ctx)
        const pt = hybridScan(new Uint8Array([Nh, ...next.chainKey]), target, gid, epoch, leaf, 1)
        if (pt !== undefined) return pt
      }
    }
  }
  return undefined
}

export class MlsWorld implements World {
  readonly wire: Rec[] = []
  members: string[]
  /** Members removed, with their final state (for the confidentiality row). */
  readonly removed = new Map<string, Member>()

  protected constructor(
    protected readonly state: Map<string, Member>,
    readonly hybridMode: RekeyMode | undefined,
  ) {
    this.members = [...state.keys()]
  }

  static async create(n = 4, hybridMode?: RekeyMode): Promise<MlsWorld> {
    const creator = await MlsGroup.create({ cipherSuite: SUITE, credential: basicCredential('did:talos:m0') })
    const kps = []
    for (let i = 1; i < n; i++) kps.push(await newKeyPackage(`m${i}`))
    const c = await creator.commit({ add: kps.map((k) => k.message) })
    creator.mergePendingCommit()
    const welcome = welcomeOf(c.welcome!)
    const state = new Map<string, Member>([['m0', { mls: creator, hyb: undefined }]])
    for (let i = 1; i < n; i++) state.set(`m${i}`, { mls: await joinFrom(welcome, kps[i - 1]!), hyb: undefined })
    const w = new MlsWorld(state, hybridMode)
    if (hybridMode !== undefined) for (const m of state.values()) m.hyb = HybridSession.create(hybridViewOf(m.mls), w.hybridOptions)
    // Every member commits once, so every parent node is set (the steady state of an active group).
    for (let i = 1; i < n; i++) await w.commit(`m${i}`)
    return w
  }

  get hybridOptions() {
    // minRekeyIntervalMs 0: the scenarios run within one second; the 1 s rate limit (§6) would hold back rekeys.
    return { policy: { rekeyMode: this.hybridMode ?? 'auto', minRekeyIntervalMs: 0 } }
  }

  leafOf(member: string): number {
    return (this.state.get(member) ?? this.removed.get(member))!.mls.ownLeafIndex
  }

  member(id: string): Member {
    return this.state.get(id)!
  }

  /** Processes an MLS message as member `m` (state threaded); the plaintext for application messages. */
  protected async receiveAs(m: Member, bytes: Uint8Array): Promise<string | undefined> {
    const r = await m.mls.processMessage(bytes)
    if (r.content.kind === 'commit') {
      if (m.hyb !== undefined) await m.hyb.enterEpoch(hybridViewOf(m.mls))
      return undefined
    }
    if (r.content.kind !== 'application') return undefined
    if (m.hyb === undefined) return dec(r.content.data)
    const h = await m.hyb.receive(r.content.sender, r.content.epoch, r.content.data)
    if (h.kind !== 'messages') return undefined
    return dec(h.messages[0]!.plaintext)
  }

  async send(from: string, text: string): Promise<Rec> {
    const m = this.state.get(from)!
    const inner = m.hyb === undefined ? enc(text) : await m.hyb.encrypt(enc(text))
    const bytes = m.mls.send(inner)
    const rec: Rec = { index: this.wire.length, kind: 'app', from, to: 'all', bytes, text, extra: { inner, epoch: m.mls.epoch, leaf: m.mls.ownLeafIndex } }
    this.wire.push(rec)
    for (const [id, other] of this.state) {
      if (id !== from && (await this.receiveAs(other, bytes)) !== text) throw new Error(`mls world: ${id} did not read ${text}`)
    }
    return rec
  }

  /** Whether the frame of record r is a hybrid DATA_REKEY. */
  isRekey(r: Rec): boolean {
    const inner = (r.extra as { inner: Uint8Array }).inner
    const f = decodeFrame(inner, 1 << 20)
    return f.kind === 'message' && f.message.type === HybridMessageType.DATA_REKEY
  }

  async snapshot(member: string): Promise<Snap> {
    const m = this.state.get(member)!
    const data: MlsSnapData = { mls: m.mls.serialize(), hyb: m.hyb?.serialize() }
    return { member, pos: this.wire.length, data }
  }

  private clone(snap: Snap): Member {
    const d = snap.data as MlsSnapData
    const mls = MlsGroup.deserialize(d.mls)
    return { mls, hyb: d.hyb === undefined ? undefined : HybridSession.restore(d.hyb, { current: hybridViewOf(mls) }, this.hybridOptions) }
  }

  /**
   * A copy of the attacker's MLS state that will open the member's own messages:
   * the API refuses a PrivateMessage from our own leaf (MLS_OWN_MESSAGE, a policy
   * check, not a missing key), so the copy calls itself another leaf. Its secret
   * tree, sender-data secret and tree are the snapshot's.
   */
  private asOtherLeaf(g: MlsGroup): MlsGroup {
    const copy = MlsGroup.deserialize(g.serialize())
    const holder = copy as unknown as { state: { ownLeaf: number } }
    if (typeof holder.state?.ownLeaf !== 'number') throw new Error('mls world: MlsGroup state layout changed')
    const other = copy.currentState.tree.memberIndices().find((l) => l !== holder.state.ownLeaf)!
    holder.state = { ...holder.state, ownLeaf: other }
    return copy
  }

  /** The attacker's reading of r given its (possibly followed) clone and the snapshot. */
  private async readWith(c: Member, snap: Snap, r: Rec): Promise<boolean> {
    const x = r.extra as { inner: Uint8Array; epoch: bigint; leaf: number }
    if (r.from !== snap.member) return (await attempt(() => this.receiveAs(c, r.bytes))) === r.text
    const outer = await attempt(() => this.asOtherLeaf(c.mls).processMessage(r.bytes))
    if (outer?.content.kind !== 'application') return false
    if (c.hyb === undefined) return dec(outer.content.data) === r.text
    // Hybrid, the member's own message: the inner frame by key scan of the hybrid state.
    const gid = c.mls.groupId
    const states = [c.hyb.serialize(), (snap.data as MlsSnapData).hyb!]
    for (const state of states) {
      const pt = hybridScan(state, x.inner, gid, x.epoch, x.leaf, c.mls.currentState.tree.leafCount)
      if (pt !== undefined && dec(pt) === r.text) return true
    }
    // The member's own rekeys since the snapshot: an entry the snapshot's private keys open gives r, and
    // r with any Nh-byte field (the root key RK[k] the snapshot holds) gives the new chain.
    const keys: Uint8Array[] = []
    for (const g of [c.mls, MlsGroup.deserialize((snap.data as MlsSnapData).mls)]) {
      const view = hybridViewOf(g)
      for (let node = 0; node < 2 * view.leafWidth - 1; node++) {
        const k = view.privateKey(node)
        if (k !== undefined) keys.push(k)
      }
    }
    for (const state of states) for (const rec of [decodeStateRecord(state).current, decodeStateRecord(state).previous]) for (const k of rec?.ownKeys ?? []) keys.push(k.privateKey)
    const frames = this.wire
      .filter((w) => w.index >= snap.pos && w.index <= r.index && w.from === snap.member && w.kind === 'app')
      .map((w) => w.extra as { inner: Uint8Array; epoch: bigint; leaf: number })
    const pt = await rekeyAttack(c.mls.currentState.suite, gid, keys, states, frames, x.inner, x.epoch, x.leaf)
    if (pt !== undefined && dec(pt) === r.text) return true
    return false
  }

  async reads(snap: Snap, r: Rec): Promise<boolean> {
    if (r.index < snap.pos) {
      if (await this.readWith(this.clone(snap), snap, r)) return true
      if (r.kind !== 'app') return false
      if (await this.scanReads(snap, r)) return true
      // Hybrid: the inner frame alone, as if the outer layer were open.
      const hyb = (snap.data as MlsSnapData).hyb
      if (hyb === undefined) return false
      const x = r.extra as { inner: Uint8Array; epoch: bigint; leaf: number }
      const g = MlsGroup.deserialize((snap.data as MlsSnapData).mls)
      const pt = hybridScan(hyb, x.inner, g.groupId, x.epoch, x.leaf, g.currentState.tree.leafCount)
      return pt !== undefined && dec(pt) === r.text
    }
    const c = this.clone(snap)
    for (const w of this.wire) {
      if (w.index < snap.pos || w.index > r.index) continue
      if (w === r) return this.readWith(c, snap, r)
      if (w.from === snap.member && w.kind === 'app') continue // its own messages change nothing in its state
      await attempt(() => this.receiveAs(c, w.bytes))
    }
    return false
  }

  async commit(member: string): Promise<string> {
    const m = this.state.get(member)!
    const c = await m.mls.commit({})
    m.mls.mergePendingCommit()
    if (m.hyb !== undefined) await m.hyb.enterEpoch(hybridViewOf(m.mls))
    this.wire.push({ index: this.wire.length, kind: 'control', from: member, to: 'all', bytes: c.commit })
    for (const [id, other] of this.state) if (id !== member) await this.receiveAs(other, c.commit)
    return `${member} commits an empty Commit with a path (epoch ${m.mls.epoch})`
  }

  async rekey(member: string): Promise<string> {
    if (this.hybridMode === undefined) throw new Error('MLS has no in-epoch rekey')
    const other = this.members.find((m) => m !== member)!
    await this.send(other, `from ${other} before ${member}'s rekey`)
    const r = await this.send(member, `${member} rekeys`)
    if (!this.isRekey(r)) throw new Error('hybrid world: expected a DATA_REKEY')
    return `a message from ${other} reaches ${member}, then ${member} sends: a DATA_REKEY (ping-pong rule)`
  }

  async remove(member: string, by: string): Promise<string> {
    const m = this.state.get(by)!
    const gone = this.state.get(member)!
    const c = await m.mls.commit({ remove: [gone.mls.ownLeafIndex] })
    m.mls.mergePendingCommit()
    if (m.hyb !== undefined) await m.hyb.enterEpoch(hybridViewOf(m.mls))
    this.wire.push({ index: this.wire.length, kind: 'control', from: by, to: 'all', bytes: c.commit })
    this.state.delete(member)
    this.removed.set(member, gone)
    this.members = this.members.filter((x) => x !== member)
    for (const other of this.state.values()) if (other !== m) await this.receiveAs(other, c.commit)
    await attempt(() => gone.mls.processMessage(c.commit)) // the removed member sees its removal
    return `${by} commits the removal of ${member}'s leaf; every remaining member processes it`
  }

  async scanReads(snap: Snap, r: Rec): Promise<boolean> {
    const d = snap.data as MlsSnapData
    const attacker = MlsGroup.deserialize(d.mls)
    const outer = mlsScan(attacker, d.mls, r.bytes)
    if (outer === undefined) return false
    if (d.hyb === undefined) return dec(outer) === r.text
    const x = r.extra as { epoch: bigint; leaf: number }
    const pt = hybridScan(d.hyb, outer, attacker.groupId, x.epoch, x.leaf, attacker.currentState.tree.leafCount)
    return pt !== undefined && dec(pt) === r.text
  }

  bytesFor(r: Rec): Uint8Array {
    return r.bytes
  }

  async tryReceive(snap: Snap, bytes: Uint8Array): Promise<{ sender: string; text: string } | undefined> {
    const c = this.clone(snap)
    const r = await attempt(() => c.mls.processMessage(bytes))
    if (r?.content.kind !== 'application') return undefined
    const sender = [...this.state.keys(), ...this.removed.keys()].find((id) => this.leafOf(id) === (r.content as { sender: number }).sender) ?? `leaf ${r.content.sender}`
    if (c.hyb === undefined) return { sender, text: dec(r.content.data) }
    const h = await attempt(() => c.hyb!.receive(r.content.kind === 'application' ? r.content.sender : -1, c.mls.epoch, r.content.kind === 'application' ? r.content.data : new Uint8Array(0)))
    return h?.kind === 'messages' ? { sender, text: dec(h.messages[0]!.plaintext) } : undefined
  }

  /**
   * `by` sends as `victim`: a copy of by's MLS state with its own leaf index set to
   * the victim's (by holds the epoch's secret tree, so it derives the victim's
   * ratchet; it signs with its own signature key). Hybrid: the inner frame is
   * by's own hybrid encryption.
   */
  async forgeAs(by: string, victim: string, text: string): Promise<Uint8Array> {
    const m = this.state.get(by)!
    const copy = MlsGroup.deserialize(m.mls.serialize())
    const inner = m.hyb === undefined ? enc(text) : await HybridSession.restore(m.hyb.serialize(), { current: hybridViewOf(copy) }, this.hybridOptions).encrypt(enc(text))
    const st = copy as unknown as { state: { ownLeaf: number } }
    st.state = { ...st.state, ownLeaf: this.leafOf(victim) }
    return copy.send(inner)
  }

  /**
   * Control of the rekey attack on `snap.member`'s own message r: the same attack with the private keys of
   * member `helper` (a recipient of the rekey) added must read r, or the attack itself is broken.
   */
  async rekeyAttackControl(snap: Snap, r: Rec, helper: string): Promise<boolean> {
    const d = snap.data as MlsSnapData
    const x = r.extra as { inner: Uint8Array; epoch: bigint; leaf: number }
    const keys: Uint8Array[] = []
    const h = this.state.get(helper)!
    const view = hybridViewOf(h.mls)
    for (let node = 0; node < 2 * view.leafWidth - 1; node++) {
      const k = view.privateKey(node)
      if (k !== undefined) keys.push(k)
    }
    for (const rec of [decodeStateRecord(h.hyb!.serialize()).current]) for (const k of rec?.ownKeys ?? []) keys.push(k.privateKey)
    const frames = this.wire
      .filter((w) => w.index >= snap.pos && w.index <= r.index && w.from === snap.member && w.kind === 'app')
      .map((w) => w.extra as { inner: Uint8Array; epoch: bigint; leaf: number })
    const pt = await rekeyAttack(getCipherSuite(SUITE), h.mls.groupId, keys, [d.hyb!], frames, x.inner, x.epoch, x.leaf)
    return pt !== undefined && dec(pt) === r.text
  }

  /** What a removed member's final state reads of record r (following every later record). */
  async removedReads(member: string, r: Rec): Promise<boolean> {
    const gone = this.removed.get(member)!
    return (await attempt(() => this.receiveAs(gone, r.bytes))) === r.text
  }
}
