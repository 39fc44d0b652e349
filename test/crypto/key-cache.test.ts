/** key-cache.ts: private-key entries follow the bytes, can be forgotten; the public LRU is bounded. */
import { describe, expect, it } from 'vitest'
import { PrivateKeyCache, PublicKeyCache, forgetPrivateKey } from '../../src/crypto/key-cache.js'

describe('PrivateKeyCache', () => {
  it('builds once per key array and reuses the value while the bytes are unchanged', () => {
    let builds = 0
    const cache = new PrivateKeyCache<string>()
    const key = new Uint8Array([1, 2, 3])
    const build = (k: Uint8Array) => `v${++builds}:${k.join(',')}`
    expect(cache.get(key, build)).toBe('v1:1,2,3')
    expect(cache.get(key, build)).toBe('v1:1,2,3')
    expect(builds).toBe(1)
    // Same bytes in another array: a separate entry (identity-keyed, no secret as a Map key).
    expect(cache.get(key.slice(), build)).toBe('v2:1,2,3')
  })

  it('rebuilds, disposing the old value, when the caller rewrites or zeroes the key in place', () => {
    const disposed: string[] = []
    const cache = new PrivateKeyCache<string>((v) => disposed.push(v))
    const key = new Uint8Array([5, 5])
    cache.get(key, (k) => `a${k[0]}`)
    key.fill(0)
    expect(cache.get(key, (k) => `b${k[0]}`)).toBe('b0')
    expect(disposed).toEqual(['a5'])
  })

  it('keeps a real copy of a Node Buffer key (Buffer#slice is a view): zeroing the key rebuilds, forgetting leaves the caller\'s bytes', () => {
    const cache = new PrivateKeyCache<string>()
    const key = Buffer.from([7, 7])
    cache.get(key, (k) => `a${k[0]}`)
    key.fill(0)
    expect(cache.get(key, (k) => `b${k[0]}`)).toBe('b0')
    const other = Buffer.from([3, 4])
    cache.get(other, () => 'x')
    forgetPrivateKey(other)
    expect([...other]).toEqual([3, 4])
  })

  it('forgetPrivateKey drops the entry from every cache', () => {
    const disposed: string[] = []
    const c1 = new PrivateKeyCache<string>((v) => disposed.push(v))
    const c2 = new PrivateKeyCache<string>((v) => disposed.push(v))
    const key = new Uint8Array([9])
    c1.get(key, () => 'one')
    c2.get(key, () => 'two')
    forgetPrivateKey(key)
    expect(disposed.sort()).toEqual(['one', 'two'])
    let rebuilt = false
    c1.get(key, () => {
      rebuilt = true
      return 'again'
    })
    expect(rebuilt).toBe(true)
  })
})

describe('PublicKeyCache', () => {
  it('keys on the bytes and evicts the least recently used entry past capacity', () => {
    let builds = 0
    const cache = new PublicKeyCache<number>(2)
    const build = () => ++builds
    const a = new Uint8Array([1])
    const b = new Uint8Array([2])
    const c = new Uint8Array([3])
    expect(cache.get(a, build)).toBe(1)
    expect(cache.get(new Uint8Array([1]), build)).toBe(1) // same bytes, new array: hit
    expect(cache.get(b, build)).toBe(2)
    cache.get(a, build) // a is now most recent
    expect(cache.get(c, build)).toBe(3) // evicts b
    expect(cache.size).toBe(2)
    expect(cache.get(a, build)).toBe(1)
    expect(cache.get(b, build)).toBe(4)
  })
})
