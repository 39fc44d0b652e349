/**
 * The MLS group as the hybrid layer sees it (src/hybrid/group-view.ts,
 * HYBRID.md §2–§5): one HybridGroupView per epoch, answered from the MLS
 * state of that epoch.
 *
 * A GroupState is immutable once built (src/mls/group/state.ts), so the view
 * keeps the state object of the epoch it was made for: later commits replace
 * the MlsGroup's state, never this one. Resolutions and filtered direct paths
 * come from the cached ratchet tree (O(log n) per rekey in a full tree); the
 * member list is computed once per view.
 *
 * Private keys are the exception: merging a commit empties the old state's
 * TreePrivateKeys and zeroes the keys the new epoch does not keep. The hybrid
 * layer still needs our previous epoch's keys during its grace period
 * (HYBRID.md §6: a pairwise or copath rekey of epoch e that arrives after the
 * commit to e+1), so a view copies the O(log n) private keys of our own path
 * when it is made. `dispose()` zeroes the copies; HybridEngine calls it once
 * the view's epoch is out of the grace (two epochs on, or epochGraceMs).
 *
 * safeExportSecret consumes the component in the state's exporter tree
 * (draft-ietf-mls-extensions), which is part of the persisted MLS record: the
 * caller persists the MLS state after creating the session.
 */
import type { MlsGroup } from '../mls/index.js'
import type { HybridGroupView } from '../hybrid/index.js'
import { forgetPrivateKey } from '../crypto/index.js'
import { memzero } from '../crypto/sodium.js'
import { TalosError } from '../errors.js'
import { NodeType } from '../mls/wire/ratchet-tree.js'

export interface DisposableView {
  readonly view: HybridGroupView
  /** Zeroes the private keys this view copied. */
  dispose(): void
}

export function mlsHybridView(group: MlsGroup): DisposableView {
  const state = group.currentState
  const tree = state.tree
  const members = tree.memberIndices()
  const memberSet = new Set(members)
  const ownLeaf = state.ownLeaf
  const keys = new Map<number, Uint8Array>()
  for (const node of [2 * ownLeaf, ...tree.directPathWithCopath(ownLeaf).map((e) => e.node)]) {
    const k = state.privateKeys.get(node)
    if (k !== undefined) keys.set(node, k.slice())
  }
  const view: HybridGroupView = {
    suite: state.suite,
    groupId: group.groupId,
    epoch: group.epoch,
    ownLeaf,
    leafWidth: tree.leafCount,
    memberCount: members.length,
    isMember: (leaf) => memberSet.has(leaf),
    memberLeaves: () => members,
    safeExportSecret: (id) => state.epoch.exporterTree.safeExportSecret(id),
    filteredDirectPath: (leaf) => tree.filteredDirectPath(leaf).map((e) => e.node),
    resolution: (node) => tree.resolution(node),
    encryptionKey: (node) => {
      const n = node >= 0 && node < tree.nodeCount ? tree.node(node) : undefined
      if (n === undefined) throw new TalosError('GROUP_INTERNAL', `hybrid view: node ${node} is blank`)
      return n.nodeType === NodeType.leaf ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
    },
    // Only keys we hold: our leaf and the parents on our direct path, as of this epoch.
    privateKey: (node) => keys.get(node),
  }
  return {
    view,
    dispose: () => {
      for (const k of keys.values()) {
        forgetPrivateKey(k)
        memzero(k)
      }
      keys.clear()
    },
  }
}
