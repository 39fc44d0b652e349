/**
 * Adopting a staged next state (RFC 9420 §9.2 deletion schedule, §8.6
 * resumption PSKs, §16.4 late messages).
 *
 * The old epoch is retired (only what late application messages need is
 * kept, for `pastEpochRetention` epochs), its resumption_psk stays in the
 * bounded resumption map, private keys the new state no longer holds are
 * zeroed, and every retired epoch that falls out of the window is zeroed.
 * Discarding a staged state zeroes what only it held.
 */
import { retireEpoch, zeroRetired, zeroEpoch, type RetiredEpoch } from './epoch.js'
import type { GroupState } from './state.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'

/** The resumption PSKs of `old` plus the new epoch's, trimmed to the retention bound. */
export function nextResumptionPsks(old: GroupState, epoch: bigint, psk: Uint8Array): Map<bigint, Uint8Array> {
  const keep = old.config.resumptionPskRetention
  const out = new Map(old.resumptionPsks)
  if (keep === 0) return out
  out.set(epoch, psk.slice())
  const epochs = [...out.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  while (epochs.length > keep) {
    const e = epochs.shift()!
    out.delete(e)
  }
  return out
}

/**
 * Called once `next` replaces `old`: zeroes everything of `old` that `next`
 * does not carry over. `next.retired` must have been built with retiredAfter.
 */
export function finishMerge(old: GroupState, next: GroupState): void {
  old.privateKeys.dispose(next.privateKeys)
  for (const [e, psk] of old.resumptionPsks) if (next.resumptionPsks.get(e) !== psk) memzero(psk)
  const kept = new Set<RetiredEpoch>(next.retired)
  for (const r of old.retired) if (!kept.has(r)) zeroRetired(r)
  if (old.signaturePriv !== next.signaturePriv) memzero(old.signaturePriv)
  for (const k of old.updateKeys.values()) if (![...next.updateKeys.values()].includes(k)) memzero(k)
}

/** The retired list after `old.epoch` ends: old epoch first, bounded; the dropped ones are zeroed by finishMerge. */
export function retiredAfter(old: GroupState): RetiredEpoch[] {
  const keep = old.config.pastEpochRetention
  const r = retireEpoch(old.epoch, old.tree)
  if (keep === 0) {
    zeroRetired(r)
    return []
  }
  return [r, ...old.retired].slice(0, keep)
}


/** The parts of a next state that a staged operation computes; the rest comes from the merge. */
export type StagedState = Omit<GroupState, 'retired' | 'resumptionPsks'>

/**
 * Builds the adopted state from `old` and the staged parts, then zeroes what
 * `old` held and the new state does not. Call only once every check passed.
 */
export function adopt(old: GroupState, staged: StagedState): GroupState {
  const next: GroupState = {
    ...staged,
    resumptionPsks: nextResumptionPsks(old, staged.epoch.framing.groupContext.epoch, staged.epoch.keys.resumptionPsk),
    retired: retiredAfter(old),
  }
  finishMerge(old, next)
  return next
}

/**
 * merge() / discard() over one staged state, each usable once: a second
 * merge is MLS_STALE_STAGE (`what` names the handle in the message), a
 * discard after either is a no-op. Shared by pending and received Commits.
 */
export function oneShotStage(state: GroupState, next: StagedState, what: string): { merge(): GroupState; discard(): void } {
  let done = false
  return {
    merge() {
      if (done) throw new TalosError('MLS_STALE_STAGE', `${what} was already merged or discarded`)
      done = true
      return adopt(state, next)
    },
    discard() {
      if (done) return
      done = true
      discard(state, next)
    },
  }
}

/** Zeroes a staged state that will not be adopted. */
export function discard(live: GroupState, staged: StagedState): void {
  staged.privateKeys.dispose(live.privateKeys)
  // A Commit that rotated our signature key holds the new private key alone.
  if (staged.signaturePriv !== live.signaturePriv) memzero(staged.signaturePriv)
  zeroEpoch(staged.epoch, staged.tree)
}
