/**
 * Index of the public keys in a ratchet tree, for the uniqueness rules of
 * RFC 9420 §7.3 ("signature_key and encryption_key unique among the members"),
 * §12.4.2 ("none of the public keys in the UpdatePath appear in any node of
 * the new ratchet tree") and §12.4.3.1 (a parent's encryption key appears in
 * no other node).
 *
 * Why sharded copy-on-write: the tree is cloned for every staged commit, and
 * a commit changes O(log n) keys. A plain Map would have to be copied whole
 * on each clone (O(n)). Here the keys are spread over SHARDS small maps by
 * two bytes of the key (public keys are uniformly distributed there); a clone
 * copies only the array of shard pointers and both copies lose write
 * ownership, so the first write to a shard after a clone copies just that
 * shard (about n / SHARDS entries). Clone is O(SHARDS), a change O(n / SHARDS).
 *
 * Entries map a namespaced key string ('e' + encryption key bytes, 's' +
 * signature key bytes, as latin1) to the node index holding it.
 */

const SHARDS = 1024

export type KeyKind = 'e' | 's'

function shardOf(key: Uint8Array): number {
  // Bytes 1 and 2: uniform for X25519/X448/Ed25519/Ed448 keys and for the
  // coordinates of uncompressed NIST points (byte 0 is the 0x04 tag there).
  return (((key[1] ?? 0) << 8) | (key[2] ?? 0)) & (SHARDS - 1)
}

function keyString(kind: KeyKind, key: Uint8Array): string {
  return kind + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}

export class KeyIndex {
  private shards: (Map<string, number> | undefined)[]
  /** owned[s] = 1 when this instance may mutate shard s in place. */
  private owned: number[]

  constructor() {
    this.shards = new Array<Map<string, number> | undefined>(SHARDS).fill(undefined)
    this.owned = new Array<number>(SHARDS).fill(1)
  }

  /** A copy sharing every shard; both sides copy a shard before their next write to it. */
  clone(): KeyIndex {
    const c = Object.create(KeyIndex.prototype) as KeyIndex
    c.shards = this.shards.slice()
    c.owned = new Array<number>(SHARDS).fill(0)
    this.owned.fill(0)
    return c
  }

  /** Where `key` lives in the index; compute once and reuse for get/add/remove of the same key. */
  static ref(kind: KeyKind, key: Uint8Array): KeyRef {
    return { shard: shardOf(key), id: keyString(kind, key) }
  }

  get(ref: KeyRef): number | undefined {
    return this.shards[ref.shard]?.get(ref.id)
  }

  private writable(s: number): Map<string, number> {
    let m = this.shards[s]
    if (this.owned[s] === 0 || m === undefined) {
      m = m === undefined ? new Map() : new Map(m)
      this.shards[s] = m
      this.owned[s] = 1
    }
    return m
  }

  /** Records the key at node `x` unless another node holds it; returns that other node, if any. */
  add(ref: KeyRef, x: number): number | undefined {
    const held = this.get(ref)
    if (held !== undefined && held !== x) return held
    if (held === undefined) this.writable(ref.shard).set(ref.id, x)
    return undefined
  }

  /** Drops the key if node `x` is the one holding it (a duplicate elsewhere stays indexed). */
  remove(ref: KeyRef, x: number): void {
    if (this.get(ref) !== x) return
    this.writable(ref.shard).delete(ref.id)
  }
}

export interface KeyRef {
  readonly shard: number
  readonly id: string
}
