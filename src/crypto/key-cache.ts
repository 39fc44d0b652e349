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
 * An entry (and the secret it holds) otherwise lives until the caller's
 * array is garbage-collected: `forgetPrivateKey(key)` drops it from every
 * cache at once, for callers that delete a key the moment it is consumed.
 *
 * Public keys: a bounded LRU keyed on the bytes (public values, so a string
 * key is harmless), sized for the members of a few large groups.
 */
import { constantTimeEqual, memzero } from './sodium.js'

const privateCaches = new Set<PrivateKeyCache<unknown>>()

/** Removes every cached derivation of this private key (the array itself is left to the caller). */
export function forgetPrivateKey(key: Uint8Array): void {
  for (const c of privateCaches) c.forget(key)
}

export class PrivateKeyCache<V> {
  private readonly map = new WeakMap<Uint8Array, { bytes: Uint8Array; value: V }>()

  /** `dispose` wipes a value that is dropped (replaced or forgotten). */
  constructor(private readonly dispose?: (value: V) => void) {
    privateCaches.add(this as PrivateKeyCache<unknown>)
  }

  forget(key: Uint8Array): void {
    const hit = this.map.get(key)
    if (hit === undefined) return
    memzero(hit.bytes)
    this.dispose?.(hit.value)
    this.map.delete(key)
  }

  get(key: Uint8Array, build: (key: Uint8Array) => V): V {
    const hit = this.map.get(key)
    if (hit !== undefined) {
      if (constantTimeEqual(hit.bytes, key)) return hit.value
      this.forget(key)
    }
    const value = build(key)
    // A real copy, not key.slice(): on a Node Buffer that is a view, so a caller
    // zeroing its key would zero our check bytes too (a stale hit) and forget()
    // would zero the caller's key.
    this.map.set(key, { bytes: new Uint8Array(key), value })
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
