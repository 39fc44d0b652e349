/**
 * verifyMany / verifyWithLabelMany (src/crypto/verify-pool.ts): the same
 * answer as suite.verify / verifyWithLabel for every item, whether the batch
 * runs on the calling thread or is shared with worker threads, including
 * wrong signatures, wrong messages, malformed keys and signatures, a
 * small-order key, and after the workers are stopped; and a process using
 * the pool ends on its own (the workers are unref'd).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../src/crypto/index.js'
import { randomBytes } from '../../src/crypto/sodium.js'
import {
  PARALLEL_MIN,
  setVerifyWorkers,
  stopVerifyWorkers,
  verifyMany,
  verifyWithLabelMany,
  warmVerifyWorkers,
  type VerifyItem,
} from '../../src/crypto/verify-pool.js'

afterAll(() => stopVerifyWorkers())

function batch(suiteId: number, n: number): { items: VerifyItem[]; expected: boolean[] } {
  const cs = getCipherSuite(suiteId)
  const keys = [cs.generateSignatureKeyPair(), cs.generateSignatureKeyPair()]
  const items: VerifyItem[] = []
  for (let i = 0; i < n; i++) {
    const kp = keys[i % 2]!
    const message = randomBytes(50 + (i % 300))
    const signature = cs.sign(kp.privateKey, message)
    switch (i % 9) {
      case 1: {
        const bad = signature.slice()
        bad[i % signature.length]! ^= 1
        items.push({ publicKey: kp.publicKey, message, signature: bad })
        break
      }
      case 2:
        items.push({ publicKey: keys[(i + 1) % 2]!.publicKey, message, signature })
        break
      case 3:
        items.push({ publicKey: kp.publicKey, message: randomBytes(message.length), signature })
        break
      case 4:
        items.push({ publicKey: kp.publicKey.subarray(1), message, signature })
        break
      case 5:
        items.push({ publicKey: kp.publicKey, message, signature: signature.subarray(0, signature.length - 1) })
        break
      case 6:
        items.push({ publicKey: new Uint8Array(kp.publicKey.length), message, signature }) // all zero: small order for Ed25519
        break
      default:
        items.push({ publicKey: kp.publicKey, message, signature })
    }
  }
  return { items, expected: items.map((it) => cs.verify(it.publicKey, it.message, it.signature)) }
}

describe('verifyMany', () => {
  it('on the calling thread (no workers) equals verify item by item', async () => {
    setVerifyWorkers(0)
    const { items, expected } = batch(3, PARALLEL_MIN * 2)
    expect(await verifyMany(getCipherSuite(3), items)).toEqual(expected)
    expect(expected.filter(Boolean).length).toBeGreaterThan(0)
    expect(expected.filter((x) => !x).length).toBeGreaterThan(0)
  })

  it('shared with worker threads equals verify item by item (suites 1 and 3), and small batches too', async () => {
    setVerifyWorkers(2)
    expect(await warmVerifyWorkers()).toBe(2)
    for (const id of [1, 3]) {
      for (const n of [0, 1, PARALLEL_MIN - 1, PARALLEL_MIN, 301]) {
        const { items, expected } = batch(id, n)
        expect(await verifyMany(getCipherSuite(id), items)).toEqual(expected)
      }
    }
  })

  it('other schemes (ECDSA, Ed448) stay on the calling thread with the same answers', async () => {
    setVerifyWorkers(1)
    await warmVerifyWorkers()
    for (const id of [2, 4]) {
      const { items, expected } = batch(id, PARALLEL_MIN + 3)
      expect(await verifyMany(getCipherSuite(id), items)).toEqual(expected)
    }
  })

  it('concurrent batches and a stop in between give the same answers', async () => {
    setVerifyWorkers(2)
    await warmVerifyWorkers()
    const a = batch(3, 200)
    const b = batch(3, 150)
    const [ra, rb] = await Promise.all([verifyMany(getCipherSuite(3), a.items), verifyMany(getCipherSuite(3), b.items)])
    expect(ra).toEqual(a.expected)
    expect(rb).toEqual(b.expected)
    stopVerifyWorkers()
    expect(await verifyMany(getCipherSuite(3), a.items)).toEqual(a.expected)
  })

  it('verifyWithLabelMany equals verifyWithLabel', async () => {
    setVerifyWorkers(1)
    await warmVerifyWorkers()
    const cs = getCipherSuite(3)
    const kp = cs.generateSignatureKeyPair()
    const items = Array.from({ length: 100 }, (_, i) => {
      const content = randomBytes(20 + i)
      const signature = cs.signWithLabel(kp.privateKey, i % 3 === 0 ? 'GroupInfoTBS' : 'LeafNodeTBS', content)
      return { publicKey: kp.publicKey, content, signature }
    })
    const expected = items.map((it) => cs.verifyWithLabel(it.publicKey, 'LeafNodeTBS', it.content, it.signature))
    expect(await verifyWithLabelMany(cs, 'LeafNodeTBS', items)).toEqual(expected)
    expect(expected.filter(Boolean).length).toBe(66)
  })

  it('the workers never keep a process alive, and an awaited warm-up is not cut short', () => {
    const src = (f: string) => fileURLToPath(new URL(`../../src/crypto/${f}`, import.meta.url))
    const dir = mkdtempSync(join(tmpdir(), 'verify-pool-'))
    try {
      const script = join(dir, 'run.mts')
      writeFileSync(
        script,
        [
          `import { verifyMany, warmVerifyWorkers, setVerifyWorkers } from ${JSON.stringify(src('verify-pool.ts'))}`,
          `import { getCipherSuite } from ${JSON.stringify(src('index.ts'))}`,
          `setVerifyWorkers(1)`,
          `const cs = getCipherSuite(3)`,
          `const kp = cs.generateSignatureKeyPair()`,
          `const items = Array.from({ length: 200 }, (_, i) => { const message = new Uint8Array([i]); return { publicKey: kp.publicKey, message, signature: cs.sign(kp.privateKey, message) } })`,
          `const ready = await warmVerifyWorkers()`,
          `const ok = (await verifyMany(cs, items)).every(Boolean)`,
          `console.log(JSON.stringify({ ready, ok }))`,
        ].join('\n'),
      )
      // No stopVerifyWorkers: the process must still end on its own, with the top-level awaits done.
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 50_000 })
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout.trim())).toEqual({ ready: 1, ok: true })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
