/**
 * The reuse guard (RFC 9420 §6.3.1): four fresh random octets per message,
 * XORed into the first four octets of the ratchet nonce only.
 */
import { describe, expect, it } from 'vitest'
import { freshReuseGuard, guardedNonce, REUSE_GUARD_LENGTH } from '../../../src/mls/framing/reuse-guard.js'
import { toHex } from '../../helpers/vectors.js'

describe('reuse guard', () => {
  it('hands out 4-octet guards that are fresh across pool refills', () => {
    // 3000 guards span several 1 KiB pool refills; 32-bit values collide with
    // probability ~1e-3 over 3000 draws, so allow a couple of birthday hits.
    const seen = new Set<string>()
    for (let i = 0; i < 3000; i++) {
      const g = freshReuseGuard()
      expect(g.length).toBe(REUSE_GUARD_LENGTH)
      seen.add(toHex(g))
    }
    expect(seen.size).toBeGreaterThan(2995)
  })

  it('a returned guard is the caller\'s own copy', () => {
    const g = freshReuseGuard()
    const copy = g.slice()
    freshReuseGuard()
    expect(g).toEqual(copy)
  })

  it('XORs only the first four nonce octets, into a new buffer', () => {
    const nonce = Uint8Array.from({ length: 12 }, (_, i) => i)
    const out = guardedNonce(nonce, Uint8Array.from([0xff, 0x0f, 0xf0, 0x01]))
    expect(Array.from(out)).toEqual([0xff, 0x0e, 0xf2, 0x02, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(Array.from(nonce)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })
})
