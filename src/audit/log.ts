/**
 * AuditLog: appends signed, hash-chained entries (canonical.ts) for one
 * agent. The group layer appends an event for every send and every
 * membership change; `head()` is the checkpoint to hand to whoever should
 * later be able to detect truncation or a rewrite (verify.ts).
 *
 * Appends are serialised, and the head advances only once the storage has
 * the entry durably, so a failed append leaves the log as it was.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { constantTimeEqual } from '../crypto/sodium.js'
import { assertDid } from '../delivery/did.js'
import { TalosError } from '../errors.js'
import { AuditEntry, type AuditEvent } from '../proto/audit.js'
import { entryHash, entryProblem, entryTbs, eventProblem, GENESIS_HASH } from './canonical.js'
import type { AuditStorage } from './storage.js'
import { MAX_ENTRY_BYTES, type AuditCheckpoint } from './verify.js'

export interface AuditSigner {
  readonly did: string
  /** Ed25519 signature over `message`. */
  sign(message: Uint8Array): Uint8Array
}

/** An AuditSigner from an Ed25519 private key (32-byte seed, the MLS encoding). */
export function ed25519AuditSigner(did: string, privateKey: Uint8Array): AuditSigner {
  assertDid(did, 'AUDIT_INVALID_SIGNER')
  return { did, sign: (m) => ed25519.sign(privateKey, m) }
}

export interface AuditLogOptions {
  /** Clock for entry timestamps (ms since the Unix epoch); default Date.now. */
  readonly now?: () => number
}

export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly storage: AuditStorage,
    private readonly signer: AuditSigner,
    private readonly now: () => number,
    private nextSeq: bigint,
    private prevHash: Uint8Array,
  ) {}

  /**
   * Opens a log over `storage`, continuing its chain. The stored chain is
   * re-hashed (cheap; signatures are the verifier's job): a log whose links
   * do not hold is AUDIT_CORRUPT, and nothing is appended to it.
   */
  static async open(storage: AuditStorage, signer: AuditSigner, options: AuditLogOptions = {}): Promise<AuditLog> {
    assertDid(signer.did, 'AUDIT_INVALID_SIGNER')
    let prevHash = GENESIS_HASH
    let seq = 0n
    for (const bytes of await storage.readAll()) {
      const e = decodeProto(AuditEntry, bytes, { maxBytes: MAX_ENTRY_BYTES })
      const problem = entryProblem(e)
      if (problem !== undefined || e.seq !== seq || !constantTimeEqual(e.prevHash, prevHash)) {
        throw new TalosError('AUDIT_CORRUPT', `stored entry ${seq} does not continue the chain${problem ? `: ${problem}` : ''}`)
      }
      prevHash = entryHash({ ...e, event: e.event! })
      seq++
    }
    return new AuditLog(storage, signer, options.now ?? Date.now, seq, prevHash)
  }

  /** The newest entry's (seq, hash), or undefined while the log is empty. */
  head(): AuditCheckpoint | undefined {
    return this.nextSeq === 0n ? undefined : { seq: this.nextSeq - 1n, hash: this.prevHash.slice() }
  }

  /** Signs and appends `event` (timestamped now); resolves with the entry and the new head. */
  append(event: AuditEvent): Promise<{ entry: AuditEntry; head: AuditCheckpoint }> {
    const run = this.queue.then(() => this.appendNow(event))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async appendNow(event: AuditEvent): Promise<{ entry: AuditEntry; head: AuditCheckpoint }> {
    const stamped: AuditEvent = { ...event, recipients: [...event.recipients], timestampMs: BigInt(Math.max(0, Math.floor(this.now()))) }
    const problem = eventProblem(stamped)
    if (problem !== undefined) throw new TalosError('AUDIT_INVALID_EVENT', problem)
    const unsigned = { seq: this.nextSeq, prevHash: this.prevHash, event: stamped, signer: this.signer.did }
    const entry: AuditEntry = { ...unsigned, signature: this.signer.sign(entryTbs(unsigned)) }
    const bytes = encodeProto(AuditEntry, entry)
    if (bytes.length > MAX_ENTRY_BYTES) throw new TalosError('AUDIT_INVALID_EVENT', `entry of ${bytes.length} bytes`)
    await this.storage.append(bytes)
    this.prevHash = entryHash(unsigned)
    this.nextSeq++
    return { entry, head: this.head()! }
  }

  /** Every entry, decoded (for export or verification). */
  async entries(): Promise<AuditEntry[]> {
    await this.queue
    return (await this.storage.readAll()).map((b) => decodeProto(AuditEntry, b, { maxBytes: MAX_ENTRY_BYTES }))
  }
}
