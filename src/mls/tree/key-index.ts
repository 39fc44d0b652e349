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
 * Ownership is a token per instance rather than a flag per shard: a shard
 * records the token of the instance that made it, and clone() gives both
 * instances fresh tokens, so it costs one pointer-array copy (no flag arrays
 * to allocate and reset).
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

interface Shard {
  readonly map: Map<string, number>
  /** The token of the instance that may change `map` in place. */
  readonly owner: object
}

export class KeyIndex {
  private shards: (Shard | undefined)[]
  private token: object

  constructor() {
    this.shards = new Array<Shard | undefined>(SHARDS).fill(undefined)
    this.token = {}
  }

  /** A copy sharing every shard; both sides copy a shard before their next write to it. */
  clone(): KeyIndex {
    const c = Object.create(KeyIndex.prototype) as KeyIndex
    c.shards = this.shards.slice()
    c.token = {}
    this.token = {}
    return c
  }

  /** Where `key` lives in the index; compute once and reuse for get/add/remove of the same key. */
  static ref(kind: KeyKind, key: Uint8Array): KeyRef {
    return { shard: shardOf(key), id: keyString(kind, key) }
  }

  get(ref: KeyRef): number | undefined {
    return this.shards[ref.shard]?.map.get(ref.id)
  }

  private writable(s: number): Map<string, number> {
    const shard = this.shards[s]
    if (shard !== undefined && shard.owner === this.token) return shard.map
    const map = shard === undefined ? new Map<string, number>() : new Map(shard.map)
    this.shards[s] = { map, owner: this.token }
    return map
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
