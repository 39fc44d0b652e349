/**
 * Applying a validated proposal list to a staged tree and GroupContext
 * extensions (RFC 9420 §12.3), with the leaf and KeyPackage checks each
 * proposal needs (§12.1.1, §12.1.2, §12.1.7, §7.3, §10.1, §13.4):
 *
 *   1. GroupContextExtensions: the new list replaces the old one, and is the
 *      one every later check uses (required_capabilities of Adds);
 *   2. Updates: LeafNode valid for source update at the sender's position,
 *      then replace the leaf and blank its direct path;
 *   3. Removes: blank the leaf and its direct path, truncate;
 *   4. Adds, in order: KeyPackage valid (§10.1) and supporting every group
 *      extension, then the leftmost blank leaf.
 * Afterwards, when the membership or the extensions changed: every member
 * supports every credential type in use (§7.3) and, after a
 * GroupContextExtensions, every group extension and required capability
 * (§12.1.7, §11.1).
 *
 * The tree is a staged clone: a failure anywhere leaves the live tree as it
 * was. Key uniqueness (§7.3) is enforced by the tree itself on every insert.
 */
import { encode } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import { meetsRequiredCapabilities } from '../keys/capabilities.js'
import { validateKeyPackage } from '../keys/key-package.js'
import { validateLeafNode } from '../keys/leaf-node.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { Extension } from '../wire/extension.js'
import type { GroupContext } from '../wire/group-context.js'
import { keyPackageCodec, type KeyPackage } from '../wire/key-package.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import type { GroupConfig } from './config.js'
import { checkUniqueExtensions, externalSendersOf, requiredCapabilitiesOf, supportsGroupExtensions } from './extensions.js'
import type { SortedProposals } from './proposal-list.js'

export interface AddedMember {
  readonly leaf: number
  readonly keyPackage: KeyPackage
  /** Exact KeyPackage bytes (KeyPackageRef input for the Welcome). */
  readonly keyPackageBytes: Uint8Array
}

export interface AppliedProposals {
  readonly extensions: Extension[]
  readonly added: AddedMember[]
  readonly removed: ReadonlySet<number>
}

export interface ApplyOptions {
  readonly config: GroupConfig
  /** Seconds since the epoch, when lifetimes are to be checked. */
  readonly now?: bigint | undefined
}

export function applyProposals(
  tree: RatchetTree,
  context: GroupContext,
  sorted: SortedProposals,
  opts: ApplyOptions,
): AppliedProposals {
  const suite = tree.suite
  const extensions = sorted.groupContextExtensions?.extensions ?? context.extensions
  if (sorted.groupContextExtensions) {
    checkUniqueExtensions(extensions, 'GroupContextExtensions')
    // Bodies we interpret must decode now, not at the first external proposal.
    externalSendersOf(extensions)
  }
  const required = requiredCapabilitiesOf(extensions)
  const authService = opts.config.authService

  for (const { leaf, leafNode } of sorted.updates) {
    validateLeafNode(leafNode, {
      suite,
      authService,
      expectedSource: LeafNodeSource.update,
      previous: tree.leaf(leaf),
      context: { groupId: context.groupId, leafIndex: leaf },
      requiredCapabilities: required,
      groupCipherSuite: context.cipherSuite,
    })
    tree.updateLeaf(leaf, leafNode)
  }
  for (const leaf of sorted.removes) tree.removeLeaf(leaf)
  const added: AddedMember[] = []
  for (const { keyPackage } of sorted.adds) {
    const bytes = encode(keyPackageCodec, keyPackage)
    validateKeyPackage(
      { value: keyPackage, bytes },
      {
        authService,
        cipherSuite: context.cipherSuite,
        now: opts.now,
        maxLifetimeSeconds: opts.config.maxLifetimeSeconds,
        requiredCapabilities: required,
      },
    )
    if (!supportsGroupExtensions(keyPackage.leafNode.capabilities, extensions)) {
      throw new TalosError('MLS_UNSUPPORTED_EXTENSION', 'an added member does not support every group extension')
    }
    added.push({ leaf: tree.addLeaf(keyPackage.leafNode), keyPackage, keyPackageBytes: bytes })
  }
  if (added.length > 0) checkTreeSize(tree.leafCount, opts.config)

  const membershipChanged = sorted.updates.length > 0 || added.length > 0
  if (membershipChanged) checkCredentialTypes(tree, [...sorted.updates.map((u) => u.leaf), ...added.map((a) => a.leaf)])
  if (sorted.groupContextExtensions) {
    for (let i = 0; i < tree.leafCount; i++) {
      const leaf = tree.leaf(i)
      if (leaf === undefined) continue
      if (!supportsGroupExtensions(leaf.capabilities, extensions)) {
        throw new TalosError('MLS_GROUP_CONTEXT_EXTENSIONS_UNSUPPORTED', `member ${i} does not support every new group extension`)
      }
      if (required && !meetsRequiredCapabilities(leaf.capabilities, required)) {
        throw new TalosError('MLS_REQUIRED_CAPABILITIES_UNSUPPORTED', `member ${i} does not meet the new required_capabilities`)
      }
    }
  }
  return { extensions, added, removed: new Set(sorted.removes) }
}

/** The configured bound on the tree size (MLS_TREE_TOO_LARGE). */
export function checkTreeSize(leafCount: number, config: GroupConfig): void {
  if (leafCount > config.maxTreeLeaves) {
    throw new TalosError('MLS_TREE_TOO_LARGE', `a tree of ${leafCount} leaves exceeds maxTreeLeaves (${config.maxTreeLeaves})`)
  }
}

/**
 * §7.3: every member supports every credential type in use. Given that this
 * held before the Commit, only the leaves in `changed` (added, updated, or
 * the committer's new leaf) can break it: each must support every type in
 * use (the tree counts them), and a type that only changed leaves use is
 * new to the group, so every member must support it (the one O(n) case:
 * a credential type entering the group). Without `changed`, the full check.
 */
export function checkCredentialTypes(tree: RatchetTree, changed?: readonly number[]): void {
  if (changed === undefined) return checkAllCredentialTypes(tree)
  const inUse = tree.credentialTypesInUse()
  const byChanged = new Map<number, number>()
  for (const i of changed) {
    const leaf = tree.leaf(i)
    if (leaf === undefined) continue
    for (const t of inUse) {
      if (!leaf.capabilities.credentials.includes(t)) {
        throw new TalosError('MLS_UNSUPPORTED_CREDENTIAL_TYPE', `member ${i} does not support credential type ${t}`)
      }
    }
    const t = leaf.credential.credentialType
    byChanged.set(t, (byChanged.get(t) ?? 0) + 1)
  }
  for (const [t, n] of byChanged) {
    if (tree.credentialTypeCount(t) > n) continue // an unchanged member uses t: everyone supported it already
    for (let i = 0; i < tree.leafCount; i++) {
      const leaf = tree.leaf(i)
      if (leaf !== undefined && !leaf.capabilities.credentials.includes(t)) {
        throw new TalosError('MLS_UNSUPPORTED_CREDENTIAL_TYPE', `member ${i} does not support credential type ${t}`)
      }
    }
  }
}

function checkAllCredentialTypes(tree: RatchetTree): void {
  const inUse = tree.credentialTypesInUse()
  if (inUse.length === 0) return
  for (let i = 0; i < tree.leafCount; i++) {
    const leaf = tree.leaf(i)
    if (leaf === undefined) continue
    for (const t of inUse) {
      if (!leaf.capabilities.credentials.includes(t)) {
        throw new TalosError('MLS_UNSUPPORTED_CREDENTIAL_TYPE', `member ${i} does not support credential type ${t}`)
      }
    }
  }
}
