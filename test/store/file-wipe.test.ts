/**
 * FileStore records hold private keys. The buffers the store itself fills
 * (the raw file it reads, the encoded record it writes, its copy of a value
 * being put, the old value it reads only to check the version) are zeroed
 * once used. What it hands out (get's bytes) is the caller's to wipe.
 *
 * record.js is wrapped so the test sees exactly the buffers FileStore passes
 * to and receives from the record codec.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'

const seen = vi.hoisted(() => ({ encodedIn: [] as Uint8Array[], encodedOut: [] as Uint8Array[], decodedIn: [] as Uint8Array[], decodedOut: [] as Uint8Array[] }))

vi.mock('../../src/store/record.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/store/record.js')>()
  return {
    ...real,
    encodeRecord: (r: Parameters<typeof real.encodeRecord>[0]) => {
      seen.encodedIn.push(r.payload)
      const out = real.encodeRecord(r)
      seen.encodedOut.push(out)
      return out
    },
    decodeRecord: (bytes: Uint8Array, what: string) => {
      seen.decodedIn.push(bytes)
      const r = real.decodeRecord(bytes, what)
      seen.decodedOut.push(r.payload)
      return r
    },
  }
})

const { FileStore } = await import('../../src/store/file.js')

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
async function openStore(): ReturnType<typeof FileStore.open> {
  const d = mkdtempSync(join(tmpdir(), 'talos-wipe-'))
  dirs.push(d)
  return FileStore.open(d)
}
const zero = (b: Uint8Array): boolean => b.every((x) => x === 0)
const secret = (fill: number): Uint8Array => new Uint8Array(64).fill(fill)

describe('FileStore wipes its own buffers', () => {
  beforeEach(() => {
    for (const list of Object.values(seen)) list.length = 0
  })

  it('put: its copy of the value and the encoded record are zeroed; the caller’s buffer is left alone', async () => {
    const store = await openStore()
    const mine = secret(0xaa)
    await store.put('k', mine, 0)
    expect(mine).toEqual(secret(0xaa))
    expect(seen.encodedIn).toHaveLength(1)
    expect(seen.encodedIn[0]).not.toBe(mine)
    expect(zero(seen.encodedIn[0]!)).toBe(true)
    expect(zero(seen.encodedOut[0]!)).toBe(true)
    // ...and what reached the disk is the record, not zeros.
    expect((await store.get('k'))?.bytes).toEqual(secret(0xaa))
    await store.close()
  })

  it('get: the raw file is zeroed, the value handed out is intact', async () => {
    const store = await openStore()
    await store.put('k', secret(0xbb), 0)
    for (const list of Object.values(seen)) list.length = 0
    const got = await store.get('k')
    expect(got?.bytes).toEqual(secret(0xbb))
    expect(seen.decodedIn).toHaveLength(1)
    expect(zero(seen.decodedIn[0]!)).toBe(true)
    await store.close()
  })

  it('put over a value and delete: the old value, read only for its version, is zeroed', async () => {
    const store = await openStore()
    await store.put('k', secret(0xcc), 0)
    for (const list of Object.values(seen)) list.length = 0
    await store.put('k', secret(0xdd), 1)
    await store.delete('k', 2)
    expect(seen.decodedIn).toHaveLength(2)
    expect(seen.decodedOut).toHaveLength(2)
    for (const b of [...seen.decodedIn, ...seen.decodedOut, ...seen.encodedIn, ...seen.encodedOut]) expect(zero(b)).toBe(true)
    await store.close()
  })

  it('a put refused on a version conflict zeroes the old value it read', async () => {
    const store = await openStore()
    await store.put('k', secret(0xee), 0)
    for (const list of Object.values(seen)) list.length = 0
    await expect(store.put('k', secret(0x11), 0)).rejects.toMatchObject({ code: 'STORE_CONFLICT' })
    for (const b of [...seen.decodedIn, ...seen.decodedOut]) expect(zero(b)).toBe(true)
    await store.close()
  })
})
