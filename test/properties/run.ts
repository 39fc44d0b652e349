/** Runs every simulation, row by row, column by column. Shared by scripts/properties.ts and table.test.ts. */
import { observeAuthenticity } from './authenticity.js'
import { observeConfidentiality } from './confidentiality.js'
import { FULL_SIZES, observeCost } from './cost.js'
import { observeForwardSecrecy } from './forward-secrecy.js'
import { installOpCounter } from './ops.js'
import { observePcsReceiver, observePcsSender } from './pcs.js'
import { COLUMNS, ROWS, type Column, type Observation, type Row } from './types.js'

export interface RunOptions {
  /** Group sizes for the cost rows (default 4, 8, ..., 1024). */
  readonly sizes?: readonly number[]
  readonly rows?: readonly Row[]
  readonly columns?: readonly Column[]
  readonly progress?: (line: string) => void
}

export async function observe(row: Row, column: Column, sizes: readonly number[], progress?: (s: string) => void): Promise<Observation> {
  switch (row) {
    case 'confidentiality':
      return observeConfidentiality(column)
    case 'authenticity':
      return observeAuthenticity(column)
    case 'forward-secrecy':
      return observeForwardSecrecy(column)
    case 'pcs-sender':
      return observePcsSender(column)
    case 'pcs-receiver':
      return observePcsReceiver(column)
    case 'add-cost':
      return observeCost(column, 'add', sizes, progress)
    case 'remove-cost':
      return observeCost(column, 'remove', sizes, progress)
  }
}

export async function runAll(opts: RunOptions = {}): Promise<Observation[]> {
  installOpCounter()
  const sizes = opts.sizes ?? FULL_SIZES
  const out: Observation[] = []
  for (const row of opts.rows ?? ROWS) {
    for (const column of opts.columns ?? COLUMNS) {
      const t0 = performance.now()
      const o = await observe(row, column, sizes, opts.progress)
      out.push(o)
      opts.progress?.(`${row} / ${column}: ${o.value} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    }
  }
  return out
}
