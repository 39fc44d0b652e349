/**
 * The compromise harness of HYBRID.md §8: snapshot(X) copies all of member
 * X's state (its serialized hybrid state plus its MLS private keys, here the
 * view of the in-memory tree); a recorded message is *exposed* if
 *
 *   - a clone built from the snapshot decrypts it (the clone is fed every
 *     recorded frame of that sender in wire order, up to the target), or
 *   - the key scan opens it: every secret-looking window of the snapshot
 *     bytes is tried in every role a secret can play:
 *       AEAD key (with each nonce-sized window just after it)   at every offset
 *       chain key CK[k,c], run forward to every later n           |
 *       root key RK[k] with each rekey's r (opened with X's keys) | at every offset holding a
 *       seed-tree node or base[L], derived down to L's chains     | Protobuf bytes field of that size
 *     A window is secret-looking if it has at least size/2 distinct bytes;
 *     window sizes are the suite's Nk and Nh (16, 32 or 64 bytes).
 */
import type { CipherSuite } from '../../../src/crypto/index.js'
import {
  HybridSession,
  applyReuseGuard,
  chainFromBase,
  encodeAad,
  encodePairwiseContext,
  messageRekeyBlob,
  encodeRekeyContext,
  hybExpand,
  messageKey,
  nextChainKey,
  rekeyHash,
  rootStep,
} from '../../../src/hybrid/index.js'
import { decodeStateRecord } from '../../../src/hybrid/state-codec.js'
import { left, right } from '../../../src/mls/treemath.js'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import type { SimGroup, WireRecord } from './group.js'


export interface Snapshot {
  readonly member: number
  readonly state: Uint8Array
}

export function snapshot(g: SimGroup, member: number): Snapshot {
  return { member, state: g.member(member).serialize() }
}

export function cloneFromSnapshot(g: SimGroup, s: Snapshot): HybridSession {
  return HybridSession.restore(s.state, { current: g.tree.view(s.member) }, g.options)
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Records a clone of the snapshot decrypts. */
export async function exposedByClone(g: SimGroup, s: Snapshot, targets: readonly WireRecord[]): Promise<Set<number>> {
  const out = new Set<number>()
  for (const t of targets) {
    if (t.sender === s.member) continue
    const clone = cloneFromSnapshot(g, s)
    for (const w of g.wire) {
      if (w.sender !== t.sender || w.epoch !== t.epoch || w.index > t.index) continue
      try {
        const r = await clone.receive(w.sender, w.epoch, w.frame)
        if (r.kind === 'messages' && r.messages.some((m) => eq(m.plaintext, t.plaintext))) out.add(t.index)
      } catch {
        // not decryptable by the clone
      }
    }
  }
  return out
}

interface Target {
  readonly rec: ScanTarget
  readonly aad: Uint8Array
}

function tryOpen(suite: CipherSuite, t: Target, key: Uint8Array, nonce: Uint8Array): boolean {
  try {
    const pt = suite.open(key, applyReuseGuard(nonce, t.rec.message.reuseGuard), t.aad, t.rec.message.ciphertext)
    return eq(pt, t.rec.plaintext)
  } catch {
    return false
  }
}

/** What the key scan needs to know of the group and of the snapshotted member, for one epoch. */
export interface ScanContext {
  readonly suite: CipherSuite
  readonly groupId: Uint8Array
  readonly leafWidth: number
  readonly memberList: readonly number[]
  /** The snapshotted member's leaf. */
  readonly member: number
  /** The snapshotted member's MLS private key of a node, if it holds one. */
  privateKey(node: number): Uint8Array | undefined
  /** More private keys the attacker holds (a second snapshot's pairwise receive keys). */
  readonly extraPrivateKeys?: readonly { readonly key: Uint8Array; readonly version?: number }[]
}

/** What the key scan needs of a recorded message. */
export type ScanTarget = Pick<WireRecord, 'index' | 'sender' | 'epoch' | 'message' | 'plaintext'>

/** Records the key scan of a snapshot opens. */
export async function exposedByScan(g: SimGroup, s: Snapshot, targets: readonly WireRecord[]): Promise<Set<number>> {
  const view = g.tree.view(s.member)
  return scanState(
    { suite: g.tree.suite, groupId: g.tree.groupId, leafWidth: g.tree.leafWidth, memberList: g.tree.memberList, member: s.member, privateKey: (x) => view.privateKey(x) },
    s.state,
    targets,
  )
}

/**
 * The key scan over serialized hybrid state bytes (see the header): the
 * targets opened by some secret-looking window of `state`, in any role.
 */
export async function scanState(g: ScanContext, state: Uint8Array, targets: readonly ScanTarget[]): Promise<Set<number>> {
  const suite = g.suite
  const out = new Set<number>()
  const ts: Target[] = targets.map((rec) => ({
    rec,
    aad: encodeAad({
      groupId: g.groupId,
      epoch: rec.epoch,
      senderLeaf: rec.sender,
      version: 1,
      type: rec.message.type,
      step: rec.message.step,
      n: rec.message.n,
      pn: rec.message.pn,
      reuseGuard: rec.message.reuseGuard,
      rekeyHash: rekeyHash(suite, messageRekeyBlob(rec.message)),
    }),
  }))
  const maxN = Math.max(0, ...targets.map((t) => t.message.n))

  // Private keys X holds: its MLS node keys (the view) and its pairwise receive keys (parsed from the state).
  const privateKeys: { key: Uint8Array; version?: number }[] = []
  for (let x = 0; x < 2 * g.leafWidth - 1; x++) {
    const k = g.privateKey(x)
    if (k !== undefined) privateKeys.push({ key: k, version: x === 2 * g.member ? 0 : undefined })
  }
  for (const k of g.extraPrivateKeys ?? []) privateKeys.push({ key: k.key, version: k.version })
  for (const rec of [decodeStateRecord(state).current, decodeStateRecord(state).previous]) {
    for (const k of rec?.ownKeys ?? []) privateKeys.push({ key: k.privateKey, version: k.version })
  }
  // r of every rekey whose entry for X opens with one of those keys.
  const rOf = new Map<number, Uint8Array>()
  for (const t of ts) {
    const m = t.rec.message
    if (m.type !== HybridMessageType.DATA_REKEY) continue
    const ctx = encodeRekeyContext({ groupId: g.groupId, epoch: t.rec.epoch, senderLeaf: t.rec.sender, step: m.step, pn: m.pn })
    const sealed = [
      ...m.copath.map((e) => ({ e, label: 'HYB1 rekey', context: ctx })),
      ...m.pairwise.map((e) => ({ e, label: 'HYB1 pairwise rekey', context: encodePairwiseContext(ctx, e.leaf, e.keyVersion) })),
    ]
    for (const { e, label, context } of sealed) {
      for (const pk of privateKeys) {
        try {
          const r = await suite.decryptWithLabel(pk.key, label, context, e.kemOutput, e.ciphertext)
          rOf.set(t.rec.index, r)
        } catch {
          // not ours
        }
      }
    }
  }

  const runChain = (ck0: Uint8Array, from: number, only?: (t: Target) => boolean): void => {
    let ck = ck0
    for (let n = from; n <= maxN; n++) {
      const cands = ts.filter((t) => t.rec.message.n === n && !out.has(t.rec.index) && (only === undefined || only(t)))
      if (cands.length > 0) {
        const mk = messageKey(suite, ck, n)
        for (const t of cands) if (tryOpen(suite, t, mk.key, mk.nonce)) out.add(t.rec.index)
      }
      ck = nextChainKey(suite, ck, n)
    }
  }
  // RK[k] with a rekey's r gives RK[k+1] and CK[k+1,0]; continue with the next rekey of that sender.
  const asRoot = (rk: Uint8Array, only?: { sender: number; step: number }): void => {
    for (const t of ts) {
      const r = rOf.get(t.rec.index)
      if (r === undefined) continue
      const m = t.rec.message
      if (only !== undefined && (t.rec.sender !== only.sender || m.step !== only.step)) continue
      const ctx = encodeRekeyContext({ groupId: g.groupId, epoch: t.rec.epoch, senderLeaf: t.rec.sender, step: m.step, pn: m.pn })
      const next = rootStep(suite, rk, r, ctx)
      runChain(next.chainKey, 0, (x) => x.rec.sender === t.rec.sender && x.rec.message.step === m.step)
      asRoot(next.rootKey, { sender: t.rec.sender, step: m.step + 1 })
    }
  }

  const sizes = [...new Set([suite.Nk, suite.Nh])]
  for (const size of sizes) {
    for (let i = 0; i + size <= state.length; i++) {
      const w = state.subarray(i, i + size)
      if (new Set(w).size < size / 2) continue
      // AEAD key, with a nonce window right after it (a stored skipped key: key field, then nonce field).
      if (size === suite.Nk) {
        for (let j = i + size; j <= i + size + 4 && j + suite.Nn <= state.length; j++) {
          const nonce = state.subarray(j, j + suite.Nn)
          for (const t of ts) if (!out.has(t.rec.index) && tryOpen(suite, t, w, nonce)) out.add(t.rec.index)
        }
      }
      if (size !== suite.Nh || i === 0 || state[i - 1] !== size) continue
      // Chain key CK[k, c] for every c, run forward.
      for (let c = 0; c <= maxN; c++) runChain(w, c)
      asRoot(w)
      // Seed-tree node or base on any leaf's path.
      for (const leaf of g.memberList) {
        let x = g.leafWidth - 1
        const target = 2 * leaf
        for (;;) {
          // treat w as seed[x], derive down to base[leaf]
          let seed = w
          let y = x
          while (y !== target) {
            const goLeft = target < y
            seed = hybExpand(suite, seed, 'tree', new TextEncoder().encode(goLeft ? 'left' : 'right'), suite.Nh)
            y = goLeft ? left(y) : right(y)
          }
          const c0 = chainFromBase(suite, seed)
          runChain(c0.chainKey, 0, (t) => t.rec.sender === leaf && t.rec.message.step === 0)
          asRoot(c0.rootKey)
          if (x === target) break
          x = target < x ? left(x) : right(x)
        }
      }
    }
  }
  return out
}

/** Exposed by either attack. */
export async function exposed(g: SimGroup, s: Snapshot, targets: readonly WireRecord[]): Promise<Set<number>> {
  const a = await exposedByClone(g, s, targets)
  for (const i of await exposedByScan(g, s, targets)) a.add(i)
  return a
}
