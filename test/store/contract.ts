/** The StateStore contract, run against MemoryStore and FileStore. */
import { describe, expect, it } from 'vitest'
import type { StateStore } from '../../src/store/types.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return (e as { code?: string }).code ?? `not a TalosError: ${String(e)}`
  }
  return 'resolved'
}

export function storeContract(name: string, fresh: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    it('versions every write and replaces only the version the writer read (compare-and-swap)', async () => {
      const s = await fresh()
      expect(await s.get('group/a')).toBeUndefined()
      expect(await s.put('group/a', enc('v1'), 0)).toBe(1)
      expect(await code(s.put('group/a', enc('again'), 0))).toBe('STORE_CONFLICT')
      expect(await s.put('group/a', enc('v2'), 1)).toBe(2)
      expect(await code(s.put('group/a', enc('stale'), 1))).toBe('STORE_CONFLICT')
      const got = await s.get('group/a')
      expect(got?.version).toBe(2)
      expect(dec(got!.bytes)).toBe('v2')
    })

    it('stores a real copy of a Node Buffer value (Buffer#slice is a view): the caller may reuse it, and replacing it wipes only our copy', async () => {
      const s = await fresh()
      const buf = Buffer.from('secret-v1')
      const pending = s.put('buf', buf, 0)
      buf.fill(9) // the caller reuses its buffer before the write completes
      expect(await pending).toBe(1)
      expect(dec((await s.get('buf'))!.bytes)).toBe('secret-v1')
      await s.put('buf', enc('v2'), 1)
      expect([...buf].every((x) => x === 9)).toBe(true)
    })

    it('lets exactly one of many concurrent writers of the same version win', async () => {
      const s = await fresh()
      await s.put('k', enc('base'), 0)
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => s.put('k', enc(`w${i}`), 1)))
      const won = results.filter((r) => r.status === 'fulfilled')
      expect(won).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe('STORE_CONFLICT')
      expect((await s.get('k'))!.version).toBe(2)
    })

    it('keeps versions growing across delete and re-create (no ABA for a stale writer)', async () => {
      const s = await fresh()
      await s.put('x', enc('1'), 0)
      await s.put('x', enc('2'), 1)
      expect(await code(s.delete('x', 1))).toBe('STORE_CONFLICT')
      await s.delete('x', 2)
      expect(await s.get('x')).toBeUndefined()
      expect(await code(s.put('x', enc('stale'), 2))).toBe('STORE_CONFLICT')
      expect(await s.put('x', enc('3'), 0)).toBe(3)
      expect(await s.list('')).toContain('x')
      await s.delete('x', 3)
      expect(await s.list('')).not.toContain('x')
      await s.delete('never-existed', 0) // absent is version 0
    })

    it('lists existing keys by prefix, sorted', async () => {
      const s = await fresh()
      for (const k of ['group/b', 'group/a', 'client/did:talos:alice', 'group/c']) await s.put(k, enc(k), 0)
      await s.delete('group/c', 1)
      expect(await s.list('group/')).toEqual(['group/a', 'group/b'])
      expect(await s.list('client/')).toEqual(['client/did:talos:alice'])
      expect(await s.list('none/')).toEqual([])
    })

    it('stores an empty value and a large one byte-exactly, and hands out copies', async () => {
      const s = await fresh()
      await s.put('empty', new Uint8Array(0), 0)
      expect((await s.get('empty'))!.bytes.length).toBe(0)
      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff)
      await s.put('big', big, 0)
      big[0] = 99
      const got = (await s.get('big'))!.bytes
      expect(got[0]).toBe(0)
      expect(got[12345]).toBe((12345 * 31) & 0xff)
      got[1] = 42
      expect((await s.get('big'))!.bytes[1]).toBe(31)
    })

    it('refuses bad keys, values and versions with typed errors', async () => {
      const s = await fresh()
      expect(await code(s.put('', enc('x'), 0))).toBe('STORE_INVALID_KEY')
      expect(await code(s.put('has space', enc('x'), 0))).toBe('STORE_INVALID_KEY')
      expect(await code(s.put('k'.repeat(111), enc('x'), 0))).toBe('STORE_INVALID_KEY')
      expect(await code(s.put('é', enc('x'), 0))).toBe('STORE_INVALID_KEY')
      expect(await code(s.put('k', 'x' as never, 0))).toBe('STORE_INVALID_VALUE')
      expect(await code(s.put('k', enc('x'), -1))).toBe('STORE_INVALID_VERSION')
      expect(await code(s.get(42 as never))).toBe('STORE_INVALID_KEY')
      expect(await s.list('')).toEqual([])
    })
  })
}
