/**
 * What the hybrid layer needs from an MLS group in one epoch (HYBRID.md §2,
 * §3, §5). The MLS group state machine implements this; tests use an
 * in-memory tree (test/hybrid/harness/memory-tree.ts).
 *
 * Node indices are RFC 9420 array indices (leaf L is node 2L). Every method
 * may be called often: implementations answer from their cached tree
 * (resolutions, filtered direct paths) so a rekey stays O(log n) in a full tree.
 */
import type { CipherSuite } from '../crypto/suite.js'

/** SafeExportSecret component the hybrid epoch seed comes from (HYBRID.md §3, FS-1). */
export const HYBRID_COMPONENT_ID = 0xf001

export interface HybridGroupView {
  readonly suite: CipherSuite
  readonly groupId: Uint8Array
  readonly epoch: bigint
  /** Our leaf index. */
  readonly ownLeaf: number
  /** Number of leaves of the ratchet tree (a power of two, blanks included). */
  readonly leafWidth: number
  /** Number of non-blank leaves (members), ourselves included. */
  readonly memberCount: number

  /** Whether the leaf holds a member in this epoch. */
  isMember(leaf: number): boolean
  /** Non-blank leaves, ascending. */
  memberLeaves(): readonly number[]

  /**
   * SafeExportSecret(componentId) of this epoch (draft-ietf-mls-extensions
   * "Exported Secrets"). Called once per epoch with HYBRID_COMPONENT_ID; the
   * hybrid layer owns (and zeroes) the returned buffer.
   */
  safeExportSecret(componentId: number): Uint8Array

  /** filtered_direct_path(leaf) (RFC 9420 §4.1.2), bottom-up. */
  filteredDirectPath(leaf: number): readonly number[]
  /** resolution(node) (RFC 9420 §4.1.1) with unmerged leaves, in §7.6 order. */
  resolution(node: number): readonly number[]
  /** HPKE encryption_key of a non-blank node. */
  encryptionKey(node: number): Uint8Array
  /** Our HPKE private key for a node we hold (our leaf, or a parent on our direct path), else undefined. */
  privateKey(node: number): Uint8Array | undefined
}
