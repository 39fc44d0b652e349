/**
 * x25519Many (src/crypto/x25519-pool.ts) and the batch HPKE operations on
 * it (CipherSuite.deriveHpkeKeyPairs, encryptWithLabelMany): the same
 * results as one-at-a-time, whether a batch runs on the calling thread or is
 * shared with a worker; errors in job order (the lowest failing index), with
 * the codes of the single operations; every suite, not only X25519.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../src/crypto/index.js'
import { x25519KeyPairFromPrivate } from '../../src/crypto/dh.js'
import { randomBytes } from '../../src/crypto/sodium.js'
import {
  PARALLEL_MIN,
  setX25519Workers,
  stopX25519Workers,
  warmX25519Workers,
  x25519Many,
  x25519PoolCounters,
  type X25519Job,
} from '../../src/crypto/x25519-pool.js'
import { diffieHellman, createPrivateKey, createPublicKey } from 'node:crypto'
import { TalosError } from '../../src/errors.js'

afterAll(() => stopX25519Workers())

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url')

/** The reference computation, straight on node:crypto (the pool's `here` in these tests). */
function reference(job: X25519Job): { publicKey: Uint8Array; shared?: Uint8Array } {
  const publicKey = x25519KeyPairFromPrivate(job.privateKey.slice()).publicKey
  if (job.peer === undefined) return { publicKey }
  if (job.peer.length !== 32) throw new TalosError('CRYPTO_INVALID_PUBLIC_KEY', 'size')
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(job.privateKey), x: '' }, format: 'jwk' })
  const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(job.peer) }, format: 'jwk' })
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: key, publicKey: peer })
  } catch {
    throw new TalosError('CRYPTO_DH_FAILED', 'dh')
  }
  if (shared.every((b) => b === 0)) throw new TalosError('CRYPTO_DH_FAILED', 'zero')
  return { publicKey, shared: new Uint8Array(shared) }
}

function jobs(n: number): X25519Job[] {
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? { privateKey: randomBytes(32) } : { privateKey: randomBytes(32), peer: x25519KeyPairFromPrivate(randomBytes(32)).publicKey },
  )
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? '-' : Buffer.from(b).toString('hex'))

describe('x25519Many', () => {
  for (const workers of [0, 1, 2]) {
    it(`matches the one-at-a-time results with ${workers} worker(s), across slices of the shared buffer`, async () => {
      setX25519Workers(workers)
      expect(await warmX25519Workers()).toBe(workers)
      const before = x25519PoolCounters()
      for (const n of [1, PARALLEL_MIN, 37, 300, 700]) {
        const js = jobs(n)
        // `here` gets the job's index in the whole batch (callers look their own data up by it), across slices too.
        const got = x25519Many(js, (j, i) => {
          if (js[i] !== j) throw new Error(`here called with index ${i} for another job`)
          return reference(j)
        })
        const want = js.map((j) => reference(j))
        expect(got.map((r) => hex(r.publicKey) + hex(r.shared))).toEqual(want.map((r) => hex(r.publicKey) + hex(r.shared)))
      }
      await new Promise((r) => setTimeout(r, 50)) // workers report their counts by message
      const after = x25519PoolCounters()
      expect(after.calling + after.workers - before.calling - before.workers).toBeGreaterThanOrEqual(1 + PARALLEL_MIN + 37 + 300 + 700)
      if (workers === 0) expect(after.workers).toBe(before.workers)
    })
  }

  it('raises the error of the lowest failing job, whoever met it first', async () => {
    setX25519Workers(1)
    await warmX25519Workers()
    for (let round = 0; round < 20; round++) {
      const js = jobs(64)
      const bad = [5 + (round % 7), 40]
      js[bad[0]!] = { privateKey: randomBytes(32), peer: new Uint8Array(32) } // u = 0: all-zero shared secret
      js[bad[1]!] = { privateKey: randomBytes(32), peer: new Uint8Array(31) } // malformed: never sent to a worker
      const seen: number[] = []
      let thrown: unknown
      try {
        x25519Many(js, (j, i) => {
          try {
            return reference(j)
          } catch (e) {
            seen.push(i)
            throw Object.assign(e as Error, { index: i })
          }
        })
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeInstanceOf(TalosError)
      expect((thrown as TalosError).code).toBe('CRYPTO_DH_FAILED')
      expect((thrown as { index: number }).index).toBe(bad[0])
      expect(seen).toContain(bad[1]) // the malformed job is judged on the calling thread too
    }
  })
})

describe('batch HPKE operations', () => {
  for (const id of [1, 2, 3, 4, 5, 6, 7]) {
    const cs = getCipherSuite(id)
    it(`suite ${id}: deriveHpkeKeyPairs, encryptWithLabelMany and hpkeSealMany agree with the single operations`, async () => {
      setX25519Workers(1)
      await warmX25519Workers()
      const ikms = Array.from({ length: 9 }, () => randomBytes(cs.Nh))
      const many = await cs.deriveHpkeKeyPairs(ikms)
      const single = await Promise.all(ikms.map((k) => cs.deriveHpkeKeyPair(k)))
      expect(many.map((k) => hex(k.privateKey) + hex(k.publicKey))).toEqual(single.map((k) => hex(k.privateKey) + hex(k.publicKey)))

      const context = randomBytes(40)
      const plaintexts = many.map((_, i) => randomBytes(16 + i))
      const cts = await cs.encryptWithLabelMany(
        many.map((k) => k.publicKey),
        'UpdatePathNode',
        context,
        plaintexts,
      )
      expect(cts).toHaveLength(many.length)
      for (let i = 0; i < many.length; i++) {
        const pt = await cs.decryptWithLabel(many[i]!.privateKey, 'UpdatePathNode', context, cts[i]!.kemOutput, cts[i]!.ciphertext)
        expect(hex(pt)).toBe(hex(plaintexts[i]))
      }
      // Fresh ephemeral keys for every seal.
      expect(new Set(cts.map((c) => hex(c.kemOutput))).size).toBe(cts.length)
      // hpkeSealMany: the same under a raw info and aad (a Welcome's GroupSecrets).
      const info = randomBytes(5000)
      const aad = randomBytes(3)
      const raw = await cs.hpkeSealMany(many.map((k) => k.publicKey), info, aad, plaintexts)
      for (let i = 0; i < many.length; i++) {
        expect(hex(await cs.hpkeOpen(many[i]!.privateKey, raw[i]!.kemOutput, info, aad, raw[i]!.ciphertext))).toBe(hex(plaintexts[i]))
      }
    })

    it(`suite ${id}: a batch larger than the shared buffer's slice (an UpdatePath over a tree of unmerged leaves) opens everywhere`, async () => {
      setX25519Workers(1)
      await warmX25519Workers()
      // Regression: jobs of the second and later slices that the calling thread computed used the
      // recipient key of the job at their index within the slice.
      const kps = await cs.deriveHpkeKeyPairs(Array.from({ length: 40 }, () => randomBytes(cs.Nh)))
      const recipients = Array.from({ length: 600 }, (_, i) => kps[(i * 7) % kps.length]!)
      const context = randomBytes(64)
      const pts = recipients.map((_, i) => randomBytes(8 + (i % 5)))
      for (let round = 0; round < 3; round++) {
        const cts = await cs.encryptWithLabelMany(recipients.map((k) => k.publicKey), 'UpdatePathNode', context, pts)
        for (let i = 0; i < recipients.length; i++) {
          const pt = await cs.decryptWithLabel(recipients[i]!.privateKey, 'UpdatePathNode', context, cts[i]!.kemOutput, cts[i]!.ciphertext)
          expect(hex(pt), `recipient ${i}`).toBe(hex(pts[i]))
        }
      }
    })

    it(`suite ${id}: encryptWithLabelMany fails as encryptWithLabel does`, async () => {
      const kps = await cs.deriveHpkeKeyPairs(Array.from({ length: 6 }, () => randomBytes(cs.Nh)))
      const pks = kps.map((k) => k.publicKey)
      const pts = pks.map(() => randomBytes(8))
      const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: TalosError) => e.code)
      const malformed = [...pks]
      malformed[4] = pks[4]!.subarray(1)
      expect(await code(cs.encryptWithLabelMany(malformed, 'L', new Uint8Array(1), pts))).toBe(
        await code(cs.encryptWithLabel(malformed[4]!, 'L', new Uint8Array(1), pts[0]!)),
      )
      expect(await code(cs.encryptWithLabelMany(pks, 'L', new Uint8Array(1), pts.slice(1)))).toBe('CRYPTO_INVALID_ARGUMENT')
      if (id === 1 || id === 3) {
        const lowOrder = [...pks]
        lowOrder[3] = new Uint8Array(32) // u = 0
        expect(await code(cs.encryptWithLabelMany(lowOrder, 'L', new Uint8Array(1), pts))).toBe('CRYPTO_HPKE_ENCRYPT')
        expect(await code(cs.encryptWithLabel(lowOrder[3], 'L', new Uint8Array(1), pts[0]!))).toBe('CRYPTO_HPKE_ENCRYPT')
      }
    })
  }
})
