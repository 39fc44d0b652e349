/**
 * Pre-shared keys in Commits (RFC 9420 §8.4, §12.1.4): external PSKs known
 * to every member, resumption PSKs of an earlier epoch, a joiner that needs
 * the PSK named in its Welcome; ReInit (§11.2) and branching (§11.3) with
 * resumption PSKs of usage reinit / branch, checked by the joiners.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes } from '../../../src/crypto/index.js'
import {
  externalPskProposal,
  MemoryPskStore,
  MlsGroup,
  reinitProposal,
  resumptionPskProposal,
} from '../../../src/mls/group/index.js'
import { decodeMLSMessageKeyPackage } from '../../../src/mls/wire/index.js'
import { commitAndDeliver, expectInSync, keyPackageFor, makeGroup, welcomeOf } from './helpers.js'

const enc = new TextEncoder()

describe('PSKs', () => {
  it('external PSK known to all; a joiner must have it too', async () => {
    const [a, b] = await makeGroup(2, 1)
    const id = enc.encode('shared-psk')
    const store = new MemoryPskStore().set(id, randomBytes(32))
    a!.setPskSources(store)
    b!.setPskSources(store)
    const kp = await keyPackageFor('did:talos:pskjoin', 1)
    const before = a!.epochAuthenticator()
    const out = await a!.commit({ add: [kp.message], proposals: [externalPskProposal(a!.currentState.suite, id)] })
    a!.mergePendingCommit()
    await b!.processMessage(out.commit)
    const welcome = welcomeOf(out.welcome!)
    const joinOpts = { welcome, keyPackage: decodeMLSMessageKeyPackage(kp.message), secrets: kp.bundle }
    await expect(MlsGroup.join(joinOpts)).rejects.toMatchObject({ code: 'MLS_PSK_NOT_FOUND' })
    const c = await MlsGroup.join({ ...joinOpts, externalPsks: store })
    expectInSync([a!, b!, c])
    expect(a!.epochAuthenticator()).not.toEqual(before)
  })

  it('a member without the PSK rejects the Commit (MLS_PSK_NOT_FOUND), state unchanged', async () => {
    const [a, b] = await makeGroup(2, 1)
    const id = enc.encode('only-a')
    a!.setPskSources(new MemoryPskStore().set(id, randomBytes(32)))
    const out = await a!.commit({ proposals: [externalPskProposal(a!.currentState.suite, id)] })
    const before = b!.serialize()
    await expect(b!.processMessage(out.commit)).rejects.toMatchObject({ code: 'MLS_PSK_NOT_FOUND' })
    expect(b!.serialize()).toEqual(before)
  })

  it('resumption PSK of an earlier epoch (usage application)', async () => {
    const [a, b] = await makeGroup(2, 3)
    const e = a!.epoch
    await commitAndDeliver(b!, [a!])
    await commitAndDeliver(a!, [b!], { proposals: [resumptionPskProposal(a!.currentState, e)] })
    expectInSync([a!, b!])
  })
})

describe('ReInit and branch', () => {
  it('ReInit to another suite: old group closes, new group via Welcome with a reinit PSK', async () => {
    const [a, b, c] = await makeGroup(3, 1)
    const newId = randomBytes(16)
    await commitAndDeliver(b!, [a!, c!], { proposals: [reinitProposal(newId, 3)] })
    for (const g of [a!, b!, c!]) expect(g.active).toBe(false)
    expect(() => a!.send(enc.encode('x'))).toThrow(expect.objectContaining({ code: 'MLS_GROUP_REINITIALIZED' }))
    const kb = await keyPackageFor('did:talos:m1', 3)
    const kc = await keyPackageFor('did:talos:m2', 3)
    const { group: a2, welcome } = await a!.resume('reinit', { keyPackages: [kb.message, kc.message] })
    expect(a2.epoch).toBe(1n)
    expect(a2.cipherSuite).toBe(3)
    expect(a2.groupId).toEqual(newId)
    const w = welcomeOf(welcome!)
    const b2 = await MlsGroup.join({ welcome: w, keyPackage: decodeMLSMessageKeyPackage(kb.message), secrets: kb.bundle, previous: b! })
    const c2 = await MlsGroup.join({ welcome: w, keyPackage: decodeMLSMessageKeyPackage(kc.message), secrets: kc.bundle, previous: c! })
    expectInSync([a2, b2, c2])
    // Without the previous group the reinit PSK cannot be resolved.
    const kd = await keyPackageFor('did:talos:m1', 3)
    const again = await a!.resume('reinit', { keyPackages: [kd.message] })
    await expect(
      MlsGroup.join({ welcome: welcomeOf(again.welcome!), keyPackage: decodeMLSMessageKeyPackage(kd.message), secrets: kd.bundle }),
    ).rejects.toMatchObject({ code: 'MLS_PSK_NOT_FOUND' })
  })

  it('a reinit PSK in an ordinary PreSharedKey proposal is refused (MLS_INVALID_PSK_USAGE)', async () => {
    const [a] = await makeGroup(2, 1)
    const p = resumptionPskProposal(a!.currentState, a!.epoch)
    if (p.proposalType !== 4 || p.psk.psk.psktype !== 2) throw new Error('unexpected')
    const bad = { ...p, psk: { psk: { ...p.psk.psk, usage: 2 as const } } }
    await expect(a!.commit({ proposals: [bad] })).rejects.toMatchObject({ code: 'MLS_INVALID_PSK_USAGE' })
  })

  it('branch: a subgroup with the same suite', async () => {
    const [a, b] = await makeGroup(3, 1)
    const kb = await keyPackageFor('did:talos:m1', 1)
    const { group: a2, welcome } = await a!.resume('branch', { keyPackages: [kb.message] })
    const b2 = await MlsGroup.join({ welcome: welcomeOf(welcome!), keyPackage: decodeMLSMessageKeyPackage(kb.message), secrets: kb.bundle, previous: b! })
    expectInSync([a2, b2])
    expect(a!.active).toBe(true)
  })
})

describe('MemoryPskStore copies', () => {
  it('keeps a real copy of a Node Buffer PSK (Buffer#slice is a view): the caller may reuse its buffer', () => {
    const psk = Buffer.alloc(32, 3)
    const store = new MemoryPskStore().set(new Uint8Array([1]), psk)
    psk.fill(0)
    expect(store.get(new Uint8Array([1]))!.every((b) => b === 3)).toBe(true)
  })
})
