/** hpke/bytes.ts: the ArrayBuffer handed to @hpke/core holds exactly the bytes, also from a pooled Node Buffer. */
import { describe, expect, it } from 'vitest'
import { ab } from '../../../src/crypto/hpke/bytes.js'

describe('ab', () => {
  it('copies a partial Node Buffer view to an ArrayBuffer of its own length (Buffer#slice keeps the shared pool)', () => {
    const b = Buffer.from([1, 2, 3])
    const out = ab(b)
    expect(out.byteLength).toBe(3)
    expect([...new Uint8Array(out)]).toEqual([1, 2, 3])
  })
})
