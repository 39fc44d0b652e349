/**
 * In-memory StateStore: the same contract as FileStore (versions, CAS,
 * versions surviving deletes), nothing survives the process. For tests and
 * for agents that keep no state between runs.
 */
import { checkKey, checkPrefix, checkValue, checkVersion, conflict, type StateStore, type Versioned } from './types.js'

interface Slot {
  version: number
  bytes: Uint8Array | undefined // undefined = deleted (tombstone keeps the version)
}

export class MemoryStore implements StateStore {
  private readonly slots = new Map<string, Slot>()

  async get(key: string): Promise<Versioned | undefined> {
    checkKey(key)
    const s = this.slots.get(key)
    return s?.bytes === undefined ? undefined : { version: s.version, bytes: s.bytes.slice() }
  }

  async put(key: string, bytes: Uint8Array, expectedVersion: number): Promise<number> {
    checkKey(key)
    checkValue(bytes)
    checkVersion(expectedVersion)
    const s = this.slots.get(key)
    const current = s?.bytes === undefined ? 0 : s.version
    if (current !== expectedVersion) throw conflict(key, expectedVersion, current)
    const version = (s?.version ?? 0) + 1
    s?.bytes?.fill(0) // our own copy (get hands out copies): records hold keys, so the old one is wiped
    this.slots.set(key, { version, bytes: new Uint8Array(bytes) }) // a real copy: Buffer#slice is a view of the caller's memory
    return version
  }

  async delete(key: string, expectedVersion: number): Promise<void> {
    checkKey(key)
    checkVersion(expectedVersion)
    const s = this.slots.get(key)
    const current = s?.bytes === undefined ? 0 : s.version
    if (current !== expectedVersion) throw conflict(key, expectedVersion, current)
    if (s !== undefined) {
      s.bytes?.fill(0)
      s.bytes = undefined
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix)
    return [...this.slots].filter(([k, s]) => s.bytes !== undefined && k.startsWith(prefix)).map(([k]) => k).sort()
  }
}
