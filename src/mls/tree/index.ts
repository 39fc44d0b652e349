/**
 * The public ratchet tree (RFC 9420 §4, §7, §12.1, §12.4.3): structure,
 * resolutions, tree hashes, parent hashes, validation and serialization.
 * TreeKEM (path secrets, UpdatePath creation/processing, private keys) is in
 * src/mls/treekem and builds on this.
 *
 * Use
 *   const tree = decodeTree(suite, ratchetTreeExtensionBytes)      // or RatchetTree.fromNodes(suite, nodes)
 *   validateRatchetTree(tree, { groupId, treeHash, authService })  // joining (§12.4.3.1)
 *   const staged = tree.clone()                                    // staged commit: mutate only the clone
 *   const i = staged.addLeaf(keyPackage.leafNode)                  // Add   (§12.1.1) -> new leaf index
 *   staged.updateLeaf(sender, leafNode)                            // Update (§12.1.2)
 *   staged.removeLeaf(removed)                                     // Remove (§12.1.3), truncates
 *   staged.treeHash()                                              // root tree hash (§7.8), cached per node
 *   encodeTree(staged)                                             // ratchet_tree extension / persistence
 *
 * RatchetTree (ratchet-tree.ts)
 *   static create(suite, leaf, bytes?)            one-member tree
 *   static fromNodes(suite, nodes)                from wire Nodes / TreeNodes (no trailing blank)
 *   clone()                                       copy-on-write (chunk/shard tables only); nodes immutable and shared
 *   leafCount, nodeCount, root, memberCount
 *   node(x), leafAt(i) (LeafTreeNode with exact bytes), leaf(i), parent(x), memberIndices()
 *   findEncryptionKey(key) -> node index | undefined; findSignatureKey(key) -> leaf index | undefined
 *   leftmostBlankLeaf() -> i (leafCount when full)
 *   resolution(x, excludeLeaves?) -> node indices (§4.1.2)
 *   isResolutionEmpty(x); directPathWithCopath(i); filteredDirectPath(i) -> {node, copath}[]
 *   treeHash(x = root)
 *   addLeaf(leaf, bytes?) -> i; updateLeaf(i, leaf, bytes?); removeLeaf(i); truncate(); extend(); ensureLeaf(i)
 *   setNode(x, TreeNode | undefined); setLeaf(i, leaf, bytes?); blankDirectPath(i)
 *   toNodes() -> ratchet_tree node list
 *   encodedNodes() -> the ratchet_tree node vector body as parts (memoised per 256 slots)
 * Pass `bytes` (the exact received LeafNode encoding) when you have them: the
 * tree hash then covers exactly what the sender signed.
 *
 * Every setter refuses a key already present elsewhere in the tree
 * (MLS_DUPLICATE_ENCRYPTION_KEY / MLS_DUPLICATE_SIGNATURE_KEY) before
 * changing anything; removing or updating a blank leaf is MLS_BLANK_LEAF.
 */
export * from './node.js'
export { RatchetTree } from './ratchet-tree.js'
export { decodeTree, encodeTree, encodedTreeLength, writeTreeParts } from './codec.js'
export { parentHash, originalSiblingTreeHash, verifyParentHashes, leafSpan } from './parent-hash.js'
export { validateRatchetTree, verifyUnmergedLeaves, type TreeValidationOptions } from './validate.js'
