/**
 * npm run properties: runs the adversary simulations of test/properties/
 * against the real implementations, prints the security-properties table and
 * writes docs/security-properties.md.
 *
 *   npm run properties                    full cost series n = 4 .. 1024
 *   npm run properties -- --sizes 4,8,16  a shorter cost series (quick look; the page says which)
 *   npm run properties -- --no-write      print only
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { FULL_SIZES } from '../test/properties/cost.js'
import { runAll } from '../test/properties/run.js'
import { EXPECTED } from '../test/properties/expected.js'
import { renderPage, renderTable } from '../test/properties/table.js'

const args = process.argv.slice(2)
const sizesArg = args.indexOf('--sizes')
const sizes = sizesArg >= 0 ? args[sizesArg + 1]!.split(',').map(Number) : FULL_SIZES
const write = !args.includes('--no-write')

const t0 = performance.now()
const obs = await runAll({ sizes, progress: (line) => console.error(`  ${line}`) })
const seconds = (performance.now() - t0) / 1000
console.log('')
console.log(renderTable(obs))
const bad = obs.filter((o) => o.value !== EXPECTED[o.row][o.column].value)
console.log('')
console.log(bad.length === 0 ? 'Every cell matches the documented table.' : `${bad.length} cell(s) differ from the documented table.`)
if (write) {
  const path = fileURLToPath(new URL('../docs/security-properties.md', import.meta.url))
  writeFileSync(path, renderPage(obs, { sizes, seconds, generatedAt: new Date().toISOString().slice(0, 10) }))
  console.log(`wrote ${path}`)
}
process.exitCode = bad.length === 0 ? 0 : 1
