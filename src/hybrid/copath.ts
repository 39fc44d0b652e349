/**
 * Copath rekey targets (HYBRID.md §5): r is sealed to every node X of
 * resolution(C) for every P in filtered_direct_path(L), C the child of P on
 * L's copath, in RFC 9420 §7.6 order:
 *
 *   {node_index(X), EncryptWithLabel(X.encryption_key, "HYB1 rekey", RekeyContext, r)}
 *
 * (EncryptWithLabel is RFC 9420 §5.1.3's, so the HPKE info carries the label
 * "MLS 1.0 HYB1 rekey".) These are exactly the nodes an UpdatePath from L
 * would encrypt path secrets to, so a receiver finds its entry the way RFC
 * 9420 §7.5 finds the path secret it can decrypt: the lowest common ancestor
 * P of itself and L, and in resolution(C) the node it holds a private key for.
 *
 * The receiver recomputes the whole target list from its tree and requires
 * the blob to match it node for node before any HPKE work: a blob that is not
 * the prescribed one is refused as HYBRID_BLOB_MISMATCH.
 */
import { commonAncestor, left, right } from '../mls/treemath.js'
import type { HybridCopathEntry } from '../proto/hybrid.js'
import type { HybridDeps } from './deps.js'
import { hybridError } from './errors.js'
import type { HybridGroupView } from './group-view.js'

export const COPATH_LABEL = 'HYB1 rekey'

export interface CopathTarget {
  /** The filtered-direct-path node P. */
  readonly parent: number
  /** X, a node of resolution(C). */
  readonly node: number
}

/** The target list of a rekey by `senderLeaf`, §7.6 order. */
export function copathTargets(view: HybridGroupView, senderLeaf: number): CopathTarget[] {
  const s = 2 * senderLeaf
  const out: CopathTarget[] = []
  for (const p of view.filteredDirectPath(senderLeaf)) {
    const c = s < p ? right(p) : left(p)
    for (const x of view.resolution(c)) out.push({ parent: p, node: x })
  }
  return out
}

export async function sealCopath(
  view: HybridGroupView,
  deps: HybridDeps,
  senderLeaf: number,
  rekeyContext: Uint8Array,
  r: Uint8Array,
): Promise<HybridCopathEntry[]> {
  const targets = copathTargets(view, senderLeaf)
  // One batch: the suite may spread the seals' scalar multiplications over cores (CipherSuite.encryptWithLabelMany).
  const cts = await deps.encryptWithLabelMany(
    view.suite,
    targets.map((t) => view.encryptionKey(t.node)),
    COPATH_LABEL,
    rekeyContext,
    targets.map(() => r),
  )
  return targets.map((t, i) => ({ nodeIndex: t.node, kemOutput: cts[i]!.kemOutput, ciphertext: cts[i]!.ciphertext }))
}

export interface FoundEntry {
  readonly kemOutput: Uint8Array
  readonly ciphertext: Uint8Array
  readonly privateKey: Uint8Array
  /** Node index (copath) or key version (pairwise) used, for reporting and key bookkeeping. */
  readonly node: number
}

/** Checks the blob against the tree and finds our entry. Pure: no derivation, no state change. */
export function findCopathEntry(view: HybridGroupView, senderLeaf: number, entries: readonly HybridCopathEntry[]): FoundEntry {
  const targets = copathTargets(view, senderLeaf)
  if (entries.length > targets.length) {
    throw hybridError('HYBRID_BLOB_TOO_LARGE', `copath rekey has ${entries.length} entries, the tree prescribes ${targets.length}`)
  }
  if (entries.length !== targets.length) {
    throw hybridError('HYBRID_BLOB_MISMATCH', `copath rekey has ${entries.length} entries, the tree prescribes ${targets.length}`)
  }
  for (let i = 0; i < targets.length; i++) {
    if (entries[i]!.nodeIndex !== targets[i]!.node) {
      throw hybridError('HYBRID_BLOB_MISMATCH', `copath rekey entry ${i} is for node ${entries[i]!.nodeIndex}, expected ${targets[i]!.node}`)
    }
  }
  const p = commonAncestor(2 * senderLeaf, 2 * view.ownLeaf)
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!
    if (t.parent !== p) continue
    const sk = view.privateKey(t.node)
    if (sk !== undefined) {
      const e = entries[i]!
      return { kemOutput: e.kemOutput, ciphertext: e.ciphertext, privateKey: sk, node: t.node }
    }
  }
  throw hybridError('HYBRID_NO_REKEY_ENTRY', `no copath rekey entry of leaf ${senderLeaf} is for us`)
}
