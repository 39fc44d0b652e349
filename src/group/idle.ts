/**
 * Idle members and their eviction (HYBRID.md §9: "idle members keep
 * FS-sensitive material"). A member that neither sends nor commits keeps the
 * same leaf keys (and, in hybrid groups, the same seed-tree and ratchet
 * state) for as long as it stays: whoever later steals its state reads
 * everything since it last acted. The group can bound that window by removing
 * members idle longer than a threshold.
 *
 * Activity: per current member, the time (this member's clock) of the last
 * log entry the protocol authenticated as theirs (a message, a commit, a
 * proposal, a capability answer), or of their joining if nothing since. One
 * entry per current member, persisted in the GroupRecord; removed members are
 * dropped. A member's view is built from the log entries it applied, so
 * members that applied the same log with clocks in step agree on who is idle.
 *
 * Eviction: exactly one member acts, so that n-1 members do not race n-1
 * commits for the same removals. The designated evictor is the first member,
 * in the protocol's stable order (MLS leaf order, sender-keys join order),
 * that is not idle; in a protocol where one member alone commits (the
 * coordinator's hub) it is that member. It never evicts itself. If the
 * designated evictor is offline, it becomes idle in turn and the next one
 * evicts it together with the others. The removal goes through the ordinary
 * commit path (src/group/group.ts change()), so delivery conflicts, retries,
 * rekeying and audit are those of removeMember; a lost race is a no-op.
 */
import { TalosError } from '../errors.js'
import type { MemberActivity } from '../proto/group.js'

/** Smallest threshold accepted: below a second, clock skew between members decides who is idle. */
export const MIN_EVICT_IDLE_AFTER_MS = 1_000
/** Largest threshold accepted (366 days). */
export const MAX_EVICT_IDLE_AFTER_MS = 366 * 24 * 60 * 60 * 1000
/** Applied log entries trigger an idle check at most this often (sync() always checks). */
export const MAX_IDLE_CHECK_GAP_MS = 60_000

export interface IdleMember {
  readonly did: string
  /** Milliseconds since the member's last authenticated entry, or its joining. */
  readonly idleMs: number
}

/** The evictIdleAfterMs option: undefined (disabled, the default) or an integer in the accepted range. */
export function checkEvictIdleAfterMs(v: unknown): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_EVICT_IDLE_AFTER_MS || v > MAX_EVICT_IDLE_AFTER_MS) {
    throw new TalosError('GROUP_INVALID_ARGUMENT', `evictIdleAfterMs must be an integer from ${MIN_EVICT_IDLE_AFTER_MS} to ${MAX_EVICT_IDLE_AFTER_MS} ms`)
  }
  return v
}

/** How long after one idle check applied entries may trigger the next. */
export function idleCheckGap(evictIdleAfterMs: number): number {
  return Math.min(evictIdleAfterMs, MAX_IDLE_CHECK_GAP_MS)
}

export class Activity {
  private readonly last = new Map<string, number>()

  /**
   * From a persisted record: an entry per current member; a member without
   * one (a record from before activity was kept, or a fresh group) counts
   * from `now`, which errs towards keeping members.
   */
  static restore(records: readonly MemberActivity[], members: readonly string[], now: number): Activity {
    const a = new Activity()
    const stored = new Map(records.map((r) => [r.did, r.lastActiveMs]))
    for (const m of members) {
      const t = stored.get(m)
      a.last.set(m, t !== undefined && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : now)
    }
    return a
  }

  /** `did` did something the protocol authenticated as theirs. */
  touch(did: string, now: number): void {
    if (this.last.has(did)) this.last.set(did, now)
  }

  /** After a membership change: members added join now, removed ones are dropped. */
  reconcile(members: readonly string[], now: number): void {
    const current = new Set(members)
    for (const d of [...this.last.keys()]) if (!current.has(d)) this.last.delete(d)
    for (const m of members) if (!this.last.has(m)) this.last.set(m, now)
  }

  /** Members idle for at least `afterMs`, most idle first (ties by DID). */
  idle(now: number, afterMs: number): IdleMember[] {
    const out: IdleMember[] = []
    for (const [did, t] of this.last) {
      const idleMs = Math.max(0, now - t)
      if (idleMs >= afterMs) out.push({ did, idleMs })
    }
    return out.sort((a, b) => b.idleMs - a.idleMs || (a.did < b.did ? -1 : a.did > b.did ? 1 : 0))
  }

  serialize(): MemberActivity[] {
    return [...this.last].map(([did, t]) => ({ did, lastActiveMs: BigInt(Math.max(0, Math.floor(t))) }))
  }
}

/**
 * Whom `self` evicts now: every idle member but itself if it is the
 * designated evictor, nobody otherwise. `members` in the protocol's order;
 * `soleCommitter` is the one member allowed to commit, if the protocol has one.
 */
export function evictees(members: readonly string[], idle: ReadonlySet<string>, self: string, soleCommitter: string | undefined): string[] {
  const evictor = soleCommitter ?? members.find((m) => !idle.has(m))
  if (evictor !== self) return []
  return members.filter((m) => m !== self && idle.has(m))
}
