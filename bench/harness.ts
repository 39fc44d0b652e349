/**
 * A small benchmark harness over tinybench 6.
 *
 * A bench suite is a named group of tasks that registers itself with
 * `registerSuite` when its module is imported (bench/run.ts imports one file
 * per suite). `runSuite` runs one group: a progress line per task on stderr
 * as it completes, then a markdown table (task, median and mean µs/op,
 * ops/s, samples) on stdout, and the results as JSON in bench/results/<suite>.json
 * with the machine they were measured on.
 *
 * Modes: `quick` (CI smoke run: a few samples per task, seconds in total),
 * `default`, `full` (long, for numbers worth quoting).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { TalosError } from '../src/errors.js'

export type BenchMode = 'quick' | 'default' | 'full'

export interface BenchTask {
  readonly name: string
  /** One operation; may be async. */
  readonly fn: () => unknown
}

export interface BenchSuite {
  /** File-name-safe id, e.g. "crypto-floor". */
  readonly name: string
  readonly title: string
  /** Builds the tasks (keys, messages...) outside the timed region. */
  readonly tasks: (mode: BenchMode) => BenchTask[] | Promise<BenchTask[]>
  /**
   * Free text appended under the table (what the numbers mean); a function
   * gets the measured rows, for notes derived from them (e.g. ratios).
   */
  readonly notes?: string | ((results: readonly TaskResult[]) => string)
}

export interface TaskResult {
  readonly task: string
  readonly medianUs: number
  readonly meanUs: number
  readonly p99Us: number
  readonly opsPerSec: number
  readonly samples: number
  /** Relative margin of error of the mean, percent. */
  readonly rmePct: number
}

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly platform: string
  readonly date: string
}

export interface SuiteResult {
  readonly suite: string
  readonly title: string
  readonly mode: BenchMode
  readonly machine: Machine
  readonly results: TaskResult[]
  readonly notes?: string
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results')

const registry = new Map<string, BenchSuite>()

export function registerSuite(suite: BenchSuite): void {
  if (registry.has(suite.name)) throw new TalosError('BENCH_DUPLICATE_SUITE', `bench suite ${suite.name} registered twice`)
  registry.set(suite.name, suite)
}

export function registeredSuites(): BenchSuite[] {
  return [...registry.values()]
}

export function machine(): Machine {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  }
}

const SETTINGS: Record<BenchMode, { time: number; iterations: number; warmupTime: number; warmupIterations: number }> = {
  quick: { time: 20, iterations: 5, warmupTime: 5, warmupIterations: 2 },
  default: { time: 300, iterations: 32, warmupTime: 50, warmupIterations: 8 },
  full: { time: 2000, iterations: 200, warmupTime: 300, warmupIterations: 32 },
}

const us = (ms: number): number => ms * 1000

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0)
  if (n >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

export async function runSuite(suite: BenchSuite, mode: BenchMode): Promise<SuiteResult> {
  const tasks = await suite.tasks(mode)
  const bench = new Bench({ name: suite.name, throws: true, ...SETTINGS[mode] })
  for (const t of tasks) bench.add(t.name, t.fn)
  const results: TaskResult[] = []
  bench.addEventListener('cycle', (evt) => {
    const task = evt.task
    const r = task?.result
    if (task === undefined || r === undefined || !('latency' in r)) return
    const row: TaskResult = {
      task: task.name,
      medianUs: us(r.latency.p50),
      meanUs: us(r.latency.mean),
      p99Us: us(r.latency.p99),
      opsPerSec: r.latency.mean > 0 ? 1000 / r.latency.mean : 0,
      samples: r.latency.samplesCount,
      rmePct: r.latency.rme,
    }
    results.push(row)
    process.stderr.write(`  [${suite.name}] ${row.task}: ${fmt(row.medianUs)} µs/op (${row.samples} samples)\n`)
  })
  process.stderr.write(`${suite.title} (${mode}, ${tasks.length} tasks)\n`)
  await bench.run()
  const out: SuiteResult = { suite: suite.name, title: suite.title, mode, machine: machine(), results, notes: typeof suite.notes === 'function' ? suite.notes(results) : suite.notes }
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(join(RESULTS_DIR, `${suite.name}.json`), JSON.stringify(out, null, 2) + '\n')
  return out
}

export function markdownTable(r: SuiteResult): string {
  const lines = [
    `### ${r.title}`,
    '',
    '| task | median µs/op | mean µs/op | ops/s (1/mean) | samples |',
    '|---|---:|---:|---:|---:|',
    ...r.results.map(
      (x) =>
        `| ${x.task} | ${fmt(x.medianUs)} | ${fmt(x.meanUs)} | ${Math.round(x.opsPerSec).toLocaleString('en-US')} | ${x.samples} |`,
    ),
  ]
  if (r.notes) lines.push('', r.notes)
  return lines.join('\n')
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}, ${m.date}`
}
