/**
 * In-memory key directory. Claims pop the newest one-time item (LIFO, as the
 * NATS directory does); order does not matter for one-time keys, only that
 * each is handed out once, which single-threaded JS guarantees here.
 */
import { TalosError } from '../../errors.js'
import { checkDirectoryItem, checkItemKind, checkMemberDid, checkOneTimeBatch, MAX_ONE_TIME_ITEMS } from '../limits.js'
import type { ClaimedItem, Directory } from '../types.js'

interface Slot {
  readonly oneTime: Uint8Array[]
  lastResort: Uint8Array | undefined
}

export class MemoryDirectory implements Directory {
  private readonly slots = new Map<string, Slot>()

  private slot(did: string, kind: string, create: boolean): Slot | undefined {
    checkMemberDid(did)
    checkItemKind(kind)
    const key = `${did}\n${kind}`
    let s = this.slots.get(key)
    if (s === undefined && create) {
      s = { oneTime: [], lastResort: undefined }
      this.slots.set(key, s)
    }
    return s
  }

  async setLastResort(did: string, kind: string, item: Uint8Array): Promise<void> {
    checkDirectoryItem(item)
    this.slot(did, kind, true)!.lastResort = new Uint8Array(item) // a real copy: Buffer#slice is a view
  }

  async addOneTime(did: string, kind: string, items: readonly Uint8Array[]): Promise<void> {
    checkOneTimeBatch(items)
    const s = this.slot(did, kind, true)!
    if (s.oneTime.length + items.length > MAX_ONE_TIME_ITEMS) {
      throw new TalosError('DELIVERY_DIRECTORY_FULL', `at most ${MAX_ONE_TIME_ITEMS} one-time items per DID and kind`)
    }
    for (const item of items) s.oneTime.push(new Uint8Array(item)) // not slice(): a view on a Buffer
  }

  async claim(did: string, kind: string): Promise<ClaimedItem | undefined> {
    const s = this.slot(did, kind, false)
    if (s === undefined) return undefined
    const item = s.oneTime.pop()
    if (item !== undefined) return { item, oneTime: true }
    return s.lastResort && { item: s.lastResort.slice(), oneTime: false }
  }

  async countOneTime(did: string, kind: string): Promise<number> {
    return this.slot(did, kind, false)?.oneTime.length ?? 0
  }
}
