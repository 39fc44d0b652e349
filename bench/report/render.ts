/**
 * Re-renders latest.md and the chart from a report's JSON, without measuring:
 *
 *   npx tsx bench/report/render.ts [bench/results/report.json]
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { RESULTS_DIR } from '../harness.js'
import type { Report } from './model.js'
import { writeReport } from './write.js'

const file = resolve(process.argv[2] ?? `${RESULTS_DIR}/report.json`)
const { format, ...report } = JSON.parse(readFileSync(file, 'utf8')) as Report & { format?: string }
if (format !== 'talos-group-bench/1') throw new Error(`${file}: not a talos-group bench report (format ${String(format)})`)
for (const f of writeReport(report, dirname(file))) process.stdout.write(`${f}\n`)
