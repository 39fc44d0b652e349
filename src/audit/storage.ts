/**
 * Where an audit log's entries live: an append-only sequence of encoded
 * entries. MemoryAuditStorage for tests; FileAuditStorage appends
 * length-prefixed entries to one file and fsyncs each append.
 *
 * A crash in the middle of an append leaves a partial last record; it was
 * never acknowledged, so opening the file cuts it off. Everything before it
 * is kept as is: whether the entries are intact is the verifier's question,
 * not the storage's. The cut-off bytes are never destroyed: a length prefix
 * corrupted in the middle of the file so that it points past the end looks
 * exactly like a torn append, and cutting there would silently drop every
 * entry after it (a shorter hash chain still verifies). So the tail is
 * first saved, fsynced, to a side file `<path>.torn-<offset>-<ms>` and
 * reported in `recovered` (completeLength already refuses a length no
 * append writes, so the tail is always shorter than one record).
 */
import { open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
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

/** An incomplete last record that open() cut off, and where its bytes were saved. */
export interface RecoveredTail {
  /** Offset in the log file where the incomplete record began (the file's length now). */
  readonly offset: number
  readonly bytes: number
  readonly savedTo: string
}

export class FileAuditStorage implements AuditStorage {
  private broken = false

  private constructor(
    private readonly fh: FileHandle,
    private size: number,
    /** Set when open() cut off an incomplete last record (see the header). */
    readonly recovered: RecoveredTail | undefined,
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
      let recovered: RecoveredTail | undefined
      if (whole < bytes.length) {
        recovered = await saveTail(path, whole, bytes.subarray(whole))
        await fh.truncate(whole)
        await fh.sync()
      }
      return new FileAuditStorage(fh, whole, recovered)
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
 * Saves the bytes after the last complete record before they are cut off
 * (see the header): a new side file, fsynced with its directory entry.
 */
async function saveTail(path: string, offset: number, tail: Uint8Array): Promise<RecoveredTail> {
  const savedTo = `${path}.torn-${offset}-${Date.now()}`
  const side = await open(savedTo, 'wx', 0o600)
  try {
    await side.writeFile(tail)
    await side.sync()
  } finally {
    await side.close()
  }
  const dir = await open(dirname(savedTo), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
  return { offset, bytes: tail.length, savedTo }
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
