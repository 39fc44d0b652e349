/**
 * Member add and remove cost, counted (rows "add-cost", "remove-cost").
 *
 * Every cryptographic primitive call is counted below the protocols (ops.ts:
 * DH, sign, verify, AEAD, HKDF/HMAC, SHA-256), one member at a time, for a
 * group of n members, n = 4, 8, ..., 1024 (the test uses a shorter series):
 * add takes the group from n-1 to n members, remove from n to n-1 (so the MLS
 * tree keeps its width n; the add that doubles the tree, from n to n+1, is
 * measured separately for MLS and reported as evidence).
 * Key generation that a party does ahead of time (identities, prekeys,
 * KeyPackages) and the set-up of the n-member group are not counted; the
 * joiner's session establishment (X3DH) and tree verification are.
 *
 * Per protocol, what is counted (roles):
 *   coordinator  add: joiner (X3DH to the hub, join message), hub (accept);
 *                members: nothing reaches them. remove: hub (drops the session).
 *   sender-keys  add: each of the n existing members (X3DH to the joiner, its key
 *                to the joiner, the joiner's key in), the joiner (n X3DH responses,
 *                n keys in, its key out n times). All n+1 parties measured.
 *                remove (of one of n): each remaining member deletes the key,
 *                rotates, sends its new key to the n-2 others and opens their n-2
 *                keys. Measured on up to 4 sampled members with sessions to
 *                everyone; the other members (sessions with the sampled ones only)
 *                send the sampled ones their new keys. The members are symmetric,
 *                so total = mean(sampled) × (n-1).
 *   mls          the committer m0 (commit + merge), every other member (process the
 *                Commit), the joiner (join from the Welcome: the whole tree is
 *                verified). Group: m0 adds everyone in one Commit; the members at
 *                leaves 2^k (one per subtree of m0's copath) and those starting the
 *                sibling subtrees along the last leaf's path join and commit once,
 *                so m0's copath and the removed leaf's copath are non-blank (the
 *                steady state of an active group). Other members are measured by
 *                their representative: leaf 2^k stands for the 2^k members of its
 *                subtree of m0's copath (their Commit processing differs by where
 *                the path secret is decrypted, which that subtree shares).
 *                total = committer + Σ_k |subtree_k| × cost(2^k) (+ joiner).
 *   hybrid       the MLS cost above plus the hybrid layer's epoch entry
 *                (enterEpoch: SafeExportSecret, seed-tree root) for every member, and
 *                HybridSession.create for the joiner. The rekey mode does not enter
 *                epoch entry, so one run serves both hybrid columns.
 *   1:1          no membership.
 *
 * Fit rule (fitGrowth), per role on the worst member of that role: constant if
 * max ≤ 1.1 × min over the series; otherwise least squares y = a + b·f(n) for f
 * in log2 n, n, n·log2 n, n², and the f with the smallest residual sum of
 * squares (b > 0) wins. Total (totalGrowth): the largest, over roles, of
 * (fitted growth of the role's member count) × (fitted growth of its per-member ops).
 */
import { CoordinatorHub, CoordinatorMember } from '../../src/coordinator/index.js'
import { HybridSession } from '../../src/hybrid/index.js'
import { MlsGroup } from '../../src/mls/index.js'
import { generateIdentity } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'
import { SenderKeyGroup } from '../../src/senderkeys/group.js'
import { installOpCounter, measure, totalOps } from './ops.js'
import type { Column, Observation } from './types.js'
import { COORD_GROUP_ID } from './worlds/coordinator.js'
import { hybridViewOf, joinFrom, newKeyPackage, SUITE, welcomeOf } from './worlds/mls.js'
import { SK_GROUP_ID, skPair, skParty, type SkParty } from './worlds/sender-keys.js'
import { basicCredential } from '../../src/mls/index.js'

export type MembershipOp = 'add' | 'remove'
export const FULL_SIZES = [4, 8, 16, 32, 64, 128, 256, 512, 1024]

/** One role's cost at one n: per-member ops (worst of the members measured in it) and how many members it stands for. */
export interface RoleCost {
  readonly role: string
  readonly perMember: number
  readonly members: number
}

export interface CostPoint {
  readonly n: number
  readonly roles: RoleCost[]
  readonly total: number
  readonly measured: number
}

// ---------------------------------------------------------------- growth fit

export type Growth = 'O(1)' | 'O(log n)' | 'O(n)' | 'O(n log n)' | 'O(n²)'
const CANDIDATES: [Growth, (n: number) => number][] = [
  ['O(log n)', (n) => Math.log2(n)],
  ['O(n)', (n) => n],
  ['O(n log n)', (n) => n * Math.log2(n)],
  ['O(n²)', (n) => n * n],
]

export function fitGrowth(points: readonly { n: number; y: number }[]): Growth {
  const ys = points.map((p) => p.y)
  if (Math.max(...ys) <= 1.1 * Math.min(...ys)) return 'O(1)'
  let best: Growth = 'O(1)'
  let bestRss = Infinity
  for (const [name, f] of CANDIDATES) {
    const xs = points.map((p) => f(p.n))
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length
    const my = ys.reduce((a, b) => a + b, 0) / ys.length
    let sxy = 0
    let sxx = 0
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i]! - mx) * (ys[i]! - my)
      sxx += (xs[i]! - mx) ** 2
    }
    const b = sxy / sxx
    const a = my - b * mx
    if (!(b > 0)) continue
    const rss = xs.reduce((s, x, i) => s + (ys[i]! - (a + b * x)) ** 2, 0)
    if (rss < bestRss) {
      bestRss = rss
      best = name
    }
  }
  return best
}

const ORDER: Growth[] = ['O(1)', 'O(log n)', 'O(n)', 'O(n log n)', 'O(n²)']
const PRODUCT: Record<string, Growth> = {
  'O(1)×O(1)': 'O(1)',
  'O(1)×O(log n)': 'O(log n)',
  'O(1)×O(n)': 'O(n)',
  'O(1)×O(n log n)': 'O(n log n)',
  'O(1)×O(n²)': 'O(n²)',
  'O(n)×O(1)': 'O(n)',
  'O(n)×O(log n)': 'O(n log n)',
  'O(n)×O(n)': 'O(n²)',
}

/**
 * Growth of the group total: the total is Σ over roles of (members in the role)
 * × (ops per member), so its class is the largest, over roles, of the fitted
 * class of the role's member count (1 or about n) times the fitted class of its
 * per-member ops. A direct fit of the total blurs a log factor against the
 * (n-1)/n of the role sizes; this does not.
 */
export function totalGrowth(points: readonly CostPoint[]): string {
  if (points.every((p) => p.total === 0)) return '0'
  let worst: Growth = 'O(1)'
  for (const role of points[0]!.roles.map((r) => r.role)) {
    const per = points.map((p) => ({ n: p.n, y: p.roles.find((r) => r.role === role)!.perMember }))
    if (per.every((p) => p.y === 0)) continue
    const count = fitGrowth(points.map((p) => ({ n: p.n, y: p.roles.find((r) => r.role === role)!.members })))
    const g = PRODUCT[`${count}×${fitGrowth(per)}`] ?? 'O(n²)'
    if (ORDER.indexOf(g) > ORDER.indexOf(worst)) worst = g
  }
  return worst
}

// ---------------------------------------------------------------- coordinator

async function coordinatorCost(op: MembershipOp, n: number): Promise<CostPoint> {
  const hubIdentity = generateIdentity()
  const hubStore = new MemoryPreKeyStore(hubIdentity)
  hubStore.generateOneTimePreKeys(n + 1)
  const hub = new CoordinatorHub(COORD_GROUP_ID, new PairwiseSessions(hubIdentity, hubStore))
  const newMember = (id: string) => {
    const identity = generateIdentity()
    return new CoordinatorMember(COORD_GROUP_ID, id, new PairwiseSessions(identity, new MemoryPreKeyStore(identity)))
  }
  const existing = op === 'add' ? n - 1 : n
  for (let i = 0; i < existing; i++) {
    const m = newMember(`m${i}`)
    hub.addMember(m.self)
    hub.accept(m.self, m.join(hubStore.bundle()))
  }
  if (op === 'add') {
    const j = newMember('joiner')
    const joiner = await measure(() => j.join(hubStore.bundle()))
    const atHub = await measure(() => {
      hub.addMember('joiner')
      hub.accept('joiner', joiner.value)
    })
    const roles = [
      { role: 'joiner', perMember: totalOps(joiner.ops), members: 1 },
      { role: 'hub', perMember: totalOps(atHub.ops), members: 1 },
      { role: 'members', perMember: 0, members: existing },
    ]
    return { n, roles, total: roles.reduce((s, r) => s + r.perMember * r.members, 0), measured: 2 }
  }
  const atHub = await measure(() => hub.removeMember(`m${n - 1}`))
  const roles = [
    { role: 'hub', perMember: totalOps(atHub.ops), members: 1 },
    { role: 'members', perMember: 0, members: n - 1 },
  ]
  return { n, roles, total: totalOps(atHub.ops), measured: 1 }
}

// ---------------------------------------------------------------- sender keys

async function senderKeysAdd(size: number): Promise<CostPoint> {
  const n = size - 1 // existing members
  const ids = Array.from({ length: n }, (_, i) => `m${i}`)
  const parties = ids.map((id) => skParty(id, 0))
  const groups = parties.map((p) => new SenderKeyGroup(SK_GROUP_ID, p.id, ids, p.sessions))
  const joiner = skParty('joiner', n)
  const jGroup = new SenderKeyGroup(SK_GROUP_ID, 'joiner', [...ids, 'joiner'], joiner.sessions)
  const existing: number[] = new Array(n).fill(0)
  let joinerOps = 0
  // Each existing member opens a session to the joiner and sends it its key.
  for (let i = 0; i < n; i++) {
    const out = await measure(() => {
      parties[i]!.sessions.connect('joiner', joiner.store.bundle())
      return groups[i]!.addMember('joiner')
    })
    existing[i]! += totalOps(out.ops)
    joinerOps += totalOps((await measure(() => jGroup.receiveDistribution(ids[i]!, out.value))).ops)
  }
  // The joiner sends its key to everyone.
  const dist = await measure(() => jGroup.distribute())
  joinerOps += totalOps(dist.ops)
  for (let i = 0; i < n; i++) existing[i]! += totalOps((await measure(() => groups[i]!.receiveDistribution('joiner', dist.value.get(ids[i]!)!))).ops)
  const roles = [
    { role: 'existing', perMember: Math.max(...existing), members: n },
    { role: 'joiner', perMember: joinerOps, members: 1 },
  ]
  return { n: size, roles, total: existing.reduce((a, b) => a + b, 0) + joinerOps, measured: n + 1 }
}

async function senderKeysRemove(n: number): Promise<CostPoint> {
  const ids = Array.from({ length: n }, (_, i) => `m${i}`)
  const victim = ids[n - 1]!
  const remaining = ids.slice(0, n - 1)
  const sampledIds = remaining.slice(0, Math.min(4, remaining.length))
  const sampled = new Set(sampledIds)
  const parties = new Map<string, SkParty>(ids.map((id) => [id, skParty(id, sampled.has(id) ? n : sampledIds.length + 1)]))
  // Sampled members: sessions with everyone; the others: with the sampled ones only.
  for (const s of sampledIds) for (const id of ids) if (id !== s && !(sampled.has(id) && id < s)) skPair(parties.get(s)!, parties.get(id)!)
  const groups = new Map<string, SenderKeyGroup>()
  for (const id of ids) {
    const members = sampled.has(id) ? ids : [...new Set([...sampledIds, id, victim])]
    groups.set(id, new SenderKeyGroup(SK_GROUP_ID, id, members, parties.get(id)!.sessions))
  }
  const cost = new Map<string, number>(sampledIds.map((s) => [s, 0]))
  const inbox: [string, string, Uint8Array][] = []
  for (const id of remaining) {
    const out = await measure(() => groups.get(id)!.removeMember(victim))
    if (sampled.has(id)) cost.set(id, cost.get(id)! + totalOps(out.ops))
    for (const [to, bytes] of out.value) if (sampled.has(to)) inbox.push([id, to, bytes])
  }
  for (const [from, to, bytes] of inbox) cost.set(to, cost.get(to)! + totalOps((await measure(() => groups.get(to)!.receiveDistribution(from, bytes))).ops))
  const per = [...cost.values()]
  const mean = per.reduce((a, b) => a + b, 0) / per.length
  return { n, roles: [{ role: 'each remaining', perMember: Math.max(...per), members: n - 1 }], total: Math.round(mean * (n - 1)), measured: per.length }
}

// ---------------------------------------------------------------- MLS and hybrid

interface LiveMember {
  mls: MlsGroup
  hyb: HybridSession | undefined
}

/** Leaves that join for real: one per subtree of leaf 0's copath, and the sibling subtree starts along the last leaf's path. */
export function liveLeaves(n: number): number[] {
  const out = new Set<number>()
  for (let size = 1; size < n; size *= 2) out.add(size)
  const last = n - 1
  for (let size = 1; size < n; size *= 2) {
    const start = (Math.floor(last / size) ^ 1) * size
    if (start > 0 && start < n) out.add(start)
  }
  return [...out].sort((a, b) => a - b)
}

interface MlsCost {
  readonly mls: CostPoint
  readonly hybrid: CostPoint
}

async function mlsFixture(n: number, hybrid: boolean): Promise<Map<number, LiveMember>> {
  const creator = await MlsGroup.create({ cipherSuite: SUITE, credential: basicCredential('did:talos:m0') })
  const kps = []
  for (let i = 1; i < n; i++) kps.push(await newKeyPackage(`m${i}`))
  const c = await creator.commit({ add: kps.map((k) => k.message) })
  creator.mergePendingCommit()
  const welcome = welcomeOf(c.welcome!)
  const live = new Map<number, LiveMember>([[0, { mls: creator, hyb: undefined }]])
  for (const leaf of liveLeaves(n)) live.set(leaf, { mls: await joinFrom(welcome, kps[leaf - 1]!), hyb: undefined })
  for (const leaf of liveLeaves(n)) {
    const g = live.get(leaf)!.mls
    const cm = await g.commit({})
    g.mergePendingCommit()
    for (const [l, other] of live) if (l !== leaf) await other.mls.processMessage(cm.commit)
  }
  if (hybrid) for (const m of live.values()) m.hyb = HybridSession.create(hybridViewOf(m.mls), { policy: { rekeyMode: 'copath' } })
  return live
}

/** Members represented by live leaf `leaf` in the total: its subtree of leaf 0's copath (minus the removed leaf). */
function weightOf(leaf: number, n: number, removed: number | undefined): number {
  if ((leaf & (leaf - 1)) !== 0) return 0 // not a representative (a sibling-subtree start): measured, not weighted
  const end = Math.min(2 * leaf, n)
  return end - leaf - (removed !== undefined && removed >= leaf && removed < end ? 1 : 0)
}

async function mlsCost(op: MembershipOp, size: number, extend = false): Promise<MlsCost> {
  // add: the group of n-1 gains its n-th member (a free leaf of the width-n tree), or with `extend`
  // the group of n gains an (n+1)-th (the tree doubles); remove: the group of n loses one.
  const n = op === 'add' && !extend ? size - 1 : size
  const live = await mlsFixture(n, true)
  const removed = op === 'remove' ? n - 1 : undefined
  const creator = live.get(0)!
  const joinerKp = op === 'add' ? await newKeyPackage('joiner') : undefined
  // The committer.
  const cm = await measure(async () => {
    const c = await creator.mls.commit(op === 'add' ? { add: [joinerKp!.message] } : { remove: [removed!] })
    creator.mls.mergePendingCommit()
    return c
  })
  const ce = await measure(() => creator.hyb!.enterEpoch(hybridViewOf(creator.mls)))
  const mlsRoles: RoleCost[] = [{ role: 'committer', perMember: totalOps(cm.ops), members: 1 }]
  const hybRoles: RoleCost[] = [{ role: 'committer', perMember: totalOps(cm.ops) + totalOps(ce.ops), members: 1 }]
  let mlsTotal = totalOps(cm.ops)
  let hybTotal = totalOps(cm.ops) + totalOps(ce.ops)
  let worstMls = 0
  let worstHyb = 0
  let others = 0
  for (const [leaf, m] of live) {
    if (leaf === 0 || leaf === removed) continue
    const p = await measure(() => m.mls.processMessage(cm.value.commit))
    const e = await measure(() => m.hyb!.enterEpoch(hybridViewOf(m.mls)))
    const w = weightOf(leaf, n, removed)
    mlsTotal += w * totalOps(p.ops)
    hybTotal += w * (totalOps(p.ops) + totalOps(e.ops))
    others += w
    worstMls = Math.max(worstMls, totalOps(p.ops))
    worstHyb = Math.max(worstHyb, totalOps(p.ops) + totalOps(e.ops))
  }
  mlsRoles.push({ role: 'others', perMember: worstMls, members: others })
  hybRoles.push({ role: 'others', perMember: worstHyb, members: others })
  if (op === 'add') {
    const j = await measure(() => joinFrom(welcomeOf(cm.value.welcome!), joinerKp!))
    const jh = await measure(() => HybridSession.create(hybridViewOf(j.value), { policy: { rekeyMode: 'copath' } }))
    if (j.value.epoch !== creator.mls.epoch) throw new Error('mls cost: joiner diverged')
    mlsRoles.push({ role: 'joiner', perMember: totalOps(j.ops), members: 1 })
    hybRoles.push({ role: 'joiner', perMember: totalOps(j.ops) + totalOps(jh.ops), members: 1 })
    mlsTotal += totalOps(j.ops)
    hybTotal += totalOps(j.ops) + totalOps(jh.ops)
  }
  const measured = live.size - (removed !== undefined && live.has(removed) ? 1 : 0) + (op === 'add' ? 1 : 0)
  return { mls: { n: size, roles: mlsRoles, total: mlsTotal, measured }, hybrid: { n: size, roles: hybRoles, total: hybTotal, measured } }
}

// ---------------------------------------------------------------- observation

const mlsCache = new Map<string, Promise<MlsCost>>()
const extCache = new Map<number, Promise<MlsCost>>()

/** MLS add that doubles the tree (a group of n, n a power of two, gains an (n+1)-th member). */
export async function mlsExtendingAdd(n: number): Promise<MlsCost> {
  installOpCounter()
  return mlsCost('add', n, true)
}

export async function costPoint(column: Column, op: MembershipOp, n: number): Promise<CostPoint | undefined> {
  installOpCounter()
  switch (column) {
    case 'coordinator':
      return coordinatorCost(op, n)
    case 'sender-keys':
      return op === 'add' ? senderKeysAdd(n) : senderKeysRemove(n)
    case 'mls':
    case 'hybrid-copath':
    case 'hybrid-pairwise': {
      const key = `${op}/${n}`
      let p = mlsCache.get(key)
      if (p === undefined) mlsCache.set(key, (p = mlsCost(op, n)))
      const r = await p
      return column === 'mls' ? r.mls : r.hybrid
    }
    case 'double-ratchet':
      return undefined
  }
}

export async function observeCost(column: Column, op: MembershipOp, sizes: readonly number[], progress?: (s: string) => void): Promise<Observation> {
  const row = op === 'add' ? 'add-cost' : 'remove-cost'
  if (column === 'double-ratchet') {
    return { row, column, value: 'n/a (two parties)', scenario: 'a 1:1 session has no members to add or remove', evidence: [] }
  }
  const points: CostPoint[] = []
  for (const n of sizes) {
    const t0 = performance.now()
    points.push((await costPoint(column, op, n))!)
    progress?.(`${column} ${op} n=${n}: total ${points.at(-1)!.total} ops (${Math.round(performance.now() - t0)} ms)`)
  }
  const roleNames = points[0]!.roles.map((r) => r.role)
  const fits = roleNames.map((role) => {
    const ys = points.map((p) => ({ n: p.n, y: p.roles.find((r) => r.role === role)!.perMember }))
    return { role, fit: ys.every((p) => p.y === 0) ? 'none' : fitGrowth(ys) }
  })
  const total = totalGrowth(points)
  const value = [...fits.map((f) => `${f.role} ${f.fit === 'none' ? '0' : f.fit}`), `total ${total}`].join('; ')
  const evidence = points.map(
    (p) => `n=${p.n}: ${p.roles.map((r) => `${r.role} ${r.perMember}`).join(', ')}; total ${p.total} (members measured: ${p.measured})`,
  )
  if (op === 'add' && (column === 'mls' || column.startsWith('hybrid'))) {
    const ext: CostPoint[] = []
    for (const n of sizes) {
      let p = extCache.get(n)
      if (p === undefined) extCache.set(n, (p = mlsExtendingAdd(n)))
      ext.push(column === 'mls' ? (await p).mls : (await p).hybrid)
    }
    const extFits = ext[0]!.roles.map((r) => `${r.role} ${fitGrowth(ext.map((p) => ({ n: p.n, y: p.roles.find((x) => x.role === r.role)!.perMember })))}`)
    evidence.push(`add that doubles the tree (a group of n gains an (n+1)-th member): ${extFits.join('; ')}; total ${totalGrowth(ext)}`)
    for (const p of ext) evidence.push(`  doubling n=${p.n}: ${p.roles.map((r) => `${r.role} ${r.perMember}`).join(', ')}; total ${p.total}`)
  }
  return {
    row,
    column,
    value,
    scenario: `${op === 'add' ? 'a group of n-1 gains its n-th member' : 'a group of n loses one member'}, n = ${sizes.join(', ')}; primitive calls counted per member (ops.ts); fitted per role (worst member) and in total`,
    evidence,
  }
}
