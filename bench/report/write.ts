/** Writes a report's three files: latest.md, report.json and the chart. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderJson, renderMarkdown } from './markdown.js'
import type { Report } from './model.js'
import { rekeyChart } from './svg.js'

export function writeReport(report: Report, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const files = [join(dir, 'latest.md'), join(dir, 'report.json'), join(dir, report.chart ?? 'rekey.svg')]
  writeFileSync(files[0]!, renderMarkdown(report))
  writeFileSync(files[1]!, renderJson(report))
  writeFileSync(files[2]!, rekeyChart(report))
  return files
}
