/**
 * The uniform shape of a per-protocol driver (bench/protocols/<protocol>.ts):
 * per-message cost at a plaintext size in a group of n, and the re-key
 * operations (add, remove, self-update/rekey) at n, each giving the
 * committer's cost, one receiver's, the whole group's and the method.
 * Group set-up is legitimate (real keys, real sessions / commits) and cached
 * per process; drivers release a size's state when the runner is done with it.
 */
import type { BenchMode } from '../harness.js'
import type { MessageRow, ProtocolId, RekeyOp, RekeyRow } from '../report/model.js'
import { budgetFor, type Budget } from './measure.js'

export interface DriverContext {
  readonly mode: BenchMode
  budget(n: number): Budget
}

export function context(mode: BenchMode): DriverContext {
  return { mode, budget: (n) => budgetFor(mode, n) }
}

export interface ProtocolDriver {
  readonly id: ProtocolId
  /** Formulas for the report, per op ('message' for per-message totals). */
  readonly methods: Partial<Record<RekeyOp | 'message', string>>
  /** Per-message cost at each plaintext size, in a group of n. */
  messages(n: number, sizes: readonly number[], ctx: DriverContext): Promise<MessageRow[]>
  /** add, remove, update at n. */
  rekey(n: number, ctx: DriverContext): Promise<RekeyRow[]>
  /** Frees the state built for n. */
  release(n: number): void
}

export const GROUP_ID = new TextEncoder().encode('talos bench group')

/**
 * A message row for a protocol whose delivery service fans one ciphertext out
 * (sender keys, MLS, hybrid): one copy, whole group = send + (n-1) x receive.
 */
export function fanOutRow(protocol: ProtocolId, n: number, size: number, sendUs: number, receiveUs: number, overheadBytes: number): MessageRow {
  return { protocol, size, n, sendUs, receiveUs, overheadBytes, copies: 1, totalUs: sendUs + (n - 1) * receiveUs }
}

/**
 * A message loop's plaintexts: one random buffer of `size` bytes whose first
 * bytes hold a counter rewritten on every call, so no two messages have the
 * same content. That matters for MLS, which signs the content: libsodium's
 * Ed25519 verification is variable-time, and one message verified over and
 * over runs ~2 µs faster than distinct ones (the CPU learns its branches),
 * an edge no other protocol here gets (sender keys and the ratchets sign or
 * MAC fresh ciphertext). The buffer is reused: a send must not keep it.
 */
export function plaintexts(size: number): () => Uint8Array {
  const b = randomPlaintext(size)
  const stamp = Math.min(4, size)
  let counter = 0
  return () => {
    counter = (counter + 1) >>> 0
    for (let i = 0; i < stamp; i++) b[i] = (counter >>> (8 * i)) & 0xff
    return b
  }
}

export function randomPlaintext(size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(size, i + 65536)))
  return b
}
