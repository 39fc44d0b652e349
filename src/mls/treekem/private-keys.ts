/**
 * A member's private view of the ratchet tree (RFC 9420 §4.2 "tree
 * invariant", §7.5 deletion rules): node index -> HPKE private key, for its
 * own leaf and the nodes above it whose secrets it was given.
 *
 * Staging: clone() shares the key buffers with the original, so nothing is
 * zeroed while staged (the live state may still need a key the staged one
 * replaced). When the staged state is adopted, `live.dispose(staged)` zeroes
 * every key the live state held that the staged one no longer holds (keys
 * replaced by a new path, keys of nodes that were blanked); when it is
 * rejected, `staged.dispose(live)` zeroes the keys only the staged state
 * held. Either way every key ends in exactly one place or zeroed, and
 * forgetPrivateKey drops the crypto layer's cached parse of it.
 *
 * Each entry keeps the public key it belongs to, so prune(tree) can drop keys
 * whose node was blanked or re-keyed by a tree operation (Update, Remove,
 * another member's path) without the caller tracking which nodes changed.
 *
 * Persistence: serialize()/deserializeTreePrivateKeys use a TLS encoding
 *   struct { uint32 leaf_index; struct { uint32 node; opaque priv<V>; opaque pub<V>; } keys<V>; }
 * (secret material: the store must encrypt it at rest).
 */
import { decode, Writer, type Reader } from '../../codec/tls.js'
import { forgetPrivateKey, memzero } from '../../crypto/index.js'
import { TalosError } from '../../errors.js'
import { NodeType } from '../wire/ratchet-tree.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import { sameKey } from './path-secrets.js'

interface Entry {
  readonly priv: Uint8Array
  readonly pub: Uint8Array
}

export class TreePrivateKeys {
  /** Our leaf index (node 2 * leafIndex holds our leaf key). */
  readonly leafIndex: number
  private keys: Map<number, Entry>

  constructor(leafIndex: number) {
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex > 0x3fffffff) {
      throw new TalosError('MLS_INVALID_LEAF_INDEX', `leaf index ${leafIndex}`)
    }
    this.leafIndex = leafIndex
    this.keys = new Map()
  }

  /** A staged copy sharing the key buffers (see the file comment). O(log n) entries. */
  clone(): TreePrivateKeys {
    const c = new TreePrivateKeys(this.leafIndex)
    c.keys = new Map(this.keys)
    return c
  }

  get(node: number): Uint8Array | undefined {
    return this.keys.get(node)?.priv
  }

  /** The public key recorded with node's private key. */
  publicKey(node: number): Uint8Array | undefined {
    return this.keys.get(node)?.pub
  }

  has(node: number): boolean {
    return this.keys.has(node)
  }

  /** Node indices held, ascending. */
  nodes(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b)
  }

  get size(): number {
    return this.keys.size
  }

  /** Takes ownership of `priv` (no copy). A key it replaces is not zeroed here: see dispose(). */
  set(node: number, priv: Uint8Array, pub: Uint8Array): void {
    this.keys.set(node, { priv, pub })
  }

  delete(node: number): void {
    this.keys.delete(node)
  }

  /** Drops every key whose node is now blank, outside the tree, or holds another public key. */
  prune(tree: RatchetTree): void {
    for (const [x, e] of this.keys) {
      const n = x < tree.nodeCount ? tree.node(x) : undefined
      const pub = n === undefined ? undefined : n.nodeType === NodeType.leaf ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
      if (pub === undefined || !sameKey(pub, e.pub)) this.keys.delete(x)
    }
  }

  /**
   * Zeroes every private key held here and not (as the very same buffer) by
   * `keep`, then empties this object. `keep` omitted: zero everything.
   */
  dispose(keep?: TreePrivateKeys): void {
    const kept = new Set<Uint8Array>()
    if (keep !== undefined) for (const e of keep.keys.values()) kept.add(e.priv)
    for (const e of this.keys.values()) {
      if (kept.has(e.priv)) continue
      forgetPrivateKey(e.priv)
      memzero(e.priv)
    }
    this.keys.clear()
  }

  serialize(): Uint8Array {
    const w = new Writer(64 + this.keys.size * 120)
    w.u32(this.leafIndex)
    w.list(this.nodes(), (lw, x) => {
      const e = this.keys.get(x)!
      lw.u32(x).opaque(e.priv).opaque(e.pub)
    })
    return w.finish()
  }
}

export function deserializeTreePrivateKeys(bytes: Uint8Array): TreePrivateKeys {
  return decode(
    {
      encode: () => {
        throw new TalosError('MLS_INVALID_STRUCTURE', 'use TreePrivateKeys.serialize')
      },
      decode: (r: Reader) => {
        const keys = new TreePrivateKeys(r.u32())
        r.list((lr) => {
          const x = lr.u32()
          if (keys.has(x)) throw new TalosError('DECODE_INVALID_VALUE', `private key for node ${x} listed twice`)
          keys.set(x, lr.opaque(), lr.opaque())
          return x
        })
        return keys
      },
    },
    bytes,
    'TreePrivateKeys',
  )
}
