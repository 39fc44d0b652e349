/**
 * Persistence of a SecretTree (group state storage), TLS-encoded so the bytes
 * are canonical: equal states give equal bytes, which is how "a rejected
 * message leaves the state byte-identical" is checked.
 *
 *   struct { uint32 generation; opaque key<V>; opaque nonce<V>; } SkippedKey;
 *   struct { uint32 generation; opaque secret<V>; SkippedKey skipped<V>; } Ratchet;
 *   struct { uint32 node; opaque secret<V>; } NodeSecret;
 *   struct { uint32 leaf; Ratchet handshake; Ratchet application; } LeafRatchets;
 *   struct {
 *     uint8 format = 1; uint16 cipher_suite; uint32 n_leaves;
 *     uint32 max_out_of_order; uint32 max_forward_distance;
 *     NodeSecret nodes<V>;        // ascending node index
 *     LeafRatchets leaves<V>;     // ascending leaf index
 *   } SecretTreeState;
 *
 * Only unconsumed values are present: consumed keys and ratchet secrets are
 * gone from the state, so they are gone from these bytes too. The decoder
 * validates everything (lengths, ranges, ordering, the one-source-per-leaf
 * invariant) and raises only TalosError.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { Reader, Writer } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import type { KeyNonce, RatchetState } from './hash-ratchet.js'
import { LazyTreeSecrets } from './lazy-tree.js'
import { resolveLimits, SecretTree, type LeafRatchets } from './secret-tree.js'

const FORMAT = 1

function writeRatchet(w: Writer, r: RatchetState): void {
  w.u32(r.generation)
  w.opaque(r.secret)
  const skipped = [...r.skipped.entries()].sort((a, b) => a[0] - b[0])
  w.list(skipped, (v, [g, kn]) => {
    v.u32(g)
    v.opaque(kn.key)
    v.opaque(kn.nonce)
  })
}

export function serializeSecretTree(tree: SecretTree): Uint8Array {
  const { nodes, leaves } = tree.snapshot()
  const w = new Writer(1024)
  w.u8(FORMAT)
  w.u16(tree.suite.id)
  w.u32(tree.nLeaves)
  w.u32(tree.limits.maxOutOfOrder)
  w.u32(tree.limits.maxForwardDistance)
  w.list(nodes, (v, [x, s]) => {
    v.u32(x)
    v.opaque(s)
  })
  w.list(leaves, (v, [leaf, r]) => {
    v.u32(leaf)
    writeRatchet(v, r.handshake)
    writeRatchet(v, r.application)
  })
  return w.finish()
}

function invalid(msg: string): TalosError {
  return new TalosError('MLS_INVALID_TREE_STATE', msg)
}

function readRatchet(r: Reader, suite: CipherSuite, maxOutOfOrder: number): RatchetState {
  const generation = r.u32()
  const secret = r.opaque()
  if (secret.length !== suite.Nh) throw invalid('ratchet secret has the wrong length')
  const skipped = new Map<number, KeyNonce>()
  let prev = -1
  r.list((v) => {
    const g = v.u32()
    const key = v.opaque()
    const nonce = v.opaque()
    if (g <= prev || g >= generation) throw invalid(`skipped generation ${g} is out of order or not behind ${generation}`)
    if (key.length !== suite.Nk || nonce.length !== suite.Nn) throw invalid('skipped key or nonce has the wrong length')
    prev = g
    skipped.set(g, { key, nonce })
    return g
  })
  if (skipped.size > maxOutOfOrder) throw invalid(`${skipped.size} skipped keys exceed maxOutOfOrder ${maxOutOfOrder}`)
  return { generation, secret, skipped }
}

/** Restores a SecretTree written by serializeSecretTree, for the given suite. */
export function deserializeSecretTree(suite: CipherSuite, bytes: Uint8Array): SecretTree {
  try {
    const r = new Reader(bytes)
    const format = r.u8()
    if (format !== FORMAT) throw invalid(`unknown secret tree format ${format}`)
    const suiteId = r.u16()
    if (suiteId !== suite.id) throw invalid(`state is for cipher suite ${suiteId}, not ${suite.id}`)
    const nLeaves = r.u32()
    const limits = resolveLimits({ maxOutOfOrder: r.u32(), maxForwardDistance: r.u32() })
    const nodes = new Map<number, Uint8Array>()
    let prevNode = -1
    r.list((v) => {
      const x = v.u32()
      if (x <= prevNode) throw invalid('frontier nodes are not strictly ascending')
      prevNode = x
      nodes.set(x, v.opaque())
      return x
    })
    const frontier = LazyTreeSecrets.fromFrontier(suite, nLeaves, nodes)
    const ratchets = new Map<number, LeafRatchets>()
    let prevLeaf = -1
    r.list((v) => {
      const leaf = v.u32()
      if (leaf <= prevLeaf || leaf >= nLeaves) throw invalid(`leaf ${leaf} is out of order or out of range`)
      if (frontier.hasLeaf(leaf)) throw invalid(`leaf ${leaf} has both ratchets and an underived node secret`)
      prevLeaf = leaf
      const handshake = readRatchet(v, suite, limits.maxOutOfOrder)
      const application = readRatchet(v, suite, limits.maxOutOfOrder)
      ratchets.set(leaf, { handshake, application })
      return leaf
    })
    r.assertDone('secret tree state')
    return new SecretTree(suite, limits, frontier, ratchets)
  } catch (e) {
    if (e instanceof TalosError) {
      // Config errors in a stored state are state errors from the caller's point of view.
      if (e.code === 'MLS_INVALID_CONFIG' || e.code === 'MLS_INVALID_TREE_SIZE') throw invalid(e.message)
      throw e
    }
    throw new TalosError('DECODE_INVALID', `secret tree state: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
