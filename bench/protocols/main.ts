/**
 * The main benchmark job (`npm run bench`): every group protocol through its
 * driver, the crypto floor and the peers in one run, one report.
 *
 *   --quick    n = 2, 16; 64 B and 1 KiB; few samples (CI smoke run, < 1 min)
 *   default    n = 2, 16, 128, 1024; 64 B, 1 KiB, 64 KiB (< 10 min on 2 cores)
 *   --full     adds n = 10000 and longer sampling
 *
 * Writes bench/results/latest.md, bench/results/report.json and
 * bench/results/rekey.svg. No timing assertion is made anywhere.
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { RESULTS_DIR, machine, type BenchMode } from '../harness.js'
import type { MessageRow, PeerRow, PeerSection, ProtocolId, RekeyRow, Report } from '../report/model.js'
import { writeReport } from '../report/write.js'
import { measureLibsignal } from '../peers/libsignal.js'
import { measureTsMls } from '../peers/ts-mls.js'
import type { PeerResults } from '../peers/common.js'
import { CoordinatorDriver } from './coordinator.js'
import { measureFloor, measurePrimitives } from './floor.js'
import { HybridDriver } from './hybrid.js'
import { BUDGETS, fmt, progress } from './measure.js'
import { MlsDriver } from './mls.js'
import { SenderKeysDriver } from './senderkeys.js'
import { context, type ProtocolDriver } from './types.js'

export interface MainPlan {
  readonly groupSizes: number[]
  readonly messageSizes: number[]
  readonly messageN: number
  /** Pairwise rekeys seal to every member: the largest n they run at. */
  readonly pairwiseMax: number
  /** ts-mls group sizes, and the sample budget for each. */
  readonly tsMls: { n: number; mode: BenchMode }[]
  /** ts-mls sizes of at least 1024 are skipped when the run has already taken this long (s), to stay under 10 minutes. */
  readonly tsMlsLargeCutoffS: number
}

export function planFor(mode: BenchMode): MainPlan {
  if (mode === 'quick') {
    return { groupSizes: [2, 16], messageSizes: [64, 1024], messageN: 16, pairwiseMax: 16, tsMls: [{ n: 16, mode: 'quick' }], tsMlsLargeCutoffS: 0 }
  }
  const base = [2, 16, 128, 1024]
  if (mode === 'full') {
    return {
      groupSizes: [...base, 10000],
      messageSizes: [64, 1024, 65536],
      messageN: 16,
      pairwiseMax: 1024,
      tsMls: [
        { n: 2, mode: 'default' },
        { n: 16, mode: 'default' },
        { n: 128, mode: 'quick' },
        { n: 1024, mode: 'quick' },
      ],
      tsMlsLargeCutoffS: Infinity,
    }
  }
  return {
    groupSizes: base,
    messageSizes: [64, 1024, 65536],
    messageN: 16,
    pairwiseMax: 1024,
    tsMls: [
      { n: 2, mode: 'quick' },
      { n: 16, mode: 'quick' },
      { n: 128, mode: 'quick' },
    ],
    tsMlsLargeCutoffS: 0,
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}
function ownVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

const TS_MLS_ROWS: [op: string, label: string, pick: (ours: { scale?: MessageRow; add?: RekeyRow; remove?: RekeyRow; update?: RekeyRow }) => number | undefined][] = [
  ['encrypt 1 KiB', 'encrypt 1 KiB', (o) => o.scale?.sendUs],
  ['decrypt 1 KiB', 'decrypt 1 KiB', (o) => o.scale?.receiveUs],
  ['commit add', 'commit: add', (o) => o.add?.committerUs],
  ['process add', 'process: add', (o) => o.add?.receiverUs],
  ['join (Welcome)', 'join from Welcome', (o) => o.add?.joinerUs],
  ['commit update', 'commit: update (path)', (o) => o.update?.committerUs],
  ['process update', 'process: update', (o) => o.update?.receiverUs],
  ['commit remove', 'commit: remove (path)', (o) => o.remove?.committerUs],
  ['process remove', 'process: remove', (o) => o.remove?.receiverUs],
]

async function tsMlsSection(plan: MainPlan, scale: readonly MessageRow[], rekey: readonly RekeyRow[], started: number): Promise<PeerSection> {
  const version = versionOf('ts-mls')
  const base = { peer: 'ts-mls', version, against: 'MLS' }
  if (process.env.BENCH_NO_PEERS === '1') return { ...base, status: 'skipped', reason: 'BENCH_NO_PEERS=1', rows: [] }
  const results: PeerResults = new Map()
  const skipped: string[] = []
  try {
    for (const { n, mode } of plan.tsMls) {
      const elapsed = (performance.now() - started) / 1000
      if (n >= 1024 && elapsed > plan.tsMlsLargeCutoffS) {
        skipped.push(`n = ${n} skipped: the run had taken ${elapsed.toFixed(0)} s and a ts-mls group of ${n} takes minutes (use --full)`)
        progress(`ts-mls ${skipped.at(-1)}`)
        continue
      }
      progress(`ts-mls n=${n} (${mode} sampling)...`)
      const r = await measureTsMls([n], { suite: 3, mode, progress: false })
      for (const [op, byN] of r) for (const [k, s] of byN) (results.get(op) ?? results.set(op, new Map()).get(op)!).set(k, s)
      progress(`ts-mls n=${n}: ${[...r].map(([op, byN]) => `${op} ${fmt(byN.get(n)!.medianUs)}`).join(', ')}`)
    }
  } catch (e) {
    const reason = `ts-mls failed to run: ${e instanceof Error ? e.message : String(e)}`
    progress(reason)
    return { ...base, status: 'skipped', reason, rows: [] }
  }
  const rows: PeerRow[] = []
  for (const { n } of plan.tsMls) {
    const ours = {
      scale: scale.find((x) => x.protocol === 'mls' && x.n === n),
      add: rekey.find((x) => x.protocol === 'mls' && x.op === 'add' && x.n === n),
      remove: rekey.find((x) => x.protocol === 'mls' && x.op === 'remove' && x.n === n),
      update: rekey.find((x) => x.protocol === 'mls' && x.op === 'update' && x.n === n),
    }
    for (const [op, label, pick] of TS_MLS_ROWS) {
      const peer = results.get(op)?.get(n)
      const mine = pick(ours)
      if (peer !== undefined && mine !== undefined) rows.push({ operation: label, n, oursUs: mine, peerUs: peer.medianUs })
    }
  }
  return {
    ...base,
    status: 'measured',
    rows,
    notes:
      'Same group shape on both sides (one commit adding n-1 members, then path commits populating the committer\'s copath), suite 0x0003, ' +
      'ts-mls\'s default crypto provider, bytes to bytes. Ours: "process" is a full processMessage of a distinct Commit on a copy of a running client\'s ' +
      'state (loaded, another Commit handled first, untimed); ts-mls returns a new ' +
      `state value. ts-mls sampling: ${plan.tsMls.map((x) => `n=${x.n} ${x.mode}`).join(', ')} (its commits cost 0.1-10 s at n ≥ 128, so few samples there).` +
      (skipped.length > 0 ? ` ${skipped.join('; ')}.` : '') +
      (plan.tsMls.some((x) => x.n >= 1024) ? '' : ' ts-mls at n = 1024 runs with --full only: its group set-up and commits there take minutes (seconds per commit).'),
  }
}

async function libsignalSection(mode: BenchMode, sk: SenderKeysDriver, messages: readonly MessageRow[], rekey: readonly RekeyRow[], sizes: readonly number[]): Promise<PeerSection> {
  const version = versionOf('@signalapp/libsignal-client')
  const base = { peer: 'libsignal-client', version, against: 'sender keys and two-party sessions' }
  if (process.env.BENCH_NO_PEERS === '1') return { ...base, status: 'skipped', reason: 'BENCH_NO_PEERS=1', rows: [] }
  let m
  try {
    progress('libsignal-client...')
    m = await measureLibsignal({ mode: mode === 'full' ? 'default' : 'quick', removeSizes: sizes.filter((n) => n >= 3), simulateAt: 0, progress: false })
  } catch (e) {
    const reason = `@signalapp/libsignal-client did not load: ${e instanceof Error ? e.message : String(e)}`
    progress(`libsignal skipped: ${reason}`)
    return { ...base, status: 'skipped', reason, rows: [] }
  }
  const u = await sk.unitsFor(context(mode))
  const peer = (op: string) => m.results.get(op as never)?.get(0)?.medianUs
  const kib = messages.find((x) => x.protocol === 'sender-keys' && x.size === 1024)
  const rows: PeerRow[] = []
  const add = (operation: string, ours: number | undefined, theirs: number | undefined) => {
    if (ours !== undefined && theirs !== undefined) rows.push({ operation, oursUs: ours, peerUs: theirs })
  }
  add('sender key: encrypt 1 KiB', kib?.sendUs, peer('sender key: encrypt 1 KiB'))
  add('sender key: decrypt 1 KiB', kib?.receiveUs, peer('sender key: decrypt 1 KiB'))
  add('sender key: new key (rotate / SKDM create)', u.rotate.medianUs, peer('sender key: SKDM create'))
  add('sender key: send a key over a session (encrypt)', u.enc.medianUs, peer('session: encrypt SKDM (chain step)'))
  const skdmIn = [peer('session: decrypt SKDM (chain step)'), peer('sender key: SKDM process')]
  add('sender key: receive a key (session decrypt + install)', u.recv.medianUs, skdmIn.every((x) => x !== undefined) ? skdmIn[0]! + skdmIn[1]! : undefined)
  const setup = [peer('session: set up from PreKeyBundle'), peer('session: first PreKey message decrypt')]
  add('session: set-up from a bundle + first message', u.session.medianUs, setup.every((x) => x !== undefined) ? setup[0]! + setup[1]! : undefined)
  for (const row of m.removeModel) {
    const ours = rekey.find((x) => x.protocol === 'sender-keys' && x.op === 'remove' && x.n === row.n)
    if (ours === undefined) continue
    rows.push({ operation: 'remove one member: whole group, chain steps (no DH turn)', n: row.n, oursUs: ours.totalUs, peerUs: row.wholeGroupUs })
    // One DH turn per pair: half of the (n-1)(n-2) distributions take a DH step on both sides.
    const turns = ((row.n - 1) * (row.n - 2)) / 2
    const oursTurn = ours.totalUs + turns * (u.dhTurnUs - u.enc.medianUs - u.recv.medianUs)
    rows.push({ operation: 'remove one member: whole group, one DH turn per pair', n: row.n, oursUs: oursTurn, peerUs: row.wholeGroupTurnUs })
  }
  return {
    ...base,
    status: 'measured',
    rows,
    notes:
      'libsignal 0.103 sessions are PQXDH + Double Ratchet + SPQR (post-quantum, more work per set-up and per DH step); ours are X3DH + Double Ratchet. ' +
      'Whole-group removal, both sides modelled from medians of the same work: (n-1) new sender keys + (n-1)(n-2) distributions, each one session encrypt, ' +
      'one session decrypt and one install (libsignal: bench/peers/libsignal.ts, SKDM create + (n-1)(n-2) × (session encrypt + decrypt + SKDM process); ' +
      'ours: removeMember measured at n + receive units × counts, section 3). "chain steps (no DH turn)" counts every session message as a chain step, ' +
      'the lower bound both models share; "one DH turn per pair" makes one of the two messages of each pair take a Double Ratchet DH step on both ' +
      'sides (libsignal: its ping-pong unit; ours: a measured send+receive with DH steps), which is what a removal costs when every member sends ' +
      'before reading (bench/senderkeys.ts measures that schedule directly).',
  }
}

export async function runMain(mode: BenchMode, outDir: string = RESULTS_DIR): Promise<Report> {
  const started = performance.now()
  const load = loadavg()
  const plan = planFor(mode)
  progress(`npm run bench (${mode}): group sizes ${plan.groupSizes.join(', ')}; message sizes ${plan.messageSizes.join(', ')} B; load average ${load[0]!.toFixed(1)}`)
  const ctx = context(mode)
  const sk = new SenderKeysDriver()
  const mls = new MlsDriver()
  const drivers: ProtocolDriver[] = [sk, mls, new HybridDriver('copath', mls), new HybridDriver('pairwise', mls), new CoordinatorDriver()]

  const floor = await measureFloor(plan.messageSizes, BUDGETS[mode])
  const primitives = await measurePrimitives(BUDGETS[mode])
  const messages: MessageRow[] = []
  const scale: MessageRow[] = []
  const rekey: RekeyRow[] = []
  for (const n of plan.groupSizes) {
    for (const d of drivers) {
      if (d.id === 'hybrid-pairwise' && n > plan.pairwiseMax) continue
      if (n === plan.messageN) {
        const rows = await d.messages(n, plan.messageSizes, ctx)
        messages.push(...rows)
        const kib = rows.find((r) => r.size === 1024)
        scale.push(kib ?? (await d.messages(n, [1024], ctx))[0]!)
      } else {
        scale.push(...(await d.messages(n, [1024], ctx)))
      }
      rekey.push(...(await d.rekey(n, ctx)))
    }
    if (n !== plan.messageN) for (const d of drivers) d.release(n)
  }
  const peers = [await tsMlsSection(plan, scale, rekey, started), await libsignalSection(mode, sk, messages, rekey, plan.groupSizes)]
  const durationS = (performance.now() - started) / 1000
  const cores = machine().cores
  const notes: string[] = [
    `Group set-up is outside every timed region; it is real (sessions from prekey bundles, MLS commits and Welcomes) and cached per process.`,
    `hybrid (pairwise) runs up to n = ${plan.pairwiseMax}: it is the small-group mode (the default for 16 members or fewer), its rekey seals to every member.`,
    'MLS remove at n = 2 is not measured (it would leave a group of one).',
  ]
  const provisional =
    process.env.BENCH_PROVISIONAL ??
    (load[0]! > cores * 0.75
      ? `Load average ${load.map((x) => x.toFixed(1)).join(' / ')} on ${cores} cores when the run started: the machine was shared, so medians are inflated ` +
        '(ratios to the floor and to the peers, measured in the same run, are less affected). Re-run `npm run bench` on a quiet machine for numbers worth quoting.'
      : undefined)
  const report: Report = {
    title: `talos-group benchmarks: what each group protocol costs`,
    mode,
    ...(provisional === undefined ? {} : { provisional }),
    machine: { ...machine(), loadAverage: load },
    versions: {
      'talos-group': ownVersion(),
      'ts-mls': versionOf('ts-mls'),
      '@signalapp/libsignal-client': versionOf('@signalapp/libsignal-client'),
      tinybench: versionOf('tinybench'),
    },
    durationS,
    messageSizes: plan.messageSizes,
    groupSizes: plan.groupSizes,
    messageN: plan.messageN,
    floor,
    primitives,
    messages,
    scale,
    rekey,
    methods: Object.fromEntries(drivers.map((d) => [d.id, d.methods])) as Report['methods'],
    peers,
    notes,
    chart: 'rekey.svg',
  }
  writeReport(report, outDir)
  progress(`done in ${durationS.toFixed(0)} s: ${outDir}/latest.md, report.json, rekey.svg`)
  return report
}

export type { ProtocolId }
