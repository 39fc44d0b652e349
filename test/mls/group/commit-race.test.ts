/**
 * commit() awaits while it creates the Commit (HPKE seals, key derivation),
 * so other calls on the same MlsGroup can run in between. A Commit created
 * for an epoch that a processed message has ended must never become the
 * pending commit: merging it would silently fork the group. It is refused
 * with MLS_STALE_STAGE (or, when it finished first, dropped by the processed
 * Commit); of two overlapping commit() calls, the one that finishes last is
 * the pending one.
 */
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { expectInSync, keyPackageFor, makeGroup } from './helpers.js'

describe('commit() overlapping other calls', () => {
  it('a Commit whose epoch ended while it was created never becomes pending', async () => {
    for (const withAdd of [false, true]) {
      const [a, b, c] = await makeGroup(3, 1)
      const fromB = await b!.commit({})
      b!.mergePendingCommit()
      await c!.processMessage(fromB.commit)
      const add = withAdd ? [(await keyPackageFor('did:talos:late', 1)).message] : []
      const created = a!.commit({ add }).then(
        () => 'created',
        (e: unknown) => (isTalosError(e, 'MLS_STALE_STAGE') ? 'stale' : Promise.reject(e)),
      )
      // The Commit being created may advance a's handshake ratchet under the staged receive, which is
      // then refused as stale (framing's documented MLS_STALE_STAGE): the application unprotects again.
      for (let tries = 0; ; tries++) {
        try {
          await a!.processMessage(fromB.commit)
          break
        } catch (e) {
          if (!isTalosError(e, 'MLS_STALE_STAGE') || tries > 3) throw e
        }
      }
      await created
      expect(a!.hasPendingCommit).toBe(false)
      expectInSync([a!, b!, c!])
      // The group goes on: a's next Commit is accepted by the others.
      const next = await a!.commit({})
      a!.mergePendingCommit()
      await b!.processMessage(next.commit)
      await c!.processMessage(next.commit)
      expectInSync([a!, b!, c!])
    }
  })

  it('of two overlapping commit() calls one is pending, and it merges in sync', async () => {
    const [a, b] = await makeGroup(2, 1)
    const state = b!.serialize()
    const [x, y] = await Promise.all([a!.commit({}), a!.commit({})])
    expect(a!.hasPendingCommit).toBe(true)
    a!.mergePendingCommit()
    // Exactly one of the two is the one a merged: a copy of b that processes it ends in a's epoch.
    let matches = 0
    for (const c of [x, y]) {
      const copy = MlsGroup.deserialize(state)
      await copy.processMessage(c.commit)
      if (Buffer.compare(copy.epochAuthenticator(), a!.epochAuthenticator()) === 0) matches++
      copy.destroy()
    }
    expect(matches).toBe(1)
  })
})
