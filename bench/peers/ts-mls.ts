/**
 * Peer benchmark: ts-mls 1.6.4 (TypeScript MLS), driven through
 * test/helpers/ts-mls-driver.ts with ts-mls's default crypto provider, so the
 * MLS bench can print our numbers, ts-mls's and the ratio side by side.
 *
 * Every operation is measured bytes to bytes, as an application sees it:
 * encrypt returns an encoded MLSMessage, decrypt and process start from one;
 * commit creation includes encoding the commit (and the Welcome for an add).
 *
 * Group shape (default 'populated'): the creator ("alice", leaf 0) makes the
 * group, then one commit adds the n-1 other members from their KeyPackages
 * (the fastest legitimate way to reach n; adds carry no path in ts-mls), and
 * "bob" (leaf 1) joins from that Welcome. That leaves every parent node blank.
 * Then the members at leaves 1, 2, 4, 8, ... n/2 and at the leftmost leaf of
 * each sibling subtree along the last leaf's path commit an empty commit with
 * a path, in turn, each processed by alice and bob (about 2 log2 n commits):
 * afterwards the copath of leaf 0 and the siblings along the last leaf's path
 * are non-blank, as in a full tree (the steady state of an active group, and
 * the shape bench/mls-tree.ts uses), so a path commit from leaf 0 encrypts to
 * log2 n nodes and the removal of the last leaf to about 2 log2 n. The
 * members other than alice and bob never join for real: they commit from the
 * group's public state with their own leaf and signature keys
 * (TsMlsMember.asMember), which is the state they would hold.
 * Shape 'sparse' skips the populating commits: every path commit from leaf 0
 * then encrypts to each of the other n-1 leaves.
 *
 * Operations at group size n (members before the operation):
 *   encrypt 1 KiB     alice encrypts a 1 KiB application message (state threaded: one ratchet step per op)
 *   decrypt 1 KiB     bob decrypts message #1 from a state that has already read #0 (one ratchet step)
 *   commit add        alice commits one Add (Welcome for the new member included)
 *   process add       bob processes that commit
 *   join (Welcome)    the new member joins from that Welcome (group of n+1; tree from the ratchet_tree extension)
 *   commit update     alice commits an empty commit with a path
 *   process update    bob processes it
 *   commit remove     alice removes the last leaf (commit with a path)
 *   process remove    bob processes it (n >= 3: at n = 2 bob is the one removed)
 * Each op starts from the same immutable ts-mls state (ts-mls states are values).
 */
import { Bench } from 'tinybench'
import { createGroup, createKeyPackage, joinFromWelcome, type TsMlsMember, type TsMlsProvider } from '../../test/helpers/ts-mls-driver.js'
import { emptyResults, peerStat, readResult, readSuiteRows, registerSuite, setPeer, statOfRow, writeResult, type BenchMode, type BenchTask, type PeerResults } from './common.js'

export const TS_MLS_OPS = [
  'encrypt 1 KiB',
  'decrypt 1 KiB',
  'commit add',
  'process add',
  'join (Welcome)',
  'commit update',
  'process update',
  'commit remove',
  'process remove',
] as const
export type TsMlsOp = (typeof TS_MLS_OPS)[number]

/** The provider the headline rows use. */
export const DEFAULT_PROVIDER: TsMlsProvider = 'default'

/** 'populated': parent nodes on the measured paths are non-blank (as in a full tree); 'sparse': all blank. */
export type TsMlsShape = 'populated' | 'sparse'
export const DEFAULT_SHAPE: TsMlsShape = 'populated'

/**
 * Leaves whose path commits make the copath of leaf 0 and the siblings along
 * the last leaf's path non-blank: the leftmost leaf of each such subtree.
 */
export function populatingCommitters(n: number): number[] {
  const out = new Set<number>()
  for (let size = 1; size < n; size *= 2) out.add(size) // copath of leaf 0: subtrees [size, 2 size)
  const last = n - 1
  for (let size = 2; size < n; size *= 2) {
    const start = ((Math.floor(last / size) ^ 1) * size) // sibling subtree at this level
    if (start < n && start !== 0) out.add(start)
  }
  return [...out].sort((a, b) => a - b)
}

interface Fixture {
  readonly n: number
  readonly suite: number
  readonly provider: TsMlsProvider
  readonly alice: TsMlsMember
  readonly bob: TsMlsMember
  readonly addCommit: Uint8Array
  readonly addWelcome: Uint8Array
  readonly addKp: Awaited<ReturnType<typeof createKeyPackage>>
  readonly updateCommit: Uint8Array
  readonly removeCommit: Uint8Array
  /** alice, after sending message #0: sends the next ones. */
  readonly sender: TsMlsMember
  /** bob, after reading message #0. */
  readonly receiver: TsMlsMember
  readonly message1: Uint8Array
}

const fixtures = new Map<string, Promise<Fixture>>()

/** Builds (once per process) an n-member ts-mls group and the messages the ops replay. */
export function tsMlsFixture(
  suite: number,
  n: number,
  provider: TsMlsProvider = DEFAULT_PROVIDER,
  shape: TsMlsShape = DEFAULT_SHAPE,
): Promise<Fixture> {
  if (n < 2) throw new Error('ts-mls bench: n must be at least 2')
  const key = `${suite}/${n}/${provider}/${shape}`
  let f = fixtures.get(key)
  if (f === undefined) {
    f = buildFixture(suite, n, provider, shape)
    fixtures.set(key, f)
  }
  return f
}

async function buildFixture(suite: number, n: number, provider: TsMlsProvider, shape: TsMlsShape): Promise<Fixture> {
  const alice = await createGroup(suite, 'alice', undefined, { provider })
  const kps = []
  for (let i = 1; i < n; i++) kps.push(await createKeyPackage(suite, i === 1 ? 'bob' : `member-${i}`, { provider }))
  const { welcome } = await alice.add(kps.map((k) => k.bytes))
  if (welcome === undefined) throw new Error('ts-mls bench: no Welcome')
  const bob = await joinFromWelcome(welcome, kps[0]!)
  if (shape === 'populated') {
    for (const leaf of populatingCommitters(n)) {
      const committer = leaf === 1 ? bob : alice.asMember(leaf, kps[leaf - 1]!)
      const { commit } = await committer.update()
      await alice.receive(commit)
      if (leaf !== 1) await bob.receive(commit)
    }
    if (Buffer.compare(alice.epochAuthenticator, bob.epochAuthenticator) !== 0) throw new Error('ts-mls bench: set-up diverged')
  }

  const addKp = await createKeyPackage(suite, 'newcomer', { provider })
  const added = await alice.fork().add([addKp.bytes])
  const updateCommit = (await alice.fork().update()).commit
  const removeCommit = (await alice.fork().remove([n - 1])).commit

  const pt = crypto.getRandomValues(new Uint8Array(1024))
  const sender = alice.fork()
  const receiver = bob.fork()
  await receiver.receive(await sender.send(pt))
  const message1 = await sender.fork().send(pt)

  // Sanity: each replayed message is accepted once before it is timed.
  const check = [
    receiver.fork().receive(message1),
    bob.fork().receive(added.commit),
    bob.fork().receive(updateCommit),
    joinFromWelcome(added.welcome!, addKp),
  ]
  if (n > 2) check.push(bob.fork().receive(removeCommit))
  await Promise.all(check)

  return {
    n,
    suite,
    provider,
    alice,
    bob,
    addCommit: added.commit,
    addWelcome: added.welcome!,
    addKp,
    updateCommit,
    removeCommit,
    sender,
    receiver,
    message1,
  }
}

export function tsMlsTaskName(suite: number, op: TsMlsOp, n: number, provider: TsMlsProvider = DEFAULT_PROVIDER): string {
  return `ts-mls${provider === DEFAULT_PROVIDER ? '' : ` (${provider})`} s${suite} n=${n} ${op}`
}

/** The timed operations for one group size, each a closure over the fixture. */
export async function tsMlsTasks(
  suite: number,
  n: number,
  ops: readonly TsMlsOp[] = TS_MLS_OPS,
  provider: TsMlsProvider = DEFAULT_PROVIDER,
  shape: TsMlsShape = DEFAULT_SHAPE,
): Promise<{ op: TsMlsOp; task: BenchTask }[]> {
  const f = await tsMlsFixture(suite, n, provider, shape)
  const pt = crypto.getRandomValues(new Uint8Array(1024))
  const sending = f.sender.fork()
  const all: Record<TsMlsOp, (() => Promise<unknown>) | undefined> = {
    'encrypt 1 KiB': () => sending.send(pt),
    'decrypt 1 KiB': () => f.receiver.fork().receive(f.message1),
    'commit add': () => f.alice.fork().add([f.addKp.bytes]),
    'process add': () => f.bob.fork().receive(f.addCommit),
    'join (Welcome)': () => joinFromWelcome(f.addWelcome, f.addKp),
    'commit update': () => f.alice.fork().update(),
    'process update': () => f.bob.fork().receive(f.updateCommit),
    'commit remove': () => f.alice.fork().remove([n - 1]),
    'process remove': n > 2 ? () => f.bob.fork().receive(f.removeCommit) : undefined,
  }
  const out: { op: TsMlsOp; task: BenchTask }[] = []
  for (const op of ops) {
    const fn = all[op]
    if (fn !== undefined) out.push({ op, task: { name: tsMlsTaskName(suite, op, n, provider), fn } })
  }
  return out
}

export interface MeasureOptions {
  /** RFC 9420 cipher suite id (default 3). */
  readonly suite?: number
  /** Sample budget as in the harness (default 'default'); groups of 512 and more always take few samples. */
  readonly mode?: BenchMode
  readonly ops?: readonly TsMlsOp[]
  /** ts-mls crypto provider (default: DEFAULT_PROVIDER). */
  readonly provider?: TsMlsProvider
  /** Tree shape (default DEFAULT_SHAPE). */
  readonly shape?: TsMlsShape
  /** Progress lines on stderr (default true). */
  readonly progress?: boolean
}

const SETTINGS: Record<BenchMode, { time: number; iterations: number; warmupTime: number; warmupIterations: number }> = {
  quick: { time: 20, iterations: 5, warmupTime: 5, warmupIterations: 2 },
  default: { time: 300, iterations: 32, warmupTime: 50, warmupIterations: 8 },
  full: { time: 2000, iterations: 200, warmupTime: 300, warmupIterations: 32 },
}
/** Large groups: about a second per commit in ts-mls, so a handful of samples. */
const LARGE: Record<BenchMode, { time: number; iterations: number; warmupTime: number; warmupIterations: number }> = {
  quick: { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 },
  default: { time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1 },
  full: { time: 0, iterations: 12, warmupTime: 0, warmupIterations: 2 },
}

/**
 * Measures ts-mls at each group size. Returns op -> n -> stats (µs).
 * Message ops at n >= 512 use the normal budget (they are cheap); commit ops there use few samples.
 */
export async function measureTsMls(sizes: readonly number[], opts: MeasureOptions = {}): Promise<PeerResults<TsMlsOp>> {
  const suite = opts.suite ?? 3
  const mode = opts.mode ?? 'default'
  const results = emptyResults<TsMlsOp>()
  for (const n of sizes) {
    const t0 = performance.now()
    const tasks = await tsMlsTasks(suite, n, opts.ops, opts.provider, opts.shape)
    if (opts.progress !== false) process.stderr.write(`  [ts-mls] s${suite} n=${n}: group built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
    for (const { op, task } of tasks) {
      const cheap = op === 'encrypt 1 KiB' || op === 'decrypt 1 KiB'
      const bench = new Bench({ name: task.name, throws: true, ...(n >= 512 && !cheap ? LARGE[mode] : SETTINGS[mode]) })
      bench.add(task.name, task.fn)
      await bench.run()
      const r = bench.tasks[0]?.result
      if (r === undefined || !('latency' in r)) throw new Error(`ts-mls bench: ${task.name} produced no result`)
      const stat = peerStat(r.latency)
      setPeer(results, op, n, stat)
      if (opts.progress !== false) process.stderr.write(`  [ts-mls] ${task.name}: ${stat.medianUs.toFixed(0)} µs/op (${stat.samples} samples)\n`)
    }
  }
  return results
}

/**
 * ts-mls numbers from the last `npm run bench` (bench/results/ts-mls.json and
 * ts-mls-large.json), without measuring again: op -> n -> stats. Undefined
 * when the suite has not been run.
 */
export function readTsMlsResults(suite = 3, provider: TsMlsProvider = DEFAULT_PROVIDER): PeerResults<TsMlsOp> | undefined {
  const rows = readSuiteRows('ts-mls')
  if (rows === undefined) return undefined
  const out = emptyResults<TsMlsOp>()
  for (const op of TS_MLS_OPS) {
    for (const row of rows) {
      const m = /^ts-mls(?: \((\w+)\))? s(\d+) n=(\d+) (.+)$/.exec(row.task)
      if (m === null || m[4] !== op || Number(m[2]) !== suite || (m[1] ?? DEFAULT_PROVIDER) !== provider) continue
      setPeer(out, op, Number(m[3]), statOfRow(row))
    }
  }
  if (suite === 3 && provider === DEFAULT_PROVIDER) {
    const large = readResult('ts-mls-large')
    if (large !== undefined) for (const [op, byN] of large.results) for (const [n, st] of byN) setPeer(out, op as TsMlsOp, n, st)
  }
  return out
}

/** Group sizes per mode for the registered suite (1024 is measured with few samples, outside the harness loop). */
export function tsMlsSizes(mode: BenchMode): { harness: number[]; large: number[] } {
  if (mode === 'quick') return { harness: [2, 16], large: [] }
  return { harness: [2, 16, 128], large: [1024] }
}

let largeNotes = ''

registerSuite({
  name: 'ts-mls',
  title: 'Peer: ts-mls 1.6.4, suite 0x0003 (and 0x0001 at n = 16), default crypto provider (noble rows marked)',
  notes: () =>
    (
      'Bytes to bytes (encoded MLSMessage in and out). Group of n built by one commit adding n-1 KeyPackages, then ' +
      '~2 log2 n path commits by the leftmost leaves of the subtrees on the copath of leaf 0 and along the last leaf\'s ' +
      'path, so those parent nodes are non-blank as in a full tree: an Update from leaf 0 encrypts to log2 n nodes. "commit *" by leaf 0, ' +
      '"process *" by leaf 1; add = one Add without path plus its Welcome; join = that Welcome (group of n+1); ' +
      'update = empty commit with path; remove = the last leaf, with path. Each op from the same immutable ts-mls state.' +
      largeNotes
    ),
  tasks: async (mode) => {
    const { harness, large } = tsMlsSizes(mode)
    const tasks: BenchTask[] = []
    for (const n of harness) for (const { task } of await tsMlsTasks(3, n)) tasks.push(task)
    if (mode !== 'quick') {
      const msgs: TsMlsOp[] = ['encrypt 1 KiB', 'decrypt 1 KiB']
      // suite 0x0001 (AES-128-GCM): every op at n = 16, messages at n = 2 too
      for (const { task } of await tsMlsTasks(1, 2, msgs)) tasks.push(task)
      for (const { task } of await tsMlsTasks(1, 16)) tasks.push(task)
      // ts-mls's other crypto provider (pure-JS noble), for the message path
      for (const { task } of await tsMlsTasks(3, 16, msgs, 'noble')) tasks.push(task)
    }
    largeNotes = ''
    if (large.length > 0) {
      // A commit at n = 1024 takes about a second in ts-mls: measured here with few samples, not in the harness loop.
      const r = await measureTsMls(large, { suite: 3, mode })
      writeResult('ts-mls-large', r, mode)
      const rows: string[] = []
      for (const [op, byN] of r) {
        for (const [n, s] of byN) rows.push(`| ${tsMlsTaskName(3, op, n)} | ${s.medianUs.toFixed(0)} | ${s.meanUs.toFixed(0)} | ${s.samples} |`)
      }
      largeNotes =
        '\n\nLarge groups (few samples each, also in bench/results/ts-mls-large.json):\n\n' +
        '| task | median µs/op | mean µs/op | samples |\n|---|---:|---:|---:|\n' +
        rows.join('\n')
    }
    return tasks
  },
})
