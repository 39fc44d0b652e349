/**
 * The security-properties table, asserted: every simulation of
 * test/properties/ runs against the real implementations and each cell must
 * equal the documented value in expected.ts. Cost rows use n = 4 .. 64 here
 * (the same classification; `npm run properties` runs 4 .. 1024 and writes
 * docs/security-properties.md).
 */
import { describe, expect, it } from 'vitest'
import { EXPECTED, ROADMAP } from './expected.js'
import { fitGrowth, totalGrowth } from './cost.js'
import { observe } from './run.js'
import { installOpCounter } from './ops.js'
import { renderPage } from './table.js'
import { COLUMNS, ROWS, type Observation } from './types.js'

const TEST_SIZES = [4, 8, 16, 32, 64]

describe('growth fit', () => {
  it('classifies clean series', () => {
    const sizes = [4, 8, 16, 32, 64, 128]
    const cls = (f: (n: number) => number) => fitGrowth(sizes.map((n) => ({ n, y: f(n) })))
    expect(cls(() => 23)).toBe('O(1)')
    expect(cls((n) => 90 + 9 * Math.log2(n))).toBe('O(log n)')
    expect(cls((n) => 20 + 21 * n)).toBe('O(n)')
    expect(cls((n) => 5 + 3 * n * Math.log2(n))).toBe('O(n log n)')
    expect(cls((n) => 11 * n * n)).toBe('O(n²)')
    const pts = sizes.map((n) => ({ n, roles: [{ role: 'a', perMember: 23, members: n - 1 }, { role: 'b', perMember: 21 * n, members: 1 }], total: 0, measured: 0 }))
    expect(totalGrowth(pts.map((p) => ({ ...p, total: 1 })))).toBe('O(n)')
  })
})

describe('security properties by model (every cell observed)', () => {
  installOpCounter()
  const observed: Observation[] = []
  for (const row of ROWS) {
    for (const column of COLUMNS) {
      it(`${row} / ${column}`, { timeout: 60_000 }, async () => {
        const o = await observe(row, column, TEST_SIZES)
        observed.push(o)
        expect(o.value, `${row} / ${column}\n${o.evidence.join('\n')}`).toBe(EXPECTED[row][column].value)
      })
    }
  }
  it('the page renders every cell, and every disagreement with the roadmap is explained', () => {
    const page = renderPage(observed, { sizes: TEST_SIZES, seconds: 0, generatedAt: 'test' })
    for (const o of observed) expect(page).toContain(o.value)
    for (const o of observed) {
      const claim = ROADMAP[o.row]?.[o.column]
      if (claim !== undefined && !claim.agrees(o.value)) expect(claim.explanation, `${o.row} / ${o.column}`).toBeDefined()
    }
    // The example from the issue: MLS forward secrecy is per message, not per epoch, and the page says why.
    expect(page).toMatch(/Forward secrecy \/ MLS\*\*: the roadmap says “per-epoch”, the run shows “per message”/)
  })
})
