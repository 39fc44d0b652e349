/**
 * Our own messages echoed back by the Delivery Service (other than the
 * pending Commit, which merges): PrivateMessage application data and
 * proposals, PublicMessage proposals, and a Commit we already discarded are
 * refused as MLS_OWN_MESSAGE before any key of the secret tree is touched;
 * the state stays byte-identical and later traffic still flows.
 */
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import type { MlsGroup } from '../../../src/mls/group/index.js'
import { toHex } from '../../helpers/vectors.js'
import { makeGroup } from './helpers.js'

const enc = new TextEncoder()

async function expectOwn(g: MlsGroup, msg: Uint8Array): Promise<void> {
  const before = toHex(g.serialize())
  let err: unknown
  try {
    await g.processMessage(msg)
  } catch (e) {
    err = e
  }
  expect(isTalosError(err, 'MLS_OWN_MESSAGE'), `expected MLS_OWN_MESSAGE, got ${String(err)}`).toBe(true)
  expect(toHex(g.serialize())).toBe(before)
}

describe('own messages echoed back (MLS_OWN_MESSAGE)', () => {
  it('PrivateMessage: application data and a proposal, current and past epoch', async () => {
    const [a, b] = await makeGroup(2, 1, { handshake: 'private', pastEpochRetention: 2 })
    const app = a!.send(enc.encode('hello'))
    await expectOwn(a!, app)
    expect((await b!.processMessage(app)).content.kind).toBe('application')
    const p = await a!.proposeUpdate()
    await expectOwn(a!, p.message)
    await b!.processMessage(p.message)
    const out = await b!.commit()
    b!.mergePendingCommit()
    await a!.processMessage(out.commit)
    // an application message of ours from the retired epoch
    await expectOwn(a!, app)
    const next = a!.send(enc.encode('after'))
    expect((await b!.processMessage(next)).content.kind).toBe('application')
  })

  it('PublicMessage: a proposal, and a Commit of ours that was discarded', async () => {
    const [a, b] = await makeGroup(2, 1, { handshake: 'public' })
    const p = await a!.proposeUpdate()
    await expectOwn(a!, p.message)
    await b!.processMessage(p.message)
    const c = await a!.commit()
    a!.discardPendingCommit()
    await expectOwn(a!, c.commit)
  })
})
