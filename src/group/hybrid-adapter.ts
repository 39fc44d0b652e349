/**
 * The MLS group as the hybrid layer sees it (src/hybrid/group-view.ts,
 * HYBRID.md §2–§5): one HybridGroupView per epoch, answered from the MLS
 * state of that epoch.
 *
 * A GroupState is immutable once built (src/mls/group/state.ts), so the view
 * keeps the state object of the epoch it was made for: later commits replace
 * the MlsGroup's state, never this one. Resolutions and filtered direct paths
 * come from the cached ratchet tree (O(log n) per rekey in a full tree);
 * the member list is computed once per view.
 *
 * safeExportSecret consumes the component in the state's exporter tree
 * (draft-ietf-mls-extensions), which is part of the persisted MLS record: the
 * caller persists the MLS state after creating the session.
 */
import type { MlsGroup } from '../mls/index.js'
import type { HybridGroupView } from '../hybrid/index.js'
import { TalosError } from '../errors.js'
import { NodeType } from '../mls/wire/ratchet-tree.js'

export function mlsHybridView(group: MlsGroup): HybridGroupView {
  const state = group.currentState
  const tree = state.tree
  const members = tree.memberIndices()
  const memberSet = new Set(members)
  const ownLeaf = state.ownLeaf
  const ownPath = new Set<number>([2 * ownLeaf, ...tree.directPathWithCopath(ownLeaf).map((e) => e.node)])
  return {
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
    // Only keys we legitimately hold: our leaf and parents on our direct path
    // whose public key matches what we hold (TreePrivateKeys prunes stale ones).
    privateKey: (node) => (ownPath.has(node) ? state.privateKeys.get(node) : undefined),
  }
}
