/** src/group/idle.ts on its own: who is designated, whom it evicts, what a record restores to. */
import { describe, expect, it } from 'vitest'
import { Activity, checkEvictIdleAfterMs, evictees, idleCheckGap, MAX_IDLE_CHECK_GAP_MS, MIN_EVICT_IDLE_AFTER_MS } from '../../src/group/idle.js'

const [A, B, C, D] = ['did:talos:a', 'did:talos:b', 'did:talos:c', 'did:talos:d']

describe('idle: evictees', () => {
  it('the first non-idle member in order evicts every idle one; the others evict nobody', () => {
    const idle = new Set([A, D])
    expect(evictees([A, B, C, D], idle, B, undefined)).toEqual([A, D])
    expect(evictees([A, B, C, D], idle, C, undefined)).toEqual([])
    expect(evictees([A, B, C, D], idle, A, undefined)).toEqual([])
  })

  it('nobody evicts when everyone is idle, and nobody ever evicts itself', () => {
    expect(evictees([A, B], new Set([A, B]), A, undefined)).toEqual([])
    expect(evictees([A, B], new Set([A, B]), B, undefined)).toEqual([])
    // A sole committer acts even when idle itself, and leaves itself out.
    expect(evictees([A, B, C], new Set([A, C]), A, A)).toEqual([C])
    expect(evictees([A, B, C], new Set([A, C]), B, A)).toEqual([])
  })
})

describe('idle: Activity', () => {
  it('restores one entry per current member: unknown ones count from now, stale or out-of-range ones are dropped or reset', () => {
    const a = Activity.restore(
      [
        { did: A, lastActiveMs: 100n },
        { did: D, lastActiveMs: 50n }, // not a member any more
        { did: C, lastActiveMs: 1n << 60n }, // out of range: reset to now
      ],
      [A, B, C],
      1000,
    )
    expect(a.serialize()).toEqual([
      { did: A, lastActiveMs: 100n },
      { did: B, lastActiveMs: 1000n },
      { did: C, lastActiveMs: 1000n },
    ])
    expect(a.idle(1500, 0)).toEqual([
      { did: A, idleMs: 1400 },
      { did: B, idleMs: 500 },
      { did: C, idleMs: 500 },
    ])
  })

  it('touch ignores non-members; reconcile adds joiners at now and drops removed members; a clock going back reads as 0', () => {
    const a = Activity.restore([], [A, B], 0)
    a.touch(D, 10)
    a.reconcile([B, C], 20)
    a.touch(B, 30)
    expect(a.serialize()).toEqual([
      { did: B, lastActiveMs: 30n },
      { did: C, lastActiveMs: 20n },
    ])
    expect(a.idle(5, 0)).toEqual([
      { did: B, idleMs: 0 },
      { did: C, idleMs: 0 },
    ])
  })
})

describe('idle: options', () => {
  it('evictIdleAfterMs: undefined or an integer in range; the check gap is bounded', () => {
    expect(checkEvictIdleAfterMs(undefined)).toBeUndefined()
    expect(checkEvictIdleAfterMs(MIN_EVICT_IDLE_AFTER_MS)).toBe(MIN_EVICT_IDLE_AFTER_MS)
    expect(() => checkEvictIdleAfterMs(MIN_EVICT_IDLE_AFTER_MS - 1)).toThrow(expect.objectContaining({ code: 'GROUP_INVALID_ARGUMENT' }))
    expect(idleCheckGap(5_000)).toBe(5_000)
    expect(idleCheckGap(10 * MAX_IDLE_CHECK_GAP_MS)).toBe(MAX_IDLE_CHECK_GAP_MS)
  })
})
