/**
 * Sender keys (src/senderkeys), 1 KiB messages, bytes to bytes.
 *
 *   per message  encrypt = chain step (2 HMAC) + message keys (HKDF-Expand) +
 *                ChaCha20-Poly1305 seal + Ed25519 signature + Protobuf;
 *                decrypt = decode + window check + Ed25519 verify + the same
 *                KDFs + open. The floor rows run only the primitives (same
 *                libsodium calls, same sizes) in the same run: the target is
 *                encrypt and decrypt within 1.15x of their floor.
 *   distribution rotate (new chain key, key id, Ed25519 key pair) and
 *                rotate-and-distribute at n = 16 (15 Double Ratchet messages,
 *                chain steps), receive one distribution (DR decrypt + install).
 *   removal      whole-group CPU to remove one member: every remaining member
 *                rotates and sends its key to the n-2 others over two-party
 *                sessions; each receiver decrypts and installs it. Measured
 *                directly as process CPU time (single thread, all members in
 *                one process; wall time reported beside it) at n = 16
 *                and n = 128 (not in --quick), on a group whose sessions are in
 *                steady state (a first removal is run and not counted). Two
 *                schedules: concurrent (everyone rotates and sends, then everyone
 *                receives: each pair has one DH turn) and sequential (each
 *                member's messages are delivered before the next member sends:
 *                every message is a DH turn, the worst case). The concurrent
 *                schedule does the work libsignal's "one DH turn per pair"
 *                model counts, the sequential one its "DH step every message"
 *                model; the main report compares chain steps only (no DH turn)
 *                with libsignal's chain-step model (its 1.57 s at n = 128). n = 1024 is
 *                modelled: (n-1) x rotate + (n-1)(n-2) x (per-message cost
 *                measured at the largest n run directly).
 *
 * coordinator  for scale, the baseline hub's cost to relay one 1 KiB message
 *              (1 DR decrypt + n-1 DR encrypts; the member's send is included).
 *
 * LIBSIGNAL HOOK: side-by-side rows and the remove-member model come from
 * bench/peers/libsignal.ts; without the native module they are left out and
 * the notes say so.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { aead } from '../src/crypto/aead.js'
import { secureRandom, x25519, x25519Generate } from '../src/crypto/dh.js'
import { ed25519 } from '../src/crypto/signature/ed25519.js'
import { generateIdentity } from '../src/ratchet/identity.js'
import { ratchetCounters } from '../src/ratchet/kdf.js'
import { MemoryPreKeyStore } from '../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../src/ratchet/sessions.js'
import { senderChainStep, senderMessageKeys } from '../src/senderkeys/chain.js'
import { CoordinatorHub } from '../src/coordinator/hub.js'
import { CoordinatorMember } from '../src/coordinator/member.js'
import { SenderKeyGroup } from '../src/senderkeys/group.js'
import { newOwnState } from '../src/senderkeys/state.js'
import { RESULTS_DIR, registerSuite, type BenchMode, type BenchTask, type TaskResult } from './harness.js'
import { loadLibsignal, makeParty, measureLibsignal, removeModelTable, type RemoveModelRow } from './peers/libsignal.js'
import { writeResult, emptyResults } from './peers/common.js'

const KIB = secureRandom(1024)
const GROUP = new TextEncoder().encode('bench group')
const chacha = aead('CHACHA20POLY1305')
const STARTED = Date.now()

interface Member {
  readonly id: string
  readonly sessions: PairwiseSessions
  readonly store: MemoryPreKeyStore
  readonly group: SenderKeyGroup
}

/** n members, a session between every pair (confirmed both ways), every key distributed. */
function buildGroup(n: number): Member[] {
  const parties = Array.from({ length: n }, (_, i) => {
    const identity = generateIdentity()
    const store = new MemoryPreKeyStore(identity)
    store.generateOneTimePreKeys(n)
    return { id: `m${i}`, sessions: new PairwiseSessions(identity, store), store }
  })
  const hello = new Uint8Array(8)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = parties[i]!
      const b = parties[j]!
      a.sessions.connect(b.id, b.store.bundle())
      b.sessions.decrypt(a.id, a.sessions.encrypt(b.id, hello))
      a.sessions.decrypt(b.id, b.sessions.encrypt(a.id, hello))
    }
  }
  const ids = parties.map((p) => p.id)
  const members = parties.map((p) => ({ ...p, group: new SenderKeyGroup(GROUP, p.id, ids, p.sessions) }))
  const byId = new Map(members.map((m) => [m.id, m]))
  for (const m of members) for (const [to, msg] of m.group.distribute()) byId.get(to)!.group.receiveDistribution(m.id, msg)
  return members
}

interface RemovalRun {
  readonly n: number
  readonly schedule: 'concurrent' | 'sequential'
  /** Process CPU time (user + system, GC helper threads included) over the removal, µs. */
  readonly totalUs: number
  readonly rotateAndSendUs: number
  readonly receiveUs: number
  /** Wall time over the removal, µs: on a loaded machine well above the CPU time. */
  readonly wallUs: number
  readonly messages: number
  readonly dhTurns: number
}

/** Process CPU time so far, µs. */
function cpuNow(): number {
  const c = process.cpuUsage()
  return c.user + c.system
}

/**
 * Removes the last member of `members` (mutating the array); returns the
 * whole-group CPU of it. CPU time, not wall time: on a shared machine the
 * wall time of a multi-second run includes time the process was not
 * scheduled (and a parallel scavenge waiting for its helper threads).
 */
function removeLast(members: Member[], schedule: RemovalRun['schedule']): RemovalRun {
  const n = members.length
  const removed = members.pop()!
  const byId = new Map(members.map((m) => [m.id, m]))
  const dh0 = ratchetCounters.dh
  const wall0 = performance.now()
  let send = 0
  let recv = 0
  let messages = 0
  const deliver = (from: string, out: Map<string, Uint8Array>): void => {
    const t = cpuNow()
    for (const [to, msg] of out) byId.get(to)!.group.receiveDistribution(from, msg)
    recv += cpuNow() - t
    messages += out.size
  }
  const outs: [string, Map<string, Uint8Array>][] = []
  for (const m of members) {
    const t = cpuNow()
    const out = m.group.removeMember(removed.id)
    send += cpuNow() - t
    if (schedule === 'sequential') deliver(m.id, out)
    else outs.push([m.id, out])
  }
  for (const [from, out] of outs) deliver(from, out)
  const wallUs = (performance.now() - wall0) * 1000
  // A DH turn is one DH on each side (sending half + receiving half).
  return { n, schedule, totalUs: send + recv, rotateAndSendUs: send, receiveUs: recv, wallUs, messages, dhTurns: (ratchetCounters.dh - dh0) / 2 }
}

/**
 * A full garbage collection, so that the garbage of building an n-member group
 * (every member's sessions, in this one process) is not charged to the
 * removal measured next. The flag is set at run time so the suite needs no
 * node option.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  gc?.()
}

/** Two removals on a fresh group: the first brings the sessions to steady state and is not reported. */
function measureRemoval(n: number, schedule: RemovalRun['schedule']): RemovalRun {
  const members = buildGroup(n + 1)
  removeLast(members, schedule)
  collectGarbage()
  return removeLast(members, schedule)
}

let removalNote = ''

function fmtMs(us: number): string {
  return us >= 1e6 ? `${(us / 1e6).toFixed(2)} s` : `${(us / 1000).toFixed(1)} ms`
}

function libsignalModel(mode: BenchMode): Promise<RemoveModelRow[] | string> {
  // Reuse the libsignal suite's model if it ran earlier in this same process (npm run bench).
  const file = join(RESULTS_DIR, 'libsignal-model.json')
  if (existsSync(file)) {
    const body = JSON.parse(readFileSync(file, 'utf8')) as { machine: { date: string }; extra?: { removeModel?: RemoveModelRow[] } }
    if (Date.parse(body.machine.date) >= STARTED && body.extra?.removeModel) return Promise.resolve(body.extra.removeModel)
  }
  return loadLibsignal().then(async (l) => {
    if ('error' in l) return `libsignal model absent: @signalapp/libsignal-client did not load (${l.error}).`
    const m = await measureLibsignal({ mode, simulateAt: 0, progress: false })
    return m.removeModel
  })
}

/** Median µs of `f` over a few hundred calls (unit costs for the notes). */
function unitUs(f: () => unknown, n = 300): number {
  for (let k = 0; k < 50; k++) f()
  const xs: number[] = []
  for (let k = 0; k < n; k++) {
    const t = performance.now()
    f()
    xs.push((performance.now() - t) * 1000)
  }
  xs.sort((a, b) => a - b)
  return xs[Math.floor(n / 2)]!
}

async function removalSection(mode: BenchMode, rotateUs: number): Promise<void> {
  const sizes = mode === 'quick' ? [16] : [16, 128]
  const runs: RemovalRun[] = []
  for (const n of sizes) {
    for (const schedule of ['concurrent', 'sequential'] as const) {
      const r = measureRemoval(n, schedule)
      runs.push(r)
      process.stderr.write(`  [senderkeys] removal n=${n} ${schedule}: CPU ${fmtMs(r.totalUs)}, wall ${fmtMs(r.wallUs)} (${r.messages} messages, ${r.dhTurns} DH turns, load ${loadavg()[0]!.toFixed(1)})\n`)
    }
  }
  const largest = Math.max(...sizes)
  const model = (n: number, schedule: RemovalRun['schedule']): number => {
    const base = runs.find((r) => r.n === largest && r.schedule === schedule)!
    const perMessage = (base.totalUs - (base.n - 1) * rotateUs) / base.messages
    return (n - 1) * rotateUs + (n - 1) * (n - 2) * perMessage
  }
  const lib = await libsignalModel(mode)
  const libRow = (n: number): RemoveModelRow | undefined => (typeof lib === 'string' ? undefined : lib.find((r) => r.n === n))
  // The libsignal model row that counts the same work as each of our schedules.
  const libFor = (l: RemoveModelRow | undefined, schedule: RemovalRun['schedule']): string => {
    if (l === undefined) return '-'
    const same = schedule === 'concurrent' ? l.wholeGroupTurnUs : l.wholeGroupDhUs
    return `${same === undefined ? '-' : fmtMs(same)} (chain steps only: ${fmtMs(l.wholeGroupUs)})`
  }
  const lines = [
    '| n | schedule | whole-group CPU | rotate+send | receive | wall | messages | DH turns | libsignal model, same DH turns (chain steps only) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const r of runs) {
    const l = libRow(r.n)
    lines.push(
      `| ${r.n} | ${r.schedule}, measured | ${fmtMs(r.totalUs)} | ${fmtMs(r.rotateAndSendUs)} | ${fmtMs(r.receiveUs)} | ${fmtMs(r.wallUs)} | ${r.messages} | ${r.dhTurns} | ${libFor(l, r.schedule)} |`,
    )
  }
  for (const n of [16, 128, 1024].filter((x) => !sizes.includes(x) || x !== largest)) {
    const l = libRow(n)
    for (const schedule of ['concurrent', 'sequential'] as const) {
      lines.push(
        `| ${n} | ${schedule}, model from n = ${largest} | ${fmtMs(model(n, schedule))} | | | | ${(n - 1) * (n - 2)} | ${schedule === 'concurrent' ? ((n - 1) * (n - 2)) / 2 : (n - 1) * (n - 2)} | ${libFor(l, schedule)} |`,
      )
    }
  }
  const peer = x25519Generate()
  const genUs = unitUs(() => x25519Generate())
  const dhUs = unitUs(() => x25519(peer.privateKey, x25519Generate().publicKey)) - genUs
  const turnFloor = (n: number): number => (((n - 1) * (n - 2)) / 2) * (genUs + 2 * dhUs)
  removalNote =
    'Removal of one member, whole-group CPU (every member in one process, one thread; process CPU time, user + system, so GC helper threads count and time spent descheduled on a loaded machine does not; wall time beside it; a full GC runs before the measured removal so the group set-up\'s garbage is not charged to it). ' +
    `Each pair of remaining members exchanges two distributions, and at least one of the two is a Double Ratchet turn ` +
    `(a fresh X25519 key pair and one DH on each side: ${genUs.toFixed(0)} + 2 x ${dhUs.toFixed(0)} µs here, public-key import included). ` +
    `Those turns alone cost ${fmtMs(turnFloor(128))} at n = 128 in the concurrent schedule (twice that in the sequential one), ` +
    'before any symmetric work: the floor of any design that runs sender-key distribution over a Double Ratchet that takes a DH step on every turn. ' +
    `Model: (n-1) x rotate (${rotateUs.toFixed(0)} µs, row above) + (n-1)(n-2) x the per-message cost of the n = ${largest} run. ` +
    'What is compared with what: the concurrent schedule has one DH turn per pair (half the distributions take a DH step on both sides), ' +
    'which is the libsignal model\'s "one DH turn per pair" column (half its session messages ping-pong ones); the sequential schedule, ' +
    'a DH step on every message, is its "DH step every message" column. The main report (npm run bench, section 3 and the libsignal section) ' +
    'counts every distribution as a chain step, no DH turn, as libsignal\'s chain-step model does (the 1.57 s at n = 128 quoted for libsignal ' +
    'is that lower bound). In this suite every member lives in one process, so the heap holds all n members\' sessions (n(n-1) of them): ' +
    'garbage collection costs more here than in any one member\'s process.\n\n' +
    lines.join('\n') +
    (typeof lib === 'string' ? `\n\n${lib}` : `\n\nlibsignal remove model (same run):\n\n${removeModelTable({ removeModel: lib })}`)
  writeResult('senderkeys-removal', emptyResults(), mode, { runs, model: { sizes: [16, 128, 1024], rotateUs } })
}

const FLOOR_ENC = 'floor: encrypt = chain step + message keys + AEAD seal 1 KiB + Ed25519 sign'
const FLOOR_DEC = 'floor: decrypt = Ed25519 verify + chain step + message keys + AEAD open 1 KiB'

/** The primitives alone, with the same libsodium calls and sizes as a real message. */
function floorFns(): { enc: () => unknown; dec: () => unknown } {
  const sk = ed25519.generateKeyPair()
  const ad = secureRandom(48)
  let ck = secureRandom(32)
  let it = 0
  const ct = chacha.seal(secureRandom(32), secureRandom(12), ad, KIB)
  const tbs = new Uint8Array(ct.length + 64)
  const sig = ed25519.sign(sk.privateKey, tbs)
  return {
    enc: () => {
      const s = senderChainStep(ck)
      ck = s.chainKey
      const k = senderMessageKeys(s.seed, it++)
      return ed25519.sign(sk.privateKey, chacha.seal(k.key, k.nonce, ad, KIB))
    },
    dec: () => {
      if (!ed25519.verify(sk.publicKey, tbs, sig)) throw new Error('floor verify')
      const s = senderChainStep(ck)
      ck = s.chainKey
      const k = senderMessageKeys(s.seed, it++)
      try {
        chacha.open(k.key, k.nonce, ad, ct)
      } catch {
        // a different key each time: the open runs in full and fails on the tag, as a real one costs
      }
    },
  }
}

/** SenderKeyGroup.encrypt and .decrypt (a pool replayed in order, the receiver restored when it wraps). */
function messageFns(): { enc: () => unknown; dec: () => unknown } {
  const [a, b] = buildGroup(2) as [Member, Member]
  const snapshot = b.group.serialize()
  const pool = Array.from({ length: 2048 }, () => a.group.encrypt(KIB))
  let g = SenderKeyGroup.deserialize(snapshot, b.sessions)
  let i = 0
  return {
    enc: () => a.group.encrypt(KIB),
    dec: () => {
      if (i === pool.length) {
        g = SenderKeyGroup.deserialize(snapshot, b.sessions)
        i = 0
      }
      return g.decrypt(pool[i++]!)
    },
  }
}

/**
 * On a shared machine the load drifts between two tinybench tasks; this
 * alternates blocks of ours and the floor and takes the median of the
 * per-block ratios, which drift cancels out of.
 */
function pairedRatio(ours: () => unknown, floor: () => unknown, blocks: number, perBlock: number): number {
  const time = (f: () => unknown): number => {
    const t = performance.now()
    for (let k = 0; k < perBlock; k++) f()
    return performance.now() - t
  }
  for (let k = 0; k < 3; k++) {
    time(ours)
    time(floor)
  }
  const ratios: number[] = []
  for (let k = 0; k < blocks; k++) ratios.push(time(ours) / time(floor))
  ratios.sort((x, y) => x - y)
  return ratios[Math.floor(ratios.length / 2)]!
}

let pairedNote = ''

function distributionTasks(): BenchTask[] {
  const g16 = buildGroup(16)
  const [x, y] = buildGroup(2) as [Member, Member]
  const sessionsSnap = y.sessions.exportRecords()
  const groupSnap = y.group.serialize()
  const pool = Array.from({ length: 512 }, () => x.group.rotateAndDistribute().get(y.id)!)
  let yg = y.group
  let i = 0
  return [
    { name: 'SK rotate (chain key, key id, Ed25519 key pair)', fn: () => newOwnState('m0') },
    { name: 'SK rotateAndDistribute, n = 16 (15 DR messages, chain steps)', fn: () => g16[0]!.group.rotateAndDistribute() },
    {
      name: 'SK receive one distribution (DR decrypt, chain step + install)',
      fn: () => {
        if (i === pool.length) {
          yg = SenderKeyGroup.deserialize(groupSnap, PairwiseSessions.restore(y.sessions.identity, y.store, sessionsSnap))
          i = 0
        }
        yg.receiveDistribution(x.id, pool[i++]!)
      },
    },
  ]
}

/**
 * The coordinator baseline for scale: what the hub spends to relay one 1 KiB
 * message (1 DR decrypt + n-1 DR encrypts), against one sender-key encrypt.
 */
function coordinatorTasks(sizes: readonly number[]): BenchTask[] {
  return sizes.map((n) => {
    const hubIdentity = generateIdentity()
    const hubStore = new MemoryPreKeyStore(hubIdentity)
    const hub = new CoordinatorHub(GROUP, new PairwiseSessions(hubIdentity, hubStore))
    const members = Array.from({ length: n }, (_, i) => {
      const identity = generateIdentity()
      const m = new CoordinatorMember(GROUP, `c${i}`, new PairwiseSessions(identity, new MemoryPreKeyStore(identity)))
      hub.addMember(m.self)
      hub.accept(m.self, m.join(hubStore.bundle()))
      return m
    })
    const sender = members[0]!
    return { name: `coordinator: hub relays 1 KiB to n-1 = ${n - 1} members`, fn: () => hub.relay(sender.self, sender.send(KIB)) }
  })
}

// ---- LIBSIGNAL HOOK -----------------------------------------------------
let libsignalNote = ''

async function libsignalTasks(): Promise<BenchTask[]> {
  const loaded = await loadLibsignal()
  if ('error' in loaded) {
    libsignalNote = `libsignal rows absent: @signalapp/libsignal-client did not load (${loaded.error}).`
    return []
  }
  libsignalNote = ''
  const { lib } = loaded
  const pt = KIB.slice() as Uint8Array<ArrayBuffer>
  const alice = makeParty(lib, 'skA')
  const bob = makeParty(lib, 'skB')
  const dist = crypto.randomUUID()
  const skdm = await lib.SenderKeyDistributionMessage.create(alice.address, dist, alice.senderKeys)
  await lib.processSenderKeyDistributionMessage(alice.address, lib.SenderKeyDistributionMessage.deserialize(skdm.serialize()), bob.senderKeys)
  const recKey = `${alice.address.name()}.${alice.address.deviceId()}/${dist}`
  const snap = bob.senderKeys.records.get(recKey)!.serialize()
  const pool: Uint8Array<ArrayBuffer>[] = []
  for (let k = 0; k < 2048; k++) pool.push((await lib.groupEncrypt(alice.address, dist, alice.senderKeys, pt)).serialize())
  let i = 0
  return [
    { name: 'libsignal: sender key encrypt 1 KiB', fn: async () => (await lib.groupEncrypt(alice.address, dist, alice.senderKeys, pt)).serialize() },
    {
      name: 'libsignal: sender key decrypt 1 KiB',
      fn: () => {
        if (i === pool.length) {
          bob.senderKeys.records.set(recKey, lib.SenderKeyRecord.deserialize(snap))
          i = 0
        }
        return lib.groupDecrypt(alice.address, bob.senderKeys, pool[i++]!)
      },
    },
    { name: 'libsignal: SKDM create (new sender key)', fn: () => lib.SenderKeyDistributionMessage.create(alice.address, crypto.randomUUID(), alice.senderKeys) },
  ]
}

function notes(results: readonly TaskResult[]): string {
  const med = (prefix: string): number | undefined => results.find((r) => r.task.startsWith(prefix))?.medianUs
  const ratio = (a?: number, b?: number): string => (a !== undefined && b !== undefined ? (a / b).toFixed(3) : 'n/a')
  const enc = med('SK encrypt')
  const dec = med('SK decrypt')
  const parts = [
    `Per message against the floor measured in this run (medians of the rows above): encrypt ${ratio(enc, med('floor: encrypt'))}x, decrypt ${ratio(dec, med('floor: decrypt'))}x (target: within 1.15x).`,
    pairedNote,
  ]
  const le = med('libsignal: sender key encrypt')
  const ld = med('libsignal: sender key decrypt')
  if (le !== undefined && ld !== undefined) {
    parts.push(`Against libsignal-client in this run: encrypt ${ratio(enc, le)}x, decrypt ${ratio(dec, ld)}x (talos / libsignal).`)
  }
  if (libsignalNote) parts.push(libsignalNote)
  if (removalNote) parts.push('', removalNote)
  return parts.join('\n')
}

registerSuite({
  name: 'senderkeys',
  title: 'Sender keys: per message (1 KiB), distribution, member removal',
  notes,
  tasks: async (mode) => {
    removalNote = ''
    const rotate = newOwnState
    // Rotation's unit cost for the removal model, measured here (the table row is measured again by the harness).
    for (let k = 0; k < 50; k++) rotate('warm')
    const t0 = performance.now()
    for (let k = 0; k < 200; k++) rotate('m')
    const rotateUs = ((performance.now() - t0) * 1000) / 200
    await removalSection(mode, rotateUs)
    const ours = messageFns()
    const floor = floorFns()
    const blocks = mode === 'quick' ? 5 : mode === 'full' ? 41 : 15
    const perBlock = mode === 'quick' ? 50 : 200
    pairedNote =
      `Paired (alternating blocks of ${perBlock}, median of ${blocks} block ratios): encrypt ` +
      `${pairedRatio(ours.enc, floor.enc, blocks, perBlock).toFixed(3)}x, decrypt ${pairedRatio(ours.dec, floor.dec, blocks, perBlock).toFixed(3)}x the floor.`
    return [
      { name: 'SK encrypt 1 KiB', fn: ours.enc },
      { name: 'SK decrypt 1 KiB', fn: ours.dec },
      { name: FLOOR_ENC, fn: floor.enc },
      { name: FLOOR_DEC, fn: floor.dec },
      ...distributionTasks(),
      ...coordinatorTasks(mode === 'quick' ? [16] : [16, 128]),
      ...(await libsignalTasks()),
    ]
  },
})
