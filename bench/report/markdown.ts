/**
 * Renders a Report (bench/report/model.ts) as bench/results/latest.md and as
 * JSON. Pure functions of the report: unit-tested in test/bench.
 */
import { PROTOCOL_LABEL, PROTOCOLS, REKEY_OP_LABEL, REKEY_OPS, type MessageRow, type PeerSection, type RekeyOp, type RekeyRow, type Report } from './model.js'
import { formatUs } from './svg.js'

export function formatBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`
  if (b >= 10 * 1024) return `${(b / 1024).toFixed(1)} KiB`
  return `${Math.round(b).toLocaleString('en-US')} B`
}

export function sizeLabel(size: number): string {
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`
  return `${size} B`
}

/** a / b as "1.23×" (3 significant digits), or "–" when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '–'
  const r = a / b
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`
}

function table(head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

function floorOf(r: Report, size: number) {
  return r.floor.find((x) => x.size === size)
}

function messageTable(r: Report, rows: readonly MessageRow[], bySize: boolean): string {
  return table(
    [
      'protocol',
      bySize ? 'size' : 'n',
      'send',
      'send / floor',
      'receive',
      'receive / floor',
      'hub relay',
      'overhead / ciphertext',
      'ciphertexts',
      'whole group',
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((m) => {
      const fl = floorOf(r, m.size)
      return [
        PROTOCOL_LABEL[m.protocol],
        bySize ? sizeLabel(m.size) : String(m.n),
        formatUs(m.sendUs),
        ratio(m.sendUs, fl?.sendUs),
        formatUs(m.receiveUs),
        ratio(m.receiveUs, fl?.receiveUs),
        m.relayUs === undefined ? '–' : formatUs(m.relayUs),
        formatBytes(m.overheadBytes),
        String(m.copies),
        formatUs(m.totalUs),
      ]
    }),
  )
}

function peerSection(p: PeerSection): string {
  const head = `### ${p.against} vs ${p.peer} ${p.version}`
  if (p.status === 'skipped') return `${head}\n\nSkipped: ${p.reason ?? 'not available'}.`
  const rows = p.rows.map((x) => [x.operation, x.n === undefined ? '' : String(x.n), formatUs(x.oursUs), formatUs(x.peerUs), ratio(x.peerUs, x.oursUs)])
  const parts = [head, '', table(['operation', 'n', 'talos-group', p.peer, `${p.peer} / ours`], ['l', 'r', 'r', 'r', 'r'], rows)]
  if (p.notes) parts.push('', p.notes)
  return parts.join('\n')
}

/** The group size the headline quotes: 1024 when measured, else the largest. */
export function headlineN(r: Report): number {
  return r.groupSizes.includes(1024) ? 1024 : Math.max(...r.groupSizes)
}

/**
 * One row per protocol: a 1 KiB message against the floor, and each re-key at
 * the headline group size (committer / whole group). Also pasted into the
 * README's Benchmarks section.
 */
export function renderHeadline(r: Report): string {
  const n = headlineN(r)
  const fl = floorOf(r, 1024)
  const cell = (row: RekeyRow | undefined) => (row === undefined ? '–' : `${formatUs(row.committerUs)} / ${formatUs(row.totalUs)}`)
  const rows = PROTOCOLS.filter((p) => r.messages.some((m) => m.protocol === p) || r.rekey.some((x) => x.protocol === p)).map((p) => {
    const m = r.messages.find((x) => x.protocol === p && x.size === 1024)
    const at = (op: RekeyOp) => r.rekey.find((x) => x.protocol === p && x.op === op && x.n === n)
    return [
      PROTOCOL_LABEL[p],
      m === undefined ? '–' : `${formatUs(m.sendUs + (m.relayUs ?? 0))} (${ratio(m.sendUs + (m.relayUs ?? 0), fl?.sendUs)})`,
      m === undefined ? '–' : `${formatUs(m.receiveUs)} (${ratio(m.receiveUs, fl?.receiveUs)})`,
      m === undefined ? '–' : formatBytes(m.overheadBytes),
      cell(at('add')),
      cell(at('remove')),
      cell(at('update')),
    ]
  })
  return table(
    [
      'protocol',
      `send 1 KiB (× floor)${r.messages.some((x) => x.relayUs !== undefined) ? ', hub relay incl.' : ''}`,
      'receive 1 KiB (× floor)',
      'overhead',
      `add, n = ${n}: committer / group`,
      `remove, n = ${n}`,
      `update, n = ${n}`,
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  )
}

export function renderMarkdown(r: Report): string {
  const m = r.machine
  const out: string[] = [`# ${r.title}`, '']
  if (r.provisional) out.push(`> **Provisional numbers.** ${r.provisional}`, '')
  out.push(
    `- mode: \`${r.mode}\` (${r.durationS.toFixed(0)} s), date ${m.date}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.platform}${m.loadAverage ? `, load average ${m.loadAverage.map((x) => x.toFixed(1)).join(' / ')} at the start` : ''}`,
    `- Node ${m.node}; ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- group sizes: ${r.groupSizes.join(', ')}; message sizes: ${r.messageSizes.map(sizeLabel).join(', ')} (per-message table at n = ${r.messageN})`,
    '',
    'All figures are medians of the wall-clock time of one operation in one thread (the process runs nothing else meanwhile), ' +
      'bytes to bytes (encoded message in, encoded message out), ' +
      'cipher suite 0x0003 (X25519, ChaCha20-Poly1305, SHA-256, Ed25519) for everything MLS-based. ' +
      '"× floor" is the protocol\'s cost divided by the crypto floor measured in the same run. ' +
      '"Whole group" is the CPU the whole group spends on the operation, summed over members (and the hub).',
    '',
  )
  out.push(`## Headline (1 KiB messages in a group of ${r.messageN}; re-keys at n = ${headlineN(r)})`, '', renderHeadline(r), '')
  if (r.chart) out.push(`![cost against group size, log-log](${r.chart})`, '')

  out.push('## 1. Crypto floor', '')
  out.push(
    'What one message cannot cost less than: send = Ed25519 sign over a message of the plaintext\'s size + one AEAD seal + 3 HKDF-Expand; ' +
      'receive = Ed25519 verify + one AEAD open + 3 HKDF-Expand (the same primitives and sizes the protocols use). ' +
      'Every loop, the floor\'s included, handles distinct messages: Ed25519 verification is variable-time, and one signature verified over and over runs faster than real traffic.',
    '',
    table(
      ['size', 'send floor', 'receive floor'],
      ['r', 'r', 'r'],
      r.floor.map((x) => [sizeLabel(x.size), formatUs(x.sendUs), formatUs(x.receiveUs)]),
    ),
  )
  if (r.primitives.length > 0) {
    out.push('', table(['primitive', 'median', 'samples'], ['l', 'r', 'r'], r.primitives.map((p) => [p.name, formatUs(p.medianUs), String(p.samples)])))
  }

  out.push('', `## 2. Per message, group of ${r.messageN}`, '')
  out.push(
    'send: the sender, plaintext to wire bytes. receive: one receiver, wire bytes to plaintext. ' +
      'hub relay (coordinator only): the hub decrypts once and encrypts once per other member. ' +
      'overhead: bytes of one ciphertext minus the plaintext; ciphertexts: how many distinct ciphertexts one message needs ' +
      '(1 when the delivery service fans the same bytes out). whole group = send + relay + (n-1) × receive.',
    '',
  )
  const ordered = (rows: readonly MessageRow[], key: (m: MessageRow) => number) =>
    [...rows].sort((a, b) => PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol) || key(a) - key(b))
  out.push(messageTable(r, ordered(r.messages, (x) => x.size), true))
  if (r.scale.length > 0) {
    out.push('', '### One 1 KiB message against group size', '')
    out.push(
      'Sender-side cost is O(1) in n for sender-keys, MLS and hybrid (the service fans out one ciphertext); the coordinator\'s hub ' +
        'does n-1 encryptions per message (O(n)).',
      '',
      messageTable(r, ordered(r.scale, (x) => x.n), false),
    )
  }

  out.push('', '## 3. Re-key: add, remove, self-update', '')
  out.push(
    'committer: the member making the change (for sender-keys add, the joiner; for the coordinator, the hub). ' +
      'each other member: one receiver\'s cost. joiner: the new member, when it is not the committer. ' +
      'whole group: the sum over every member (formula per protocol below); per member = whole group / n. ' +
      'bytes: what the committer sends, every copy counted. ' +
      'committer / HPKE seal: the committer\'s cost in units of one HPKE EncryptWithLabel measured in the same run (section 1), ' +
      'a floor unit for re-keys that moves less with machine load than the absolute time.',
  )
  const seal = r.primitives.find((p) => p.name.startsWith('HPKE EncryptWithLabel'))?.medianUs
  for (const op of REKEY_OPS) {
    const rows = r.rekey
      .filter((x) => x.op === op)
      .sort((a, b) => PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol) || a.n - b.n)
    if (rows.length === 0) continue
    out.push('', `### ${REKEY_OP_LABEL[op]}`, '')
    out.push(
      table(
        ['protocol', 'n', 'committer', 'committer / HPKE seal', 'each other member', 'joiner', 'whole group', 'per member', 'bytes', 'method'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
        rows.map((x) => [
          PROTOCOL_LABEL[x.protocol],
          x.n.toLocaleString('en-US'),
          formatUs(x.committerUs),
          ratio(x.committerUs, seal),
          formatUs(x.receiverUs),
          x.joinerUs === undefined ? '–' : formatUs(x.joinerUs),
          formatUs(x.totalUs),
          formatUs(x.totalUs / x.n),
          x.bytes === undefined ? '–' : formatBytes(x.bytes),
          x.method,
        ]),
      ),
    )
  }
  const methodLines = PROTOCOLS.flatMap((p) => {
    const ms = r.methods[p]
    if (ms === undefined) return []
    return Object.entries(ms).map(([op, text]) => `- **${PROTOCOL_LABEL[p]}, ${op}**: ${text}`)
  })
  if (methodLines.length > 0) out.push('', '### How each row is obtained', '', ...methodLines)

  if (r.peers.length > 0) {
    out.push('', '## 4. Peers, same run', '')
    out.push('Ratios above 1× mean talos-group is faster. Same machine, same process, same group shapes where the peer allows it.')
    for (const p of r.peers) out.push('', peerSection(p))
  }
  if (r.notes.length > 0) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`))
  return out.join('\n') + '\n'
}

/** The report as JSON (what bench/results/report.json holds). */
export function renderJson(r: Report): string {
  return JSON.stringify({ format: 'talos-group-bench/1', ...r }, null, 2) + '\n'
}
