/**
 * Caches of parsed keys, so that signing or decrypting again with the same
 * key does not re-derive or re-import it (an Ed25519 seed expansion costs a
 * scalar multiplication, an OpenSSL key import 10-400 µs).
 *
 * Private keys: a WeakMap keyed on the caller's Uint8Array, so an entry lives
 * exactly as long as the caller holds the key. Each entry keeps a copy of the
 * bytes it was built from and is used only while they still match
 * (constant-time): a caller that memzeroes or rewrites its key in place gets
 * a fresh derivation, never the stale key. No secret becomes a Map key.
 *
 * Public keys: a bounded LRU keyed on the bytes (public values, so a string
 * key is harmless), sized for the members of a few large groups.
 */
import { constantTimeEqual, memzero } from './sodium.js'

export class PrivateKeyCache<V> {
  private readonly map = new WeakMap<Uint8Array, { bytes: Uint8Array; value: V }>()

  /** `dispose` wipes a value that is replaced because its key bytes changed. */
  constructor(private readonly dispose?: (value: V) => void) {}

  get(key: Uint8Array, build: (key: Uint8Array) => V): V {
    const hit = this.map.get(key)
    if (hit !== undefined) {
      if (constantTimeEqual(hit.bytes, key)) return hit.value
      memzero(hit.bytes)
      this.dispose?.(hit.value)
      this.map.delete(key)
    }
    const value = build(key)
    this.map.set(key, { bytes: key.slice(), value })
    return value
  }
}

export class PublicKeyCache<V> {
  private readonly map = new Map<string, V>()

  constructor(private readonly capacity = 1024) {}

  get(key: Uint8Array, build: (key: Uint8Array) => V): V {
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
    const hit = this.map.get(id)
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.map.delete(id)
      this.map.set(id, hit)
      return hit
    }
    const value = build(key)
    this.map.set(id, value)
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value
      if (oldest !== undefined) this.map.delete(oldest)
    }
    return value
  }

  get size(): number {
    return this.map.size
  }
}
