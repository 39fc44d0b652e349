/**
 * FileStore: a StateStore in a directory, one file per key.
 *
 * A write never touches the live file. It writes a temp file, fsyncs it,
 * renames it over the live file (atomic on POSIX file systems), then fsyncs
 * the directory so the rename itself is durable. A crash at any point
 * leaves either the old record or the new one, never a mix; leftover temp
 * files are removed the next time the store is opened.
 *
 * One process owns a directory at a time (a LOCK file holding its pid):
 * compare-and-swap is enforced in memory, per key, so two processes writing
 * the same directory would defeat it. A lock left by a dead process is
 * taken over.
 *
 * Records hold private keys, so the buffers the store fills itself are
 * zeroed once used: the raw file it reads, its copy of a value being put,
 * the encoded record it writes, and an old value read only to check its
 * version. What get hands out belongs to the caller, who wipes it. This is
 * all JS allows: the garbage collector may have moved or copied a buffer
 * before it was wiped, and the hash functions (libsodium's WASM heap,
 * OpenSSL) and the kernel's page cache keep copies out of our reach; the
 * files themselves are only unlinked or replaced, never overwritten (on
 * journaling or copy-on-write file systems and SSDs that would not reach
 * the old blocks anyway). Protect the directory (it is created 0700) and
 * use disk encryption.
 */
import { constants } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { decodeHeader, decodeRecord, encodeRecord, RECORD_HEADER_BYTES } from './record.js'
import {
  checkKey,
  checkPrefix,
  checkValue,
  checkVersion,
  conflict,
  MAX_VALUE_BYTES,
  type StateStore,
  type Versioned,
} from './types.js'

/** Points in a write where a test can simulate a crash by throwing. */
export type WriteStep = 'temp-written' | 'renamed'

export interface FileStoreOptions {
  /**
   * Test hook, called at each step of every write. Throwing from it
   * simulates the process dying there: the store must then be reopened.
   */
  readonly onWriteStep?: (step: WriteStep, key: string) => void | Promise<void>
}

const RECORD_SUFFIX = '.rec'
const TEMP_SUFFIX = '.tmp'
const LOCK_FILE = 'LOCK'

function io(what: string, e: unknown): TalosError {
  if (e instanceof TalosError) return e
  const code = (e as NodeJS.ErrnoException)?.code ?? ''
  return new TalosError('STORE_IO', `${what}: ${code} ${e instanceof Error ? e.message : String(e)}`, { cause: e })
}

const hex = (s: string): string => Buffer.from(s, 'ascii').toString('hex')
const unhex = (h: string): string => Buffer.from(h, 'hex').toString('ascii')

export class FileStore implements StateStore {
  /** Per-key queue: operations on one key run one at a time. */
  private readonly queues = new Map<string, Promise<unknown>>()
  private closed = false

  private constructor(
    readonly dir: string,
    private readonly options: FileStoreOptions,
  ) {}

  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await takeLock(dir)
      // Temp files are writes that never reached their rename: a crash happened there.
      for (const name of await readdir(dir)) {
        if (name.endsWith(TEMP_SUFFIX)) await unlink(join(dir, name))
      }
    } catch (e) {
      throw io(`open ${dir}`, e)
    }
    return new FileStore(dir, options)
  }

  /** Releases the directory lock. The store cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled(this.queues.values())
    await unlink(join(this.dir, LOCK_FILE)).catch(() => undefined)
  }

  private serial<T>(key: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TalosError('STORE_CLOSED', 'store is closed'))
    const run = (this.queues.get(key) ?? Promise.resolve()).then(op)
    const tail = run.catch(() => undefined)
    this.queues.set(key, tail)
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key)
    })
    return run
  }

  private path(key: string): string {
    return join(this.dir, hex(key) + RECORD_SUFFIX)
  }

  /** The record on disk, tombstones included. */
  private async read(key: string): Promise<{ version: number; deleted: boolean; payload: Uint8Array } | undefined> {
    let fh: FileHandle
    try {
      fh = await open(this.path(key), constants.O_RDONLY)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw io(`read ${key}`, e)
    }
    // Read into a buffer of our own (readFile would hand back a Buffer we
    // would then copy), so that exactly one raw copy exists and is wiped.
    let raw: Uint8Array | undefined
    try {
      const { size } = await fh.stat()
      if (size > MAX_VALUE_BYTES + 1024) throw new TalosError('STORE_CORRUPT', `${key}: record of ${size} bytes`)
      raw = new Uint8Array(size)
      let filled = 0
      while (filled < size) {
        const { bytesRead } = await fh.read(raw, filled, size - filled, filled)
        if (bytesRead === 0) break // shorter than stat said: decodeRecord reports it truncated
        filled += bytesRead
      }
      return decodeRecord(raw.subarray(0, filled), key)
    } catch (e) {
      throw io(`read ${key}`, e)
    } finally {
      raw?.fill(0)
      await fh.close()
    }
  }

  /** Version and tombstone flag of the record on disk; its payload, read only to verify the record, is wiped. */
  private async current(key: string): Promise<{ version: number; deleted: boolean } | undefined> {
    const r = await this.read(key)
    r?.payload.fill(0)
    return r === undefined ? undefined : { version: r.version, deleted: r.deleted }
  }

  private async write(key: string, version: number, deleted: boolean, payload: Uint8Array): Promise<void> {
    const final = this.path(key)
    const temp = `${final}.${Buffer.from(randomBytes(8)).toString('hex')}${TEMP_SUFFIX}`
    try {
      const fh = await open(temp, 'wx', 0o600)
      const record = encodeRecord({ version, deleted, payload })
      try {
        await fh.writeFile(record)
        await fh.sync()
      } finally {
        record.fill(0)
        await fh.close()
      }
    } catch (e) {
      await unlink(temp).catch(() => undefined)
      throw io(`write ${key}`, e)
    }
    await this.options.onWriteStep?.('temp-written', key)
    try {
      await rename(temp, final)
      await syncDir(this.dir)
    } catch (e) {
      throw io(`commit ${key}`, e)
    }
    await this.options.onWriteStep?.('renamed', key)
  }

  async get(key: string): Promise<Versioned | undefined> {
    checkKey(key)
    return this.serial(key, async () => {
      const r = await this.read(key)
      return r === undefined || r.deleted ? undefined : { version: r.version, bytes: r.payload }
    })
  }

  async put(key: string, bytes: Uint8Array, expectedVersion: number): Promise<number> {
    checkKey(key)
    checkValue(bytes)
    checkVersion(expectedVersion)
    const payload = new Uint8Array(bytes) // the caller may reuse its buffer while we wait our turn (Buffer#slice would be a view)
    const done = this.serial(key, async () => {
      const r = await this.current(key)
      const current = r === undefined || r.deleted ? 0 : r.version
      if (current !== expectedVersion) throw conflict(key, expectedVersion, current)
      const version = (r?.version ?? 0) + 1
      await this.write(key, version, false, payload)
      return version
    })
    // Whatever happened (written, conflict, I/O error, store closed before our turn).
    return done.finally(() => payload.fill(0))
  }

  async delete(key: string, expectedVersion: number): Promise<void> {
    checkKey(key)
    checkVersion(expectedVersion)
    return this.serial(key, async () => {
      const r = await this.current(key)
      const current = r === undefined || r.deleted ? 0 : r.version
      if (current !== expectedVersion) throw conflict(key, expectedVersion, current)
      // A tombstone, not an unlink: the key's version must keep growing (no ABA).
      if (r !== undefined && !r.deleted) await this.write(key, r.version, true, new Uint8Array(0))
    })
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix)
    if (this.closed) throw new TalosError('STORE_CLOSED', 'store is closed')
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (e) {
      throw io('list', e)
    }
    const keys: string[] = []
    for (const name of names) {
      const m = /^((?:[0-9a-f]{2})+)\.rec$/.exec(name)
      if (!m) continue
      const key = unhex(m[1]!)
      if (!key.startsWith(prefix)) continue
      if (!(await this.isTombstone(name, key))) keys.push(key)
    }
    return keys.sort()
  }

  private async isTombstone(name: string, key: string): Promise<boolean> {
    let fh: FileHandle | undefined
    try {
      fh = await open(join(this.dir, name), constants.O_RDONLY)
      const header = new Uint8Array(RECORD_HEADER_BYTES)
      const { bytesRead } = await fh.read(header, 0, RECORD_HEADER_BYTES, 0)
      return decodeHeader(header.subarray(0, bytesRead), key).deleted
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true
      throw io(`list ${key}`, e)
    } finally {
      await fh?.close()
    }
  }
}

/** Makes a rename in `dir` durable (POSIX: fsync the directory). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function takeLock(dir: string): Promise<void> {
  const lock = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx', 0o600)
      await fh.writeFile(String(process.pid))
      await fh.sync()
      await fh.close()
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new TalosError('STORE_LOCKED', `${dir} is in use by process ${owner}`)
    }
    await unlink(lock).catch(() => undefined) // left by a dead process
  }
  throw new TalosError('STORE_LOCKED', `${dir}: could not take the lock`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
