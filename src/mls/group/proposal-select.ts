/**
 * Which cached proposals a committer includes (RFC 9420 §12.2, §12.4: the
 * committer SHOULD include every valid proposal received, as long as the
 * list stays valid, and resolves conflicts as §12.2 recommends):
 *   - a Remove wins over Updates of the same leaf; of several Updates of a
 *     leaf the most recent wins; repeated Removes of a leaf count once;
 *   - Updates of our own leaf are left out (our path refreshes it) and so is
 *     a Remove of ourselves (we cannot commit it);
 *   - Adds of a client already added in the list, or already a member, are
 *     left out; repeated PreSharedKeyIDs count once;
 *   - of several GroupContextExtensions the most recent wins;
 *   - a ReInit is left out when anything else is pending (it can be resent);
 *   - an Add whose KeyPackage lifetime no longer contains the current time.
 * Proposals for leaves that are no longer members are dropped. The result is
 * then validated like any Commit (proposal-list.ts).
 */
import { SenderType } from '../wire/framing.js'
import { LeafNodeSource } from '../wire/leaf-node.js'
import { ProposalType } from '../wire/proposal.js'
import type { CachedProposal } from './proposal-cache.js'
import { samePskId } from './psk.js'
import type { GroupState } from './state.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export function selectPending(state: GroupState, cached: readonly CachedProposal[]): CachedProposal[] {
  const tree = state.tree
  const now = state.config.clock()
  const isMember = (leaf: number) => leaf < tree.leafCount && tree.leaf(leaf) !== undefined
  const removed = new Set<number>()
  const lastUpdate = new Map<number, CachedProposal>()
  let lastGce: CachedProposal | undefined
  for (const c of cached) {
    const p = c.proposal
    if (p.proposalType === ProposalType.remove && p.remove.removed !== state.ownLeaf && isMember(p.remove.removed)) {
      removed.add(p.remove.removed)
    }
    if (p.proposalType === ProposalType.update && c.sender.senderType === SenderType.member) lastUpdate.set(c.sender.leafIndex, c)
    if (p.proposalType === ProposalType.group_context_extensions) lastGce = c
  }
  const out: CachedProposal[] = []
  const removesSeen = new Set<number>()
  const addKeys = new Set<string>()
  // New encryption keys of the chosen Updates and Adds: two proposals bringing the same key cannot both apply (§7.3).
  const newKeys = new Set<string>()
  const freshKey = (k: Uint8Array): boolean => {
    const h = hex(k)
    if (newKeys.has(h)) return false
    newKeys.add(h)
    return true
  }
  for (const c of cached) {
    const p = c.proposal
    switch (p.proposalType) {
      case ProposalType.remove:
        if (removed.has(p.remove.removed) && !removesSeen.has(p.remove.removed)) {
          removesSeen.add(p.remove.removed)
          out.push(c)
        }
        break
      case ProposalType.update: {
        const leaf = c.sender.senderType === SenderType.member ? c.sender.leafIndex : -1
        if (leaf !== state.ownLeaf && !removed.has(leaf) && lastUpdate.get(leaf) === c && isMember(leaf) && freshKey(p.update.leafNode.encryptionKey)) out.push(c)
        break
      }
      case ProposalType.add: {
        // An Add whose KeyPackage expired since it was proposed cannot be committed by us (§7.3 MUST).
        const leaf = p.add.keyPackage.leafNode
        if (leaf.leafNodeSource === LeafNodeSource.key_package && (now < leaf.lifetime.notBefore || now > leaf.lifetime.notAfter)) break
        const k = hex(p.add.keyPackage.leafNode.signatureKey)
        const existing = tree.findSignatureKey(p.add.keyPackage.leafNode.signatureKey)
        if (addKeys.has(k) || (existing !== undefined && !removed.has(existing))) break
        if (!freshKey(p.add.keyPackage.leafNode.encryptionKey)) break
        addKeys.add(k)
        out.push(c)
        break
      }
      case ProposalType.psk:
        if (!out.some((q) => q.proposal.proposalType === ProposalType.psk && samePskId(q.proposal.psk.psk, p.psk.psk))) out.push(c)
        break
      case ProposalType.group_context_extensions:
        if (c === lastGce) out.push(c)
        break
      default:
        out.push(c)
    }
  }
  const reinit = out.filter((c) => c.proposal.proposalType === ProposalType.reinit)
  if (reinit.length > 0 && out.length > reinit.length) return out.filter((c) => c.proposal.proposalType !== ProposalType.reinit)
  return reinit.length > 1 ? [reinit[reinit.length - 1]!] : out
}
