/**
 * Hand-written SVG line charts on log-log axes (no dependency): the re-key
 * cost of every protocol against group size, one panel per operation.
 *
 * On log-log axes a cost growing as n^k is a straight line of slope k, so the
 * complexity classes read at a glance: O(1) flat, O(log n) almost flat, O(n)
 * slope 1, O(n^2) slope 2. Faint guide lines of slope 1 and 2 are drawn in
 * each panel for reference.
 */
import { PROTOCOL_LABEL, PROTOCOLS, REKEY_OP_LABEL, REKEY_OPS, type ProtocolId, type Report } from './model.js'

export type Point = readonly [x: number, y: number]

export interface Series {
  readonly name: string
  readonly color: string
  readonly dashed?: boolean
  readonly points: readonly Point[]
}

export interface Panel {
  readonly title: string
  readonly series: readonly Series[]
}

export interface LegendEntry {
  readonly label: string
  readonly color: string
  readonly dashed?: boolean
}

export interface ChartSpec {
  readonly title: string
  readonly subtitle?: string
  readonly xLabel: string
  readonly yLabel: string
  readonly panels: readonly Panel[]
  readonly legend: readonly LegendEntry[]
  /** Panels per row (default 2). */
  readonly columns?: number
  /** Tick positions on x (default: powers of 10 in range). */
  readonly xTicks?: readonly number[]
}

export const PROTOCOL_COLOR: Record<ProtocolId, string> = {
  'sender-keys': '#d62728',
  mls: '#1f77b4',
  'hybrid-copath': '#2ca02c',
  'hybrid-pairwise': '#9467bd',
  coordinator: '#ff7f0e',
}

const DRAW_RANK: Record<ProtocolId, number> = { 'hybrid-pairwise': 0, 'hybrid-copath': 1, 'sender-keys': 2, coordinator: 3, mls: 4 }

/** Maps [d0, d1] (positive) to [r0, r1] logarithmically. */
export function logScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (!(d0 > 0 && d1 > 0)) throw new RangeError('log scale needs a positive domain')
  const l0 = Math.log10(d0)
  const span = Math.log10(d1) - l0
  return (v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((Math.log10(v) - l0) / span) * (r1 - r0))
}

/** Decade bounds enclosing [min, max]. */
export function decadeDomain(min: number, max: number): [number, number] {
  const lo = 10 ** Math.floor(Math.log10(min))
  let hi = 10 ** Math.ceil(Math.log10(max))
  if (hi <= lo) hi = lo * 10
  return [lo, hi]
}

/** Powers of 10 in [lo, hi]. */
export function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); 10 ** e <= hi * (1 + 1e-9); e++) out.push(10 ** e)
  return out
}

export function formatUs(us: number): string {
  if (us >= 1e6) return `${trim(us / 1e6)} s`
  if (us >= 1e3) return `${trim(us / 1e3)} ms`
  return `${trim(us)} µs`
}

function trim(v: number): string {
  return Number(v.toPrecision(3)).toString()
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

const f = (v: number): string => (Math.round(v * 10) / 10).toString()

const PANEL_W = 420
const PANEL_H = 300
const MARGIN = { left: 64, right: 16, top: 30, bottom: 44 }

function panelSvg(p: Panel, ox: number, oy: number, xDomain: [number, number], xTicks: readonly number[], xLabel: string, yLabel: string): string {
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0)
  const [ylo, yhi] = pts.length > 0 ? decadeDomain(Math.min(...pts.map((q) => q[1])), Math.max(...pts.map((q) => q[1]))) : [1, 10]
  const x0 = ox + MARGIN.left
  const x1 = ox + PANEL_W - MARGIN.right
  const y0 = oy + PANEL_H - MARGIN.bottom
  const y1 = oy + MARGIN.top
  const sx = logScale(xDomain[0], xDomain[1], x0, x1)
  const sy = logScale(ylo, yhi, y0, y1)
  const out: string[] = [`<g class="panel" data-title="${escapeXml(p.title)}">`]
  out.push(`<text x="${f((x0 + x1) / 2)}" y="${f(oy + 18)}" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`)
  for (const t of decadeTicks(ylo, yhi)) {
    const y = sy(t)
    out.push(`<line x1="${f(x0)}" y1="${f(y)}" x2="${f(x1)}" y2="${f(y)}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${f(x0 - 6)}" y="${f(y + 4)}" text-anchor="end" font-size="11">${escapeXml(formatUs(t))}</text>`)
  }
  for (const t of xTicks) {
    const x = sx(t)
    out.push(`<line x1="${f(x)}" y1="${f(y0)}" x2="${f(x)}" y2="${f(y1)}" stroke="#eeeeee"/>`)
    out.push(`<text x="${f(x)}" y="${f(y0 + 16)}" text-anchor="middle" font-size="11">${t.toLocaleString('en-US')}</text>`)
  }
  // Slope guides: O(n) and O(n^2) through the panel's lower-left corner, clipped to the plot.
  const clip = `clip-${Math.round(ox)}-${Math.round(oy)}`
  out.push(`<clipPath id="${clip}"><rect x="${f(x0)}" y="${f(y1)}" width="${f(x1 - x0)}" height="${f(y0 - y1)}"/></clipPath>`)
  const lx = Math.log10(xDomain[1] / xDomain[0])
  for (const [k, label] of [
    [1, 'O(n)'],
    [2, 'O(n²)'],
  ] as const) {
    const yEnd = ylo * 10 ** (k * lx)
    out.push(
      `<line class="guide" x1="${f(x0)}" y1="${f(y0)}" x2="${f(x1)}" y2="${f(sy(yEnd))}" stroke="#bbbbbb" stroke-dasharray="2,4" clip-path="url(#${clip})"/>`,
    )
    const yl = sy(Math.min(yEnd, yhi))
    const xl = yEnd <= yhi ? x1 : sx(xDomain[0] * 10 ** (Math.log10(yhi / ylo) / k))
    out.push(`<text x="${f(xl - 4)}" y="${f(yl + 12)}" text-anchor="end" font-size="10" fill="#999999">${label}</text>`)
  }
  out.push(`<rect x="${f(x0)}" y="${f(y1)}" width="${f(x1 - x0)}" height="${f(y0 - y1)}" fill="none" stroke="#888888"/>`)
  out.push(`<text x="${f((x0 + x1) / 2)}" y="${f(y0 + 34)}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`)
  out.push(
    `<text x="${f(ox + 14)}" y="${f((y0 + y1) / 2)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${f(ox + 14)} ${f((y0 + y1) / 2)})">${escapeXml(yLabel)}</text>`,
  )
  for (const s of p.series) {
    const good = s.points.filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0])
    if (good.length === 0) continue
    const d = good.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(sx(x))},${f(sy(y))}`).join(' ')
    out.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`,
    )
    for (const [x, y] of good) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="${s.color}"/>`)
  }
  out.push('</g>')
  return out.join('\n')
}

/** A whole chart: title, panels in a grid, one legend. */
export function renderChart(spec: ChartSpec): string {
  const cols = Math.max(1, spec.columns ?? 2)
  const rows = Math.ceil(spec.panels.length / cols)
  const top = spec.subtitle ? 52 : 36
  const legendRows = Math.ceil(spec.legend.length / 3)
  const width = cols * PANEL_W
  const height = top + rows * PANEL_H + 16 + legendRows * 20 + 8
  const xs = spec.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q[0]))).filter((x) => x > 0)
  const xDomain: [number, number] = xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [1, 10]
  if (xDomain[0] === xDomain[1]) xDomain[1] = xDomain[0] * 10
  const xTicks = spec.xTicks ?? decadeTicks(xDomain[0], xDomain[1])
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ]
  if (spec.subtitle) out.push(`<text x="${width / 2}" y="40" text-anchor="middle" font-size="11" fill="#555555">${escapeXml(spec.subtitle)}</text>`)
  spec.panels.forEach((p, i) => {
    out.push(panelSvg(p, (i % cols) * PANEL_W, top + Math.floor(i / cols) * PANEL_H, xDomain, xTicks, spec.xLabel, spec.yLabel))
  })
  const ly = top + rows * PANEL_H + 16
  spec.legend.forEach((e, i) => {
    const x = 24 + (i % 3) * Math.floor((width - 24) / 3)
    const y = ly + Math.floor(i / 3) * 20
    out.push(
      `<g class="legend"><line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="6,4"' : ''}/>` +
        `<text x="${x + 34}" y="${y + 4}">${escapeXml(e.label)}</text></g>`,
    )
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/**
 * The report's chart: one panel per re-key operation (committer solid, whole
 * group dashed, one colour per protocol) and one for a 1 KiB message (the
 * sender's work, the hub's relay included for the coordinator, solid; the
 * whole group's, dashed).
 */
export function rekeyChart(r: Report): string {
  const present = PROTOCOLS.filter((p) => r.rekey.some((x) => x.protocol === p) || r.scale.some((x) => x.protocol === p))
  // Drawn last = on top: hybrid add/remove is MLS's plus a little, so MLS is drawn over it.
  const drawOrder = [...present].sort((a, b) => DRAW_RANK[a] - DRAW_RANK[b])
  const panels: Panel[] = REKEY_OPS.map((op) => ({
    title: op === 'update' ? REKEY_OP_LABEL[op] : `${REKEY_OP_LABEL[op]} (hybrid = mls + epoch entry)`,
    series: drawOrder.flatMap((p) => {
      const rows = r.rekey.filter((x) => x.protocol === p && x.op === op)
      if (rows.length === 0) return []
      return [
        { name: `${p} ${op} committer`, color: PROTOCOL_COLOR[p], points: rows.map((x) => [x.n, x.committerUs] as const) },
        { name: `${p} ${op} total`, color: PROTOCOL_COLOR[p], dashed: true, points: rows.map((x) => [x.n, x.totalUs] as const) },
      ]
    }),
  }))
  panels.push({
    title: 'one 1 KiB message',
    series: drawOrder.flatMap((p) => {
      const rows = r.scale.filter((x) => x.protocol === p)
      if (rows.length === 0) return []
      return [
        { name: `${p} message sender`, color: PROTOCOL_COLOR[p], points: rows.map((x) => [x.n, x.sendUs + (x.relayUs ?? 0)] as const) },
        { name: `${p} message total`, color: PROTOCOL_COLOR[p], dashed: true, points: rows.map((x) => [x.n, x.totalUs] as const) },
      ]
    }),
  })
  return renderChart({
    title: 'Cost against group size (log-log)',
    subtitle: `${r.mode} run, ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.date.slice(0, 10)}${r.provisional ? ' (provisional)' : ''}`,
    xLabel: 'group size n',
    yLabel: 'CPU time',
    panels,
    xTicks: r.groupSizes,
    legend: [
      ...present.map((p) => ({ label: PROTOCOL_LABEL[p], color: PROTOCOL_COLOR[p] })),
      { label: 'solid: committer / sender (+ hub relay)', color: '#333333' },
      { label: 'dashed: whole group', color: '#333333', dashed: true },
    ],
  })
}
