/**
 * Pairwise rekey targets (HYBRID.md §5): one entry per other member j, in
 * ascending leaf order,
 *
 *   {leaf j, key_version v, EncryptWithLabel(pk[j, v], "HYB1 pairwise rekey", RekeyContext || uint32(j) || uint32(v), r)}
 *
 * with v the latest version j announced (0: its MLS leaf key). A receiver
 * takes the entry for its own leaf and opens it with HRK[own, v].
 */
import type { HybridPairwiseEntry } from '../proto/hybrid.js'
import type { HybridDeps } from './deps.js'
import { encodePairwiseContext } from './encoding.js'
import { hybridError } from './errors.js'
import type { HybridPolicy } from './policy.js'
import { ownPrivateKey, peerKey } from './receive-keys.js'
import type { EpochState } from './state.js'
import type { FoundEntry } from './copath.js'

export const PAIRWISE_LABEL = 'HYB1 pairwise rekey'

export async function sealPairwise(s: EpochState, deps: HybridDeps, rekeyContext: Uint8Array, r: Uint8Array): Promise<HybridPairwiseEntry[]> {
  const out: HybridPairwiseEntry[] = []
  for (const j of s.view.memberLeaves()) {
    if (j === s.ownLeaf) continue
    const { version, publicKey } = peerKey(s, j)
    const ctx = encodePairwiseContext(rekeyContext, j, version)
    const ct = await deps.encryptWithLabel(s.suite, publicKey, PAIRWISE_LABEL, ctx, r)
    out.push({ leaf: j, keyVersion: version, kemOutput: ct.kemOutput, ciphertext: ct.ciphertext })
  }
  return out
}

/** Validates the entry list and finds ours. Pure. */
export function findPairwiseEntry(
  s: EpochState,
  senderLeaf: number,
  entries: readonly HybridPairwiseEntry[],
  policy: HybridPolicy,
  now: number,
): FoundEntry & { readonly version: number } {
  let prev = -1
  let mine: HybridPairwiseEntry | undefined
  for (const e of entries) {
    if (e.leaf <= prev) throw hybridError('HYBRID_BLOB_MISMATCH', 'pairwise rekey entries are not strictly ascending by leaf')
    prev = e.leaf
    if (e.leaf === senderLeaf || e.leaf >= s.leafWidth || !s.view.isMember(e.leaf)) {
      throw hybridError('HYBRID_BLOB_MISMATCH', `pairwise rekey entry for leaf ${e.leaf}, which is not another member`)
    }
    if (e.leaf === s.ownLeaf) mine = e
  }
  if (mine === undefined) throw hybridError('HYBRID_NO_REKEY_ENTRY', `no pairwise rekey entry of leaf ${senderLeaf} is for us`)
  const sk = ownPrivateKey(s, mine.keyVersion, policy, now)
  if (sk === undefined) {
    throw hybridError('HYBRID_NO_REKEY_ENTRY', `the pairwise rekey is sealed to our receive key version ${mine.keyVersion}, which we no longer hold`)
  }
  return { kemOutput: mine.kemOutput, ciphertext: mine.ciphertext, privateKey: sk, node: 2 * s.ownLeaf, version: mine.keyVersion }
}
