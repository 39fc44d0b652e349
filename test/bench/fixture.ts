/** A small hand-made benchmark report for the renderer tests (no measurement). */
import type { MessageRow, ProtocolId, RekeyRow, Report } from '../../bench/report/model.js'
import { PROTOCOLS, REKEY_OPS } from '../../bench/report/model.js'

export function sampleReport(overrides: Partial<Report> = {}): Report {
  const groupSizes = [2, 16, 128]
  const messages: MessageRow[] = []
  const scale: MessageRow[] = []
  const rekey: RekeyRow[] = []
  PROTOCOLS.forEach((p: ProtocolId, i) => {
    for (const size of [64, 1024]) {
      messages.push({ protocol: p, size, n: 16, sendUs: 50 + i, receiveUs: 100 + i, overheadBytes: 100 + i, copies: p === 'coordinator' ? 15 : 1, totalUs: 1600 + i, ...(p === 'coordinator' ? { relayUs: 300 } : {}) })
    }
    for (const n of groupSizes) {
      scale.push({ protocol: p, size: 1024, n, sendUs: 60, receiveUs: 120, overheadBytes: 120, copies: 1, totalUs: 60 + (n - 1) * 120 })
      for (const op of REKEY_OPS) {
        rekey.push({ protocol: p, op, n, committerUs: 100 * n * (i + 1), receiverUs: 10 * (i + 1), totalUs: 100 * n * n * (i + 1), bytes: 90 * n, method: 'measured' })
      }
    }
  })
  return {
    title: 'test report',
    mode: 'quick',
    provisional: 'machine shared with <other> jobs & more',
    machine: { cpu: 'Test CPU', cores: 2, node: 'v20.0.0', platform: 'linux-x64', date: '2026-01-02T03:04:05.000Z', loadAverage: [9.5, 8, 7] },
    versions: { 'talos-group': '0.1.0', 'ts-mls': '1.6.4', '@signalapp/libsignal-client': '0.103.0' },
    durationS: 42,
    messageSizes: [64, 1024],
    groupSizes,
    messageN: 16,
    floor: [
      { size: 64, sendUs: 40, receiveUs: 100 },
      { size: 1024, sendUs: 50, receiveUs: 110 },
    ],
    primitives: [
      { name: 'Ed25519 sign (256 B)', medianUs: 38, samples: 40 },
      { name: 'HPKE EncryptWithLabel (32 B secret)', medianUs: 100, samples: 40 },
    ],
    messages,
    scale,
    rekey,
    methods: { mls: { update: 'commit + (n-1) × process' } },
    peers: [
      { peer: 'ts-mls', version: '1.6.4', against: 'MLS', status: 'measured', rows: [{ operation: 'encrypt 1 KiB', n: 16, oursUs: 50, peerUs: 500 }] },
      { peer: 'libsignal-client', version: '0.103.0', against: 'sender keys', status: 'skipped', reason: 'native module did not load', rows: [] },
    ],
    notes: ['a note'],
    chart: 'rekey.svg',
    ...overrides,
  }
}
