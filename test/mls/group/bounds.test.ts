/**
 * Configurable resource bounds (GroupConfig.maxTreeLeaves, maxMessageBytes):
 * a Welcome or GroupInfo carrying a larger tree, a Commit growing the tree
 * beyond the bound (created or received) and an oversized message are
 * refused with typed errors before the work they would cost, and a refused
 * message leaves the state byte-identical.
 */
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import { MlsGroup, resolveConfig } from '../../../src/mls/group/index.js'
import { toHex } from '../../helpers/vectors.js'
import { joinWith, keyPackageFor, makeGroup } from './helpers.js'

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  expect(isTalosError(err), `expected ${code}, got ${String(err)}`).toBe(true)
  expect((err as { code: string }).code).toBe(code)
}

describe('resource bounds', () => {
  it('config: bounds must be positive integers', () => {
    expect(() => resolveConfig({ maxTreeLeaves: 0 })).toThrow(expect.objectContaining({ code: 'MLS_INVALID_CONFIG' }))
    expect(() => resolveConfig({ maxMessageBytes: 1.5 })).toThrow(expect.objectContaining({ code: 'MLS_INVALID_CONFIG' }))
  })

  it('maxMessageBytes: an oversized message is refused before decoding', async () => {
    const [a, b] = await makeGroup(2, 1)
    const before = toHex(b!.serialize())
    const small = MlsGroup.deserialize(b!.serialize(), { config: { maxMessageBytes: 64 } })
    const msg = a!.send(new Uint8Array(100))
    await expectCode(small.processMessage(msg), 'MLS_MESSAGE_TOO_LARGE')
    expect(toHex(small.serialize())).toBe(before)
    expect((await b!.processMessage(msg)).content.kind).toBe('application')
  })

  it('send: application and authenticated data that are not Uint8Arrays are refused before any ratchet step', async () => {
    const [a, b] = await makeGroup(2, 1)
    const before = toHex(a!.serialize())
    for (const bad of ['hello', [1, 2, 3], undefined, null, 5] as unknown[]) {
      expect(() => a!.send(bad as Uint8Array)).toThrow(expect.objectContaining({ code: 'MLS_INVALID_ARGUMENT' }))
      expect(() => a!.send(new Uint8Array(1), bad === undefined ? 'aad' as unknown as Uint8Array : (bad as Uint8Array))).toThrow(
        expect.objectContaining({ code: 'MLS_INVALID_ARGUMENT' }),
      )
    }
    expect(toHex(a!.serialize())).toBe(before)
    expect((await b!.processMessage(a!.send(new Uint8Array([7])))).content.kind).toBe('application')
  })

  it('maxTreeLeaves: Welcome, external join, created and received Commits', async () => {
    const [a, b, c] = await makeGroup(3, 1)
    const kp = await keyPackageFor('did:talos:new', 1)
    const out = await a!.commit({ add: [kp.message] })
    a!.mergePendingCommit()
    await b!.processMessage(out.commit)
    await c!.processMessage(out.commit)
    // the tree now has 4 leaves
    await expectCode(joinWith(out.welcome!, kp, { maxTreeLeaves: 3 }), 'MLS_TREE_TOO_LARGE')
    const joined = await joinWith(out.welcome!, kp, { maxTreeLeaves: 4 })
    expect(joined.epoch).toBe(a!.epoch)

    const gi = await a!.groupInfo({ externalPub: true })
    const { basicCredential } = await import('../../../src/mls/keys/index.js')
    await expectCode(
      MlsGroup.joinExternal({ groupInfo: gi, credential: basicCredential('did:talos:ext'), config: { maxTreeLeaves: 3 } }),
      'MLS_TREE_TOO_LARGE',
    )

    const capped = MlsGroup.deserialize(a!.serialize(), { config: { maxTreeLeaves: 4 } })
    const kp2 = await keyPackageFor('did:talos:fifth', 1)
    await expectCode(capped.commit({ add: [kp2.message] }), 'MLS_TREE_TOO_LARGE')

    const bCapped = MlsGroup.deserialize(b!.serialize(), { config: { maxTreeLeaves: 4 } })
    const before = toHex(bCapped.serialize())
    const grow = await a!.commit({ add: [kp2.message] })
    await expectCode(bCapped.processMessage(grow.commit), 'MLS_TREE_TOO_LARGE')
    expect(toHex(bCapped.serialize())).toBe(before)
    await b!.processMessage(grow.commit)
  })
})
