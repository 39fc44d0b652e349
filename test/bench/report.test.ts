import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatBytes, headlineN, ratio, renderHeadline, renderJson, renderMarkdown, sizeLabel } from '../../bench/report/markdown.js'
import { PROTOCOL_LABEL, PROTOCOLS, REKEY_OP_LABEL, REKEY_OPS, type Report } from '../../bench/report/model.js'
import { writeReport } from '../../bench/report/write.js'
import { sampleReport } from './fixture.js'

/** The rows of the markdown table that follows `heading`. */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n')
  let i = lines.findIndex((l) => l === heading)
  expect(i).toBeGreaterThanOrEqual(0)
  while (!lines[i]!.startsWith('|')) i++
  const rows: string[][] = []
  for (; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim()))
  return rows
}

describe('helpers', () => {
  it('formats ratios, sizes and bytes', () => {
    expect(ratio(150, 100)).toBe('1.50×')
    expect(ratio(1234, 100)).toBe('12.3×')
    expect(ratio(50000, 100)).toBe('500×')
    expect(ratio(1, 0)).toBe('–')
    expect(ratio(undefined, 3)).toBe('–')
    expect(sizeLabel(64)).toBe('64 B')
    expect(sizeLabel(1024)).toBe('1 KiB')
    expect(sizeLabel(65536)).toBe('64 KiB')
    expect(formatBytes(190)).toBe('190 B')
    expect(formatBytes(5145)).toBe('5,145 B')
    expect(formatBytes(92 * 1024)).toBe('92.0 KiB')
  })
})

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleReport())

  it('states the provisional status, machine, Node, package versions and date in the header', () => {
    const head = md.split('## 1.')[0]!
    expect(head).toContain('**Provisional numbers.** machine shared with <other> jobs & more')
    expect(head).toContain('Test CPU, 2 cores')
    expect(head).toContain('Node v20.0.0')
    expect(head).toContain('ts-mls 1.6.4')
    expect(head).toContain('@signalapp/libsignal-client 0.103.0')
    expect(head).toContain('2026-01-02T03:04:05.000Z')
    expect(head).toContain('load average 9.5 / 8.0 / 7.0')
    expect(head).toContain('![cost against group size, log-log](rekey.svg)')
  })

  it('shows the re-key unit ratio as – when the run has no HPKE primitive row', () => {
    const rows = tableAfter(renderMarkdown(sampleReport({ primitives: [] })), `### ${REKEY_OP_LABEL.update}`).slice(2)
    expect(rows.every((r) => r[3] === '–')).toBe(true)
  })

  it('has no provisional line when the report is not provisional', () => {
    const r = sampleReport()
    const { provisional: _, ...rest } = r
    expect(renderMarkdown(rest as Report)).not.toContain('Provisional')
  })

  it('has the floor table', () => {
    const rows = tableAfter(md, '## 1. Crypto floor')
    expect(rows[0]).toEqual(['size', 'send floor', 'receive floor'])
    expect(rows.slice(2)).toEqual([
      ['64 B', '40 µs', '100 µs'],
      ['1 KiB', '50 µs', '110 µs'],
    ])
  })

  it('has a per-message row per protocol and size with ratios to the floor of that size', () => {
    const rows = tableAfter(md, '## 2. Per message, group of 16')
    const body = rows.slice(2)
    expect(body).toHaveLength(PROTOCOLS.length * 2)
    const mls64 = body.find((r) => r[0] === 'mls' && r[1] === '64 B')!
    // mls is index 1 in the fixture: send 51 µs against a 40 µs floor, receive 101 against 100
    expect(mls64[2]).toBe('51 µs')
    expect(mls64[3]).toBe('1.27×')
    expect(mls64[5]).toBe('1.01×')
    const coord = body.find((r) => r[0] === 'coordinator' && r[1] === '1 KiB')!
    expect(coord[6]).toBe('300 µs') // hub relay
    expect(coord[8]).toBe('15') // ciphertexts
    expect(body.find((r) => r[0] === 'mls')![6]).toBe('–')
  })

  it('has a re-key table per operation with per-member = total / n and the method', () => {
    for (const op of REKEY_OPS) {
      const rows = tableAfter(md, `### ${REKEY_OP_LABEL[op]}`)
      expect(rows[0]).toEqual(['protocol', 'n', 'committer', 'committer / HPKE seal', 'each other member', 'joiner', 'whole group', 'per member', 'bytes', 'method'])
      const body = rows.slice(2)
      expect(body).toHaveLength(PROTOCOLS.length * 3)
      const sk128 = body.find((r) => r[0] === PROTOCOL_LABEL['sender-keys'] && r[1] === '128')!
      // total = 100 n² = 1,638,400 µs; per member = 100 n = 12,800 µs
      expect(sk128[3]).toBe('128×') // 12,800 µs against a 100 µs HPKE seal
      expect(sk128[6]).toBe('1.64 s')
      expect(sk128[7]).toBe('12.8 ms')
      expect(sk128[9]).toBe('measured')
    }
  })

  it('orders rows by protocol, then size', () => {
    const rows = tableAfter(md, `### ${REKEY_OP_LABEL.add}`).slice(2)
    expect(rows.map((r) => r[0])).toEqual(PROTOCOLS.flatMap((p) => [PROTOCOL_LABEL[p], PROTOCOL_LABEL[p], PROTOCOL_LABEL[p]]))
    expect(rows.slice(0, 3).map((r) => r[1])).toEqual(['2', '16', '128'])
  })

  it('prints methods, measured peers side by side and skipped peers with their reason', () => {
    expect(md).toContain('- **mls, update**: commit + (n-1) × process')
    const peer = tableAfter(md, '### MLS vs ts-mls 1.6.4')
    expect(peer[2]).toEqual(['encrypt 1 KiB', '16', '50 µs', '500 µs', '10.0×'])
    expect(md).toContain('### sender keys vs libsignal-client 0.103.0\n\nSkipped: native module did not load.')
  })
})

describe('renderHeadline', () => {
  it('quotes a 1 KiB message against the floor and each re-key at the largest n', () => {
    const r = sampleReport()
    expect(headlineN(r)).toBe(128)
    expect(headlineN({ ...r, groupSizes: [2, 16, 1024, 10000] })).toBe(1024)
    const md = renderHeadline(r)
    const rows = md.split('\n').map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
    expect(rows[0]![4]).toBe('add, n = 128: committer / group')
    expect(rows).toHaveLength(2 + PROTOCOLS.length)
    const coord = rows.find((x) => x[0] === 'coordinator')!
    expect(coord[1]).toBe('354 µs (7.08×)') // send 54 + relay 300 against a 50 µs floor
    const sk = rows.find((x) => x[0] === 'sender-keys')!
    expect(sk[6]).toBe('12.8 ms / 1.64 s')
  })
})

describe('renderJson', () => {
  it('round-trips the report with a format tag', () => {
    const r = sampleReport()
    const back = JSON.parse(renderJson(r)) as Report & { format: string }
    expect(back.format).toBe('talos-group-bench/1')
    const { format: _, ...rest } = back
    expect(rest).toEqual(JSON.parse(JSON.stringify(r)))
  })
})

describe('writeReport', () => {
  let dir = ''
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('writes latest.md, report.json and the chart named in the report', () => {
    dir = mkdtempSync(join(tmpdir(), 'talos-bench-'))
    const files = writeReport(sampleReport(), dir)
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['latest.md', 'report.json', 'rekey.svg'])
    expect(readFileSync(files[0]!, 'utf8')).toContain('# test report')
    expect(JSON.parse(readFileSync(files[1]!, 'utf8')).mode).toBe('quick')
    expect(readFileSync(files[2]!, 'utf8')).toMatch(/^<\?xml[^]*<\/svg>\n$/)
  })
})
