/**
 * Where an audit log's entries live: an append-only sequence of encoded
 * entries. MemoryAuditStorage for tests; FileAuditStorage appends
 * length-prefixed entries to one file and fsyncs each append.
 *
 * A crash in the middle of an append leaves a partial last record; it was
 * never acknowledged, so opening the file cuts it off. Everything before it
 * is kept as is: whether the entries are intact is the verifier's question,
 * not the storage's.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { TalosError } from '../errors.js'
import { MAX_ENTRY_BYTES } from './verify.js'

export interface AuditStorage {
  /** Appends one encoded entry; durable when the promise resolves. */
  append(entry: Uint8Array): Promise<void>
  /** Every entry, in append order. */
  readAll(): Promise<Uint8Array[]>
}

/** TypedArray.set would copy a string or an array of anything, as NaN-turned-zero bytes. */
function checkEntry(entry: Uint8Array): void {
  if (!(entry instanceof Uint8Array) || entry.length === 0 || entry.length > MAX_ENTRY_BYTES) {
    throw new TalosError('AUDIT_INVALID_ENTRY', 'an entry is 1 to MAX_ENTRY_BYTES bytes in a Uint8Array')
  }
}

export class MemoryAuditStorage implements AuditStorage {
  /** Exposed so tests can tamper with stored entries. */
  readonly entries: Uint8Array[] = []

  async append(entry: Uint8Array): Promise<void> {
    checkEntry(entry)
    this.entries.push(new Uint8Array(entry)) // a real copy: Buffer#slice is a view
  }

  async readAll(): Promise<Uint8Array[]> {
    return this.entries.map((e) => e.slice())
  }
}

const io = (what: string, e: unknown): TalosError =>
  e instanceof TalosError ? e : new TalosError('AUDIT_IO', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })

export class FileAuditStorage implements AuditStorage {
  private broken = false

  private constructor(
    private readonly fh: FileHandle,
    private size: number,
  ) {}

  static async open(path: string): Promise<FileAuditStorage> {
    let fh: FileHandle
    try {
      fh = await open(path, 'a+', 0o600)
    } catch (e) {
      throw io(`open ${path}`, e)
    }
    try {
      const bytes = new Uint8Array(await fh.readFile())
      const whole = completeLength(bytes)
      if (whole < bytes.length) {
        await fh.truncate(whole) // a torn append from a crash
        await fh.sync()
      }
      return new FileAuditStorage(fh, whole)
    } catch (e) {
      await fh.close()
      throw io(`open ${path}`, e)
    }
  }

  async append(entry: Uint8Array): Promise<void> {
    if (this.broken) throw new TalosError('AUDIT_IO', 'audit file is in an unknown state after a failed append')
    checkEntry(entry)
    const record = new Uint8Array(4 + entry.length)
    new DataView(record.buffer).setUint32(0, entry.length)
    record.set(entry, 4)
    try {
      await this.fh.write(record, 0, record.length, null)
      await this.fh.datasync()
      this.size += record.length
    } catch (e) {
      // Undo a partial write so the next append does not land after garbage.
      await this.fh.truncate(this.size).catch(() => {
        this.broken = true
      })
      throw io('append', e)
    }
  }

  async readAll(): Promise<Uint8Array[]> {
    const bytes = new Uint8Array(this.size)
    await this.fh.read(bytes, 0, this.size, 0)
    const out: Uint8Array[] = []
    for (let pos = 0; pos < this.size; ) {
      const len = new DataView(bytes.buffer, pos, 4).getUint32(0)
      out.push(bytes.slice(pos + 4, pos + 4 + len))
      pos += 4 + len
    }
    return out
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}

/**
 * Length of the prefix made of complete records. Only an incomplete LAST
 * record is a torn append; an impossible length anywhere is corruption, and
 * the file is refused rather than cut (cutting would destroy evidence).
 */
function completeLength(bytes: Uint8Array): number {
  let pos = 0
  while (pos + 4 <= bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0)
    if (len === 0 || len > MAX_ENTRY_BYTES) {
      throw new TalosError('AUDIT_CORRUPT', `record at offset ${pos} claims ${len} bytes`)
    }
    if (pos + 4 + len > bytes.length) break
    pos += 4 + len
  }
  return pos
}
