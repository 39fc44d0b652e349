import { describe, expect, it } from 'vitest'
import { PROTOCOLS, REKEY_OPS } from '../../bench/report/model.js'
import { decadeDomain, decadeTicks, escapeXml, formatUs, logScale, rekeyChart, renderChart } from '../../bench/report/svg.js'
import { sampleReport } from './fixture.js'

/** Minimal well-formedness check: one root, every element closed in order, attributes quoted, no stray '<' or '&'. */
function checkXml(xml: string): { root: string; elements: Map<string, number> } {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '')
  const stack: string[] = []
  const elements = new Map<string, number>()
  let root = ''
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g
  let last = 0
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index)
    if (/[<>]/.test(text)) throw new Error(`stray markup before offset ${m.index}: ${text.slice(0, 40)}`)
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped & in text: ${text.slice(0, 40)}`)
    last = tag.lastIndex
    const [, close, name, , self] = m
    if (close) {
      const open = stack.pop()
      if (open !== name) throw new Error(`</${name}> closes <${open}>`)
      continue
    }
    if (stack.length === 0) {
      if (root !== '') throw new Error('two root elements')
      root = name!
    }
    elements.set(name!, (elements.get(name!) ?? 0) + 1)
    if (!self) stack.push(name!)
  }
  if (body.slice(last).trim() !== '') throw new Error('text after the root element')
  if (stack.length !== 0) throw new Error(`unclosed: ${stack.join(', ')}`)
  return { root, elements }
}

describe('log scale', () => {
  it('maps the domain ends to the range ends and decades to equal steps', () => {
    const s = logScale(1, 1000, 0, 300)
    expect(s(1)).toBeCloseTo(0)
    expect(s(1000)).toBeCloseTo(300)
    expect(s(10)).toBeCloseTo(100)
    expect(s(100)).toBeCloseTo(200)
    expect(s(Math.sqrt(10))).toBeCloseTo(50)
  })

  it('maps inverted ranges (SVG y grows downwards)', () => {
    const s = logScale(10, 1e5, 400, 0)
    expect(s(10)).toBeCloseTo(400)
    expect(s(1e5)).toBeCloseTo(0)
    expect(s(1e3)).toBeCloseTo(200)
  })

  it('refuses a non-positive domain', () => {
    expect(() => logScale(0, 10, 0, 1)).toThrow(RangeError)
  })

  it('has decade bounds and ticks', () => {
    expect(decadeDomain(2, 10000)).toEqual([1, 10000])
    expect(decadeDomain(37, 5300)).toEqual([10, 10000])
    expect(decadeDomain(100, 100)).toEqual([100, 1000])
    expect(decadeTicks(1, 1000)).toEqual([1, 10, 100, 1000])
  })

  it('formats microseconds with units', () => {
    expect(formatUs(12.345)).toBe('12.3 µs')
    expect(formatUs(1500)).toBe('1.5 ms')
    expect(formatUs(2_000_000)).toBe('2 s')
  })
})

describe('renderChart', () => {
  it('produces well-formed SVG with one path per series and escaped text', () => {
    const svg = renderChart({
      title: 'A & B <test>',
      xLabel: 'n',
      yLabel: 'µs',
      legend: [{ label: 'x "quoted"', color: '#000' }],
      panels: [
        {
          title: 'p1',
          series: [
            { name: 'a', color: '#f00', points: [[2, 10], [16, 100], [128, 1000]] },
            { name: 'b', color: '#00f', dashed: true, points: [[2, 5], [128, 5]] },
          ],
        },
      ],
    })
    const { root, elements } = checkXml(svg)
    expect(root).toBe('svg')
    expect(elements.get('path')).toBe(2)
    expect(svg).toContain('A &amp; B &lt;test&gt;')
    expect(svg).toContain('x &quot;quoted&quot;')
    expect(svg).toContain('stroke-dasharray="6,4"')
  })

  it('places points on the log axes: equal ratios, equal distances', () => {
    const svg = renderChart({
      title: 't',
      xLabel: 'n',
      yLabel: 'µs',
      legend: [],
      panels: [{ title: 'p', series: [{ name: 's', color: '#000', points: [[1, 10], [10, 100], [100, 1000]] }] }],
    })
    const d = /data-series="s" d="([^"]+)"/.exec(svg)![1]!
    const pts = d.split(' ').map((c) => c.slice(1).split(',').map(Number))
    expect(pts).toHaveLength(3)
    expect(pts[1]![0]! - pts[0]![0]!).toBeCloseTo(pts[2]![0]! - pts[1]![0]!, 0)
    expect(pts[1]![1]! - pts[0]![1]!).toBeCloseTo(pts[2]![1]! - pts[1]![1]!, 0)
    expect(pts[2]![1]!).toBeLessThan(pts[0]![1]!) // larger cost is higher up
  })

  it('drops non-positive points instead of producing NaN', () => {
    const svg = renderChart({
      title: 't',
      xLabel: 'n',
      yLabel: 'µs',
      legend: [],
      panels: [{ title: 'p', series: [{ name: 's', color: '#000', points: [[2, 0], [16, 5], [128, 50]] }] }],
    })
    expect(svg).not.toContain('NaN')
    expect(svg).not.toContain('Infinity')
    checkXml(svg)
  })

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a & 'b' "c">`)).toBe('&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;')
  })
})

describe('rekeyChart', () => {
  it('has a panel per re-key operation plus messages, and per panel a committer and a total series per protocol', () => {
    const svg = rekeyChart(sampleReport())
    const { elements } = checkXml(svg)
    expect(elements.get('g')).toBeGreaterThanOrEqual(REKEY_OPS.length + 1)
    for (const op of REKEY_OPS) {
      for (const p of PROTOCOLS) {
        expect(svg).toContain(`data-series="${p} ${op} committer"`)
        expect(svg).toContain(`data-series="${p} ${op} total"`)
      }
    }
    const series = svg.match(/class="series"/g) ?? []
    expect(series).toHaveLength((REKEY_OPS.length + 1) * PROTOCOLS.length * 2)
    for (const p of PROTOCOLS) expect(svg).toContain(`data-series="${p} message sender"`)
    expect(svg).toContain('(provisional)')
  })

  it('labels the x axis with the run\'s group sizes', () => {
    const svg = rekeyChart(sampleReport())
    for (const n of ['2', '16', '128']) expect(svg).toMatch(new RegExp(`text-anchor="middle" font-size="11">${n}</text>`))
  })

  it('leaves out protocols without rows', () => {
    const r = sampleReport()
    const svg = rekeyChart({ ...r, rekey: r.rekey.filter((x) => x.protocol !== 'coordinator'), scale: r.scale.filter((x) => x.protocol !== 'coordinator') })
    expect(svg).not.toContain('data-series="coordinator')
    checkXml(svg)
  })
})
