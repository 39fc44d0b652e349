/**
 * What the peer benchmarks (ts-mls, libsignal) share: the shape of their raw
 * results, so our own suites can print ours, the peer's and the ratio side by
 * side, and a JSON writer for results measured outside the harness loop.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RESULTS_DIR, machine, type BenchMode, type SuiteResult, type TaskResult } from '../harness.js'

export { registerSuite, type BenchMode, type BenchTask } from '../harness.js'

/** One measured operation, in microseconds. */
export interface PeerStat {
  readonly medianUs: number
  readonly meanUs: number
  readonly p99Us: number
  readonly samples: number
  /** Relative margin of error of the mean, percent. */
  readonly rmePct: number
}

/** op -> group size n -> stats. Ops that do not depend on n use n = 0. */
export type PeerResults<Op extends string = string> = Map<Op, Map<number, PeerStat>>

export function emptyResults<Op extends string>(): PeerResults<Op> {
  return new Map()
}

export function setPeer<Op extends string>(r: PeerResults<Op>, op: Op, n: number, s: PeerStat): void {
  let byN = r.get(op)
  if (byN === undefined) {
    byN = new Map()
    r.set(op, byN)
  }
  byN.set(n, s)
}

/** Converts tinybench latency statistics (milliseconds) to a PeerStat (µs). */
export function peerStat(latency: { p50?: number; mean: number; p99?: number; samplesCount: number; rme: number }): PeerStat {
  return {
    medianUs: (latency.p50 ?? latency.mean) * 1000,
    meanUs: latency.mean * 1000,
    p99Us: (latency.p99 ?? latency.mean) * 1000,
    samples: latency.samplesCount,
    rmePct: latency.rme,
  }
}

/** Plain-object form of a PeerResults: { op: { n: stat } }. */
export function resultsToObject(r: PeerResults): Record<string, Record<string, PeerStat>> {
  const out: Record<string, Record<string, PeerStat>> = {}
  for (const [op, byN] of r) out[op] = Object.fromEntries([...byN].map(([n, s]) => [String(n), s]))
  return out
}

/** Writes bench/results/<name>.json: { name, mode, machine, results: { op: { n: stat } }, extra }. */
export function writeResult(name: string, r: PeerResults, mode: BenchMode, extra?: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const body = { name, mode, machine: machine(), results: resultsToObject(r), ...(extra === undefined ? {} : { extra }) }
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify(body, null, 2) + '\n')
}

/** The rows of bench/results/<suite>.json as the harness wrote them, or undefined when absent. */
export function readSuiteRows(suite: string): readonly TaskResult[] | undefined {
  const path = join(RESULTS_DIR, `${suite}.json`)
  if (!existsSync(path)) return undefined
  return (JSON.parse(readFileSync(path, 'utf8')) as SuiteResult).results
}

/** A file written by writeResult, back as PeerResults (plus its `extra`), or undefined when absent. */
export function readResult(name: string): { results: PeerResults; mode: BenchMode; extra?: unknown } | undefined {
  const path = join(RESULTS_DIR, `${name}.json`)
  if (!existsSync(path)) return undefined
  const body = JSON.parse(readFileSync(path, 'utf8')) as { mode: BenchMode; results: Record<string, Record<string, PeerStat>>; extra?: unknown }
  const r: PeerResults = new Map()
  for (const [op, byN] of Object.entries(body.results)) for (const [n, s] of Object.entries(byN)) setPeer(r, op, Number(n), s)
  return { results: r, mode: body.mode, extra: body.extra }
}

export function statOfRow(row: TaskResult): PeerStat {
  return { medianUs: row.medianUs, meanUs: row.meanUs, p99Us: row.p99Us, samples: row.samples, rmePct: row.rmePct }
}

function fmtUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`
  if (us >= 1e4) return `${(us / 1e3).toFixed(1)} ms`
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`
}

/**
 * A markdown table of our medians next to a peer's, with the ratio
 * peer / ours (above 1: we are faster), for every (op, n) both measured.
 * `ops` fixes the row order (default: ours' insertion order).
 */
export function sideBySide(ours: PeerResults, peer: PeerResults, peerName: string, ops?: readonly string[]): string {
  const lines = [`| operation | n | ours (median) | ${peerName} (median) | ${peerName} / ours |`, '|---|---:|---:|---:|---:|']
  for (const op of ops ?? [...ours.keys()]) {
    const a = ours.get(op)
    const b = peer.get(op)
    if (a === undefined || b === undefined) continue
    for (const [n, sa] of [...a].sort((x, y) => x[0] - y[0])) {
      const sb = b.get(n)
      if (sb === undefined) continue
      const ratio = sb.medianUs / sa.medianUs
      lines.push(`| ${op} | ${n === 0 ? '' : n} | ${fmtUs(sa.medianUs)} | ${fmtUs(sb.medianUs)} | ${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}× |`)
    }
  }
  return lines.join('\n')
}
