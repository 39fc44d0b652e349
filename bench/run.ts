/**
 * `npm run bench` entry point.
 *
 *   npm run bench                      the main job: every group protocol, the crypto floor and
 *                                      the peers (ts-mls, libsignal-client) in one report
 *                                      (bench/protocols/main.ts), n up to 1024, < 10 min on 2 cores
 *   npm run bench -- --quick           the same with n = 2, 16 and few samples (CI smoke run, < 1 min)
 *   npm run bench -- --full            adds n = 10000 and longer sampling
 *   npm run bench -- mls-tree hybrid   only the named per-area suite(s) (list: --list)
 *   npm run bench -- main mls          the main report and a suite in one process
 *   npm run bench -- --out=DIR         the main report's files in DIR instead of bench/results
 *
 * The main job writes bench/results/latest.md, report.json and rekey.svg.
 * A named suite prints its markdown table, writes bench/results/<suite>.json,
 * and appends its table to bench/results/suites.md. No timing assertion is
 * ever made here.
 *
 * To add a per-area suite: create bench/<name>.ts calling registerSuite(...)
 * and add one import line below.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RESULTS_DIR, machine, machineLine, markdownTable, registeredSuites, runSuite, type BenchMode } from './harness.js'
import { runMain } from './protocols/main.js'
import { renderMarkdown } from './report/markdown.js'

import './crypto-floor.js'
import './peers/ts-mls.js'
import './peers/libsignal.js'
import './mls-framing.js'
import './mls.js'
import './mls-tree.js'
import './hybrid.js'
import './ratchet.js'
import './senderkeys.js'

const MAIN = 'main'

function parseArgs(argv: string[]): { mode: BenchMode; only: string[]; list: boolean; out: string } {
  let mode: BenchMode = 'default'
  let list = false
  let out = RESULTS_DIR
  const only: string[] = []
  for (const a of argv) {
    if (a === '--quick') mode = 'quick'
    else if (a === '--full') mode = 'full'
    else if (a === '--list') list = true
    else if (a.startsWith('--out=')) out = a.slice('--out='.length)
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (use --quick, --full, --list, or suite names)`)
    else only.push(a)
  }
  return { mode, only, list, out }
}

async function main(): Promise<void> {
  const { mode, only, list, out } = parseArgs(process.argv.slice(2))
  if (list) {
    process.stdout.write(`${MAIN}\tthe main report (default)\n`)
    for (const s of registeredSuites()) process.stdout.write(`${s.name}\t${s.title}\n`)
    return
  }
  const names = only.length === 0 ? [MAIN] : only
  const unknown = names.filter((n) => n !== MAIN && !registeredSuites().some((s) => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown bench suite(s): ${unknown.join(', ')} (npm run bench -- --list)`)

  if (names.includes(MAIN)) process.stdout.write(renderMarkdown(await runMain(mode, out)))
  const suites = registeredSuites().filter((s) => names.includes(s.name))
  if (suites.length === 0) {
    process.stdout.write(`\nReport: ${join(out, 'latest.md')} (chart: rekey.svg, data: report.json)\n`)
    return
  }
  const tables: string[] = []
  for (const suite of suites) {
    const result = await runSuite(suite, mode)
    const table = markdownTable(result)
    process.stdout.write(`\n${table}\n`)
    tables.push(table)
  }
  const md = [`# Per-area benchmark suites (${mode})`, '', machineLine(machine()), '', ...tables.flatMap((t) => [t, ''])].join('\n')
  writeFileSync(join(RESULTS_DIR, 'suites.md'), md)
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
