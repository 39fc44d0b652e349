/**
 * `npm run bench` entry point.
 *
 *   npm run bench                      every registered suite, default length
 *   npm run bench -- --quick           few samples per task (CI smoke run, seconds)
 *   npm run bench -- --full            long runs, for numbers worth quoting
 *   npm run bench -- crypto-floor      only the named suite(s)
 *
 * Prints each suite's markdown table to stdout, writes
 * bench/results/<suite>.json per suite and bench/results/latest.md with
 * every table of this run. No timing assertion is ever made here.
 *
 * To add a suite: create bench/<name>.ts calling registerSuite(...) and add
 * one import line below.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RESULTS_DIR, machine, machineLine, markdownTable, registeredSuites, runSuite, type BenchMode } from './harness.js'

import './crypto-floor.js'
import './peers/ts-mls.js'
import './peers/libsignal.js'
import './mls-framing.js'
import './mls.js'
import './mls-tree.js'
import './hybrid.js'
import './ratchet.js'
import './senderkeys.js'

function parseArgs(argv: string[]): { mode: BenchMode; only: Set<string> } {
  let mode: BenchMode = 'default'
  const only = new Set<string>()
  for (const a of argv) {
    if (a === '--quick') mode = 'quick'
    else if (a === '--full') mode = 'full'
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (use --quick, --full, or suite names)`)
    else only.add(a)
  }
  return { mode, only }
}

async function main(): Promise<void> {
  const { mode, only } = parseArgs(process.argv.slice(2))
  const suites = registeredSuites().filter((s) => only.size === 0 || only.has(s.name))
  const unknown = [...only].filter((n) => !registeredSuites().some((s) => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown bench suite(s): ${unknown.join(', ')}`)

  const tables: string[] = []
  for (const suite of suites) {
    const result = await runSuite(suite, mode)
    const table = markdownTable(result)
    process.stdout.write(`\n${table}\n`)
    tables.push(table)
  }
  const md = [`# Benchmarks (${mode})`, '', machineLine(machine()), '', ...tables.flatMap((t) => [t, ''])].join('\n')
  writeFileSync(join(RESULTS_DIR, 'latest.md'), md)
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
