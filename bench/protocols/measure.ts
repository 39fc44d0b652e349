/**
 * The sampler the protocol drivers share. Each iteration of a step reports
 * its own timed durations (ms), so untimed preparation (a state copy, the
 * next message) never counts; the sample budget is charged the whole wall
 * time, so a slow preparation does not multiply the samples.
 *
 * A step may time several parts per iteration (e.g. send, relay and receive
 * of one live message): it returns one duration per part and gets one median
 * per part back.
 */
import type { BenchMode } from '../harness.js'

export interface Budget {
  /** Wall time per step, ms: sampling stops once it is spent and minSamples were taken. */
  readonly timeMs: number
  readonly minSamples: number
  readonly maxSamples: number
  /** Untimed iterations first (JIT, caches). */
  readonly warmup: number
}

export const BUDGETS: Record<BenchMode, Budget> = {
  quick: { timeMs: 40, minSamples: 5, maxSamples: 60, warmup: 2 },
  default: { timeMs: 300, minSamples: 9, maxSamples: 400, warmup: 3 },
  full: { timeMs: 1000, minSamples: 10, maxSamples: 3000, warmup: 10 },
}

/** Few samples for steps costing seconds (large groups). */
export function budgetFor(mode: BenchMode, n: number): Budget {
  const b = BUDGETS[mode]
  if (n >= 5000) return { ...b, timeMs: Math.min(b.timeMs, 200), minSamples: mode === 'full' ? 5 : 3, warmup: 1 }
  return b
}

export interface Stat {
  readonly medianUs: number
  readonly meanUs: number
  readonly samples: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Runs `step` under `budget`; one Stat per duration the step returns. */
export async function sampleParts(step: () => readonly number[] | Promise<readonly number[]>, budget: Budget): Promise<Stat[]> {
  for (let i = 0; i < budget.warmup; i++) await step()
  const parts: number[][] = []
  const t0 = performance.now()
  let count = 0
  while (count < budget.maxSamples && (count < budget.minSamples || performance.now() - t0 < budget.timeMs)) {
    const d = await step()
    d.forEach((ms, i) => (parts[i] ??= []).push(ms * 1000))
    count++
  }
  return parts.map((xs) => ({ medianUs: median(xs), meanUs: xs.reduce((a, b) => a + b, 0) / xs.length, samples: xs.length }))
}

/** One timed part per iteration. */
export async function sample(step: () => number | Promise<number>, budget: Budget): Promise<Stat> {
  const [s] = await sampleParts(async () => [await step()], budget)
  return s!
}

/** A step that times `op` whole (after an untimed `prepare`). */
export function timed<T>(prepare: () => T | Promise<T>, op: (x: T) => unknown): () => Promise<number> {
  return async () => {
    const x = await prepare()
    const t0 = performance.now()
    await op(x)
    return performance.now() - t0
  }
}

/** Times one call, ms. */
export async function clock(op: () => unknown): Promise<number> {
  const t0 = performance.now()
  await op()
  return performance.now() - t0
}

const START = Date.now()

/** A progress line on stderr, with the time since the run started. */
export function progress(line: string): void {
  const s = Math.floor((Date.now() - START) / 1000)
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`)
}

export function fmt(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`
  return `${us.toFixed(1)} µs`
}
