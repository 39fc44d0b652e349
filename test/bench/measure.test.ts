import { describe, expect, it } from 'vitest'
import { BUDGETS, budgetFor, sample, sampleParts } from '../../bench/protocols/measure.js'
import { planFor } from '../../bench/protocols/main.js'

describe('sampler', () => {
  it('returns one median per reported part, in µs, from the durations the step reports', async () => {
    let i = 0
    const [a, b] = await sampleParts(() => [1, 2 + (i++ % 3)], { timeMs: 0, minSamples: 7, maxSamples: 7, warmup: 2 })
    expect(a!.samples).toBe(7)
    expect(a!.medianUs).toBe(1000)
    expect(a!.meanUs).toBe(1000)
    expect(b!.samples).toBe(7)
    expect(b!.medianUs).toBe(3000) // 2,3,4 repeating after two warm-up calls
  })

  it('takes at least minSamples and at most maxSamples', async () => {
    let calls = 0
    const s = await sample(() => {
      calls++
      return 0.001
    }, { timeMs: 1e9, minSamples: 3, maxSamples: 11, warmup: 1 })
    expect(s.samples).toBe(11)
    expect(calls).toBe(12)
    const few = await sample(() => 0.001, { timeMs: 0, minSamples: 4, maxSamples: 100, warmup: 0 })
    expect(few.samples).toBe(4)
  })

  it('takes few samples for very large groups', () => {
    expect(budgetFor('default', 16)).toEqual(BUDGETS.default)
    expect(budgetFor('full', 10000).minSamples).toBeLessThan(BUDGETS.full.minSamples)
  })
})

describe('plans', () => {
  it('covers the sizes the issue asks for in each mode', () => {
    expect(planFor('quick').groupSizes).toEqual([2, 16])
    expect(planFor('quick').messageSizes).toEqual([64, 1024])
    expect(planFor('default').groupSizes).toEqual([2, 16, 128, 1024])
    expect(planFor('default').messageSizes).toEqual([64, 1024, 65536])
    expect(planFor('full').groupSizes).toEqual([2, 16, 128, 1024, 10000])
    expect(planFor('full').tsMls.map((x) => x.n)).toContain(1024)
  })
})
