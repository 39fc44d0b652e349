/**
 * FileStore: the contract, and what only a file store can get wrong —
 * surviving a restart, a crash in the middle of a write, a damaged file,
 * two processes on one directory.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileStore, type WriteStep } from '../../src/store/file.js'
import { storeContract } from './contract.js'

const dirs: string[] = []
const stores: FileStore[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'talos-store-'))
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const s of stores) await s.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

storeContract('FileStore', async () => {
  const s = await FileStore.open(tempDir())
  stores.push(s)
  return s
})

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

class SimulatedCrash extends Error {}

describe('FileStore durability', () => {
  it('a reopened store has every acknowledged write', async () => {
    const dir = tempDir()
    const s = await FileStore.open(dir)
    await s.put('group/a', enc('one'), 0)
    await s.put('group/a', enc('two'), 1)
    await s.put('client/did:talos:alice', enc('me'), 0)
    await s.close()
    const again = await FileStore.open(dir)
    expect(await again.get('group/a')).toEqual({ version: 2, bytes: enc('two') })
    expect(await again.list('')).toEqual(['client/did:talos:alice', 'group/a'])
    await again.close()
  })

  it.each<[WriteStep, string, number]>([
    ['temp-written', 'old', 1], // crash after the temp file is written and synced, before the rename
    ['renamed', 'new', 2], // crash right after the rename
  ])('a crash at %s leaves the %s version, whole, and the store usable', async (step, expected, version) => {
    const dir = tempDir()
    const s = await FileStore.open(dir)
    await s.put('k', enc('old'), 0)
    const crashing = await reopenCrashingAt(s, dir, step)
    await expect(crashing.put('k', enc('new'), 1)).rejects.toBeInstanceOf(SimulatedCrash)
    // The "process" died; a new one opens the directory.
    await crashing.close()
    const after = await FileStore.open(dir)
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
    const got = await after.get('k')
    expect(got).toEqual({ version, bytes: enc(expected) })
    expect(await after.put('k', enc('next'), version)).toBe(version + 1)
    await after.close()
  })

  async function reopenCrashingAt(s: FileStore, dir: string, step: WriteStep): Promise<FileStore> {
    await s.close()
    return FileStore.open(dir, {
      onWriteStep: (at) => {
        if (at === step) throw new SimulatedCrash(step)
      },
    })
  }

  it('a damaged or truncated record is STORE_CORRUPT, not garbage state', async () => {
    const dir = tempDir()
    const s = await FileStore.open(dir)
    await s.put('a', enc('hello world'), 0)
    await s.put('b', enc('hello world'), 0)
    const file = (k: string): string => join(dir, Buffer.from(k).toString('hex') + '.rec')
    const bytes = readFileSync(file('a'))
    bytes[20] ^= 1
    writeFileSync(file('a'), bytes)
    writeFileSync(file('b'), readFileSync(file('b')).subarray(0, 10))
    await expect(s.get('a')).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
    await expect(s.get('b')).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
    await expect(s.put('a', enc('x'), 1)).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
    await s.close()
  })

  it('one process at a time: a live owner locks the directory, a dead one does not', async () => {
    const dir = tempDir()
    const s = await FileStore.open(dir)
    await expect(FileStore.open(dir)).rejects.toMatchObject({ code: 'STORE_LOCKED' })
    await s.close()
    // A lock left by a process that has exited is taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(join(dir, 'LOCK'), dead)
    const t = await FileStore.open(dir)
    await t.close()
    await expect(t.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' })
  })

  it('keeps DIDs and slashes in keys intact', async () => {
    const s = await FileStore.open(tempDir())
    stores.push(s)
    const key = 'client/did:talos:alice%2Fbob/state.v1'
    await s.put(key, enc('x'), 0)
    expect(await s.list('client/')).toEqual([key])
    expect(dec((await s.get(key))!.bytes)).toBe('x')
  })
})
