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
import { entryHash, entryProblem, entryTbs, eventProblem, GENESIS_HASH, SIGNATURE_BYTES } from './canonical.js'
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
  // Checked now, not at the first append, so a bad key never gets as far as a half-written log.
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new TalosError('AUDIT_INVALID_SIGNER', 'the Ed25519 private key is not 32 bytes')
  }
  return { did, sign: (m) => ed25519.sign(privateKey, m) }
}

export interface AuditLogOptions {
  /** Clock for entry timestamps (ms since the Unix epoch); default Date.now. */
  readonly now?: () => number
}

const invalidArgument = (why: string): TalosError => new TalosError('AUDIT_INVALID_ARGUMENT', why)

/** The stored entries; a storage answering with anything but a list of bytes is AUDIT_IO. */
async function readStored(storage: AuditStorage): Promise<Uint8Array[]> {
  const stored: unknown = await storage.readAll()
  if (!Array.isArray(stored) || !stored.every((b) => b instanceof Uint8Array)) {
    throw new TalosError('AUDIT_IO', 'the audit storage did not return a list of Uint8Array entries')
  }
  return stored
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
   * do not hold is AUDIT_CORRUPT, and nothing is appended to it. Arguments
   * of the wrong shape are AUDIT_INVALID_ARGUMENT (storage, options) or
   * AUDIT_INVALID_SIGNER.
   */
  static async open(storage: AuditStorage, signer: AuditSigner, options: AuditLogOptions = {}): Promise<AuditLog> {
    if (typeof storage !== 'object' || storage === null || typeof storage.append !== 'function' || typeof storage.readAll !== 'function') {
      throw invalidArgument('storage is not an AuditStorage')
    }
    if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
      throw new TalosError('AUDIT_INVALID_SIGNER', 'the signer is not an AuditSigner')
    }
    assertDid(signer.did, 'AUDIT_INVALID_SIGNER')
    if (typeof options !== 'object' || options === null || (options.now !== undefined && typeof options.now !== 'function')) {
      throw invalidArgument('options.now is not a function')
    }
    let prevHash = GENESIS_HASH
    let seq = 0n
    for (const bytes of await readStored(storage)) {
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
    if (typeof event !== 'object' || event === null || !Array.isArray(event.recipients)) {
      throw new TalosError('AUDIT_INVALID_EVENT', 'the event is not an AuditEvent')
    }
    const time: unknown = this.now()
    if (typeof time !== 'number' || !Number.isFinite(time)) throw invalidArgument(`the clock returned ${String(time)}`)
    const stamped: AuditEvent = { ...event, recipients: [...event.recipients], timestampMs: BigInt(Math.max(0, Math.floor(time))) }
    const problem = eventProblem(stamped)
    if (problem !== undefined) throw new TalosError('AUDIT_INVALID_EVENT', problem)
    const unsigned = { seq: this.nextSeq, prevHash: this.prevHash, event: stamped, signer: this.signer.did }
    const signature: unknown = this.signer.sign(entryTbs(unsigned))
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new TalosError('AUDIT_INVALID_SIGNER', `the signer returned no ${SIGNATURE_BYTES}-byte signature`)
    }
    const entry: AuditEntry = { ...unsigned, signature }
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
    return (await readStored(this.storage)).map((b) => decodeProto(AuditEntry, b, { maxBytes: MAX_ENTRY_BYTES }))
  }
}
