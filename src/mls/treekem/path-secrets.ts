/**
 * Path secrets and node key pairs (RFC 9420 §7.4):
 *
 *   path_secret[n+1] = DeriveSecret(path_secret[n], "path")
 *   node_secret[n]   = DeriveSecret(path_secret[n], "node")
 *   node_priv[n], node_pub[n] = KEM.DeriveKeyPair(node_secret[n])
 *
 * The committer starts from a random leaf_secret: the leaf's key pair comes
 * from DeriveSecret(leaf_secret, "node") and path_secret[0] (for the first
 * node of the filtered direct path) is DeriveSecret(leaf_secret, "path"), as in
 * §7.4's derivation figure. The commit_secret is the path secret one step
 * past the last node (§8). Each node_secret is zeroed as soon as its key pair
 * exists: it is used exactly once (§7.5 deletion rules).
 */
import { memzero } from '../../crypto/sodium.js'
import type { CipherSuite, KeyPair } from '../../crypto/suite.js'

export function nextPathSecret(suite: CipherSuite, pathSecret: Uint8Array): Uint8Array {
  return suite.deriveSecret(pathSecret, 'path')
}

/** The HPKE key pair of the node whose path secret is `pathSecret`. */
export async function nodeKeyPair(suite: CipherSuite, pathSecret: Uint8Array): Promise<KeyPair> {
  const nodeSecret = suite.deriveSecret(pathSecret, 'node')
  try {
    return await suite.deriveHpkeKeyPair(nodeSecret)
  } finally {
    memzero(nodeSecret)
  }
}

/**
 * nodeKeyPair of each path secret, in order, as one batch: the node secrets
 * are derived first, then the key pairs together (their scalar
 * multiplications may run in parallel, CipherSuite.deriveHpkeKeyPairs).
 */
export async function nodeKeyPairs(suite: CipherSuite, pathSecrets: readonly Uint8Array[]): Promise<KeyPair[]> {
  const nodeSecrets = pathSecrets.map((s) => suite.deriveSecret(s, 'node'))
  try {
    return await suite.deriveHpkeKeyPairs(nodeSecrets)
  } finally {
    for (const s of nodeSecrets) memzero(s)
  }
}

/** Equality of two public keys (nothing secret, so a plain comparison). */
export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
