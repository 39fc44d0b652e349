/**
 * Joining from a Welcome with the leaf signatures on the verification pool
 * (src/crypto/verify-pool.ts): a group large enough for the pool to engage
 * (>= PARALLEL_MIN members) gives the same joined state, and the same
 * refusal, with the pool disabled, with one worker and with the default.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { PARALLEL_MIN, setVerifyWorkers, stopVerifyWorkers, verifyPoolCounters, warmVerifyWorkers } from '../../../src/crypto/verify-pool.js'
import { isTalosError } from '../../../src/errors.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential } from '../../../src/mls/keys/index.js'
import { toHex } from '../../helpers/vectors.js'
import { joinWith, keyPackageFor } from './helpers.js'

afterAll(() => {
  stopVerifyWorkers()
  setVerifyWorkers()
})

describe('join with the verification pool', async () => {
  const n = PARALLEL_MIN + 6
  const alice = await MlsGroup.create({ cipherSuite: 3, credential: basicCredential('did:talos:alice') })
  const members = await Promise.all(Array.from({ length: n - 1 }, (_, i) => keyPackageFor(`did:talos:m${i}`, 3)))
  const c = await alice.commit({ add: members.map((m) => m.message) })
  alice.mergePendingCommit()
  const welcome = c.welcome!
  const joiner = members[n - 2]!

  it('the same state whatever the worker count', async () => {
    for (const workers of [0, 1, undefined]) {
      setVerifyWorkers(workers)
      await warmVerifyWorkers()
      const before = verifyPoolCounters()
      const g = await joinWith(welcome, joiner)
      expect(toHex(g.epochAuthenticator())).toBe(toHex(alice.epochAuthenticator()))
      if (workers !== 0) {
        const shared = () => verifyPoolCounters().calling - before.calling + (verifyPoolCounters().workers - before.workers)
        for (let t = 0; t < 2000 && shared() < n; t++) await new Promise((r) => setTimeout(r, 5))
        expect(shared()).toBe(n)
      }
    }
  })

  it('the same refusal whatever the worker count (the authentication service refuses member 40)', async () => {
    const outcomes: string[] = []
    for (const workers of [0, 1, undefined]) {
      setVerifyWorkers(workers)
      await warmVerifyWorkers()
      try {
        await joinWith(welcome, joiner, { authService: (cred) => !('identity' in cred && new TextDecoder().decode(cred.identity) === 'did:talos:m39') })
        outcomes.push('joined')
      } catch (e) {
        expect(isTalosError(e), String(e)).toBe(true)
        outcomes.push(`${(e as { code: string }).code} ${(e as Error).message}`)
      }
    }
    expect(outcomes[0]).toMatch(/^MLS_INVALID_CREDENTIAL leaf 40:/)
    expect(new Set(outcomes).size).toBe(1)
  })
})
