/**
 * The data of one `npm run bench` report: what bench/protocols measures and
 * bench/report renders (markdown, JSON, SVG). Plain data, no behaviour, so the
 * renderers can be unit-tested on hand-made reports.
 *
 * Units: microseconds (median wall-clock time of one operation, in a process
 * doing nothing else meanwhile), bytes.
 */
import type { BenchMode, Machine } from '../harness.js'

export const PROTOCOLS = ['sender-keys', 'mls', 'hybrid-copath', 'hybrid-pairwise', 'coordinator'] as const
export type ProtocolId = (typeof PROTOCOLS)[number]

export const PROTOCOL_LABEL: Record<ProtocolId, string> = {
  'sender-keys': 'sender-keys',
  mls: 'mls',
  'hybrid-copath': 'hybrid (copath)',
  'hybrid-pairwise': 'hybrid (pairwise)',
  coordinator: 'coordinator',
}

export const REKEY_OPS = ['add', 'remove', 'update'] as const
export type RekeyOp = (typeof REKEY_OPS)[number]

export const REKEY_OP_LABEL: Record<RekeyOp, string> = {
  add: 'add one member',
  remove: 'remove one member',
  update: 'self-update / rekey',
}

/** The per-message crypto floor at one plaintext size. */
export interface FloorRow {
  readonly size: number
  /** Ed25519 sign over the plaintext-sized message + AEAD seal + 3 HKDF-Expand. */
  readonly sendUs: number
  /** Ed25519 verify + AEAD open + 3 HKDF-Expand. */
  readonly receiveUs: number
}

/** One primitive measured for the floor section. */
export interface PrimitiveRow {
  readonly name: string
  readonly medianUs: number
  readonly samples: number
}

/** Per-message cost of one protocol at one plaintext size, in a group of `n`. */
export interface MessageRow {
  readonly protocol: ProtocolId
  readonly size: number
  readonly n: number
  /** The sender: plaintext in, bytes for the delivery service out. */
  readonly sendUs: number
  /** One receiver: bytes in, plaintext out. */
  readonly receiveUs: number
  /** Coordinator only: the hub's work per message (1 decrypt + n-1 encrypts). */
  readonly relayUs?: number
  /** Bytes of one ciphertext on the wire minus the plaintext. */
  readonly overheadBytes: number
  /** Ciphertexts sent per message: 1 (the service fans it out) or n-1 (the hub encrypts per member). */
  readonly copies: number
  /** Whole-group CPU for one message: send + relay + (n-1) x receive. */
  readonly totalUs: number
}

/** One re-key operation at one group size. */
export interface RekeyRow {
  readonly protocol: ProtocolId
  readonly op: RekeyOp
  readonly n: number
  /** The member making the change (committer, rotating member, hub, joiner for sender-keys add). */
  readonly committerUs: number
  /** Each other member (one receiver's cost). */
  readonly receiverUs: number
  /** The new member's cost when it is not the committer (MLS join from the Welcome, ...). */
  readonly joinerUs?: number
  /** Whole-group CPU of the operation. */
  readonly totalUs: number
  /** Bytes the committer sends (all copies). */
  readonly bytes?: number
  /** How the row was obtained: which parts measured directly, which multiplied. */
  readonly method: string
}

export interface PeerRow {
  readonly operation: string
  /** Group size, when the operation depends on it. */
  readonly n?: number
  readonly oursUs: number
  readonly peerUs: number
}

export interface PeerSection {
  readonly peer: string
  readonly version: string
  /** What of ours it is compared with. */
  readonly against: string
  readonly status: 'measured' | 'skipped'
  readonly reason?: string
  readonly rows: readonly PeerRow[]
  readonly notes?: string
}

export interface Report {
  readonly title: string
  readonly mode: BenchMode
  /** Set when the numbers were taken on a loaded or shared machine. */
  readonly provisional?: string
  readonly machine: Machine & { readonly loadAverage?: readonly number[] }
  /** package -> version (this package, peers, Node). */
  readonly versions: Readonly<Record<string, string>>
  readonly durationS: number
  readonly messageSizes: readonly number[]
  readonly groupSizes: readonly number[]
  /** Group size of the per-message size table. */
  readonly messageN: number
  readonly floor: readonly FloorRow[]
  readonly primitives: readonly PrimitiveRow[]
  readonly messages: readonly MessageRow[]
  /** Per message at 1 KiB against group size. */
  readonly scale: readonly MessageRow[]
  readonly rekey: readonly RekeyRow[]
  /** protocol -> op -> the formula used for totals. */
  readonly methods: Readonly<Partial<Record<ProtocolId, Readonly<Partial<Record<RekeyOp | 'message', string>>>>>>
  readonly peers: readonly PeerSection[]
  readonly notes: readonly string[]
  /** File name of the chart, relative to the report. */
  readonly chart?: string
}
