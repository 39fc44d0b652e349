/**
 * An AuditStorage (src/audit/storage.ts) kept in the client's StateStore, so
 * a client restarted from its store continues its audit chain.
 *
 * Entry i lives under `<prefix><i as 12 decimal digits>`; keys sort in append
 * order. Appends are put-if-absent (version 0): an entry, once written, is
 * never overwritten by this code, so a second writer fails instead of forking
 * the chain.
 */
import type { AuditStorage } from '../audit/index.js'
import type { StateStore } from '../store/types.js'

const WIDTH = 12

export class StoreAuditStorage implements AuditStorage {
  private constructor(
    private readonly store: StateStore,
    private readonly prefix: string,
    private count: number,
  ) {}

  static async open(store: StateStore, prefix: string): Promise<StoreAuditStorage> {
    const keys = await store.list(prefix)
    return new StoreAuditStorage(store, prefix, keys.length)
  }

  keyOf(i: number): string {
    return this.prefix + String(i).padStart(WIDTH, '0')
  }

  async append(entry: Uint8Array): Promise<void> {
    await this.store.put(this.keyOf(this.count), entry, 0)
    this.count++
  }

  async readAll(): Promise<Uint8Array[]> {
    const keys = await this.store.list(this.prefix)
    const out: Uint8Array[] = []
    for (const k of keys) {
      const v = await this.store.get(k)
      if (v !== undefined) out.push(v.bytes)
    }
    return out
  }
}
