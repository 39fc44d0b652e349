/**
 * LeafNode lifetimes (RFC 9420 §7.2, §7.3) under the default config: the
 * system clock (GroupConfig.clock) is applied to KeyPackages in received
 * Adds and to the key_package leaves of a tree we join (Welcome or external
 * join), not only to what we send; a fixed clock or checkReceivedLifetimes
 * false turns it into a pinned or skipped check.
 */
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import { addProposal, DEFAULT_CONFIG, MlsGroup } from '../../../src/mls/group/index.js'
import { basicCredential, generateKeyPackage, keyPackageMessage } from '../../../src/mls/keys/index.js'
import { nowSeconds } from '../../../src/mls/keys/leaf-node.js'
import { toHex } from '../../helpers/vectors.js'
import { joinWith, keyPackageFor } from './helpers.js'

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (e) {
    if (isTalosError(e)) return e.code
    throw e
  }
  return undefined
}

describe('lifetimes of received leaves', () => {
  it('the default config checks received lifetimes against the system clock', () => {
    expect(DEFAULT_CONFIG.checkReceivedLifetimes).toBe(true)
    const t = DEFAULT_CONFIG.clock()
    expect(t - nowSeconds()).toBeLessThanOrEqual(1n)
  })

  it('joining a tree with an expired key_package leaf: refused by default, pinned clock or opt-out accepts', async () => {
    const now = nowSeconds()
    const a = await MlsGroup.create({ cipherSuite: 1, credential: basicCredential('did:talos:a') })
    const short = await generateKeyPackage({ cipherSuite: 1, credential: basicCredential('did:talos:short'), lifetime: { notBefore: now - 100n, notAfter: now + 60n } })
    const c = await keyPackageFor('did:talos:c', 1)
    const out = await a.commit({ add: [keyPackageMessage(short.keyPackage), c.message] })
    a.mergePendingCommit()
    const later = () => now + 3600n
    expect(await codeOf(joinWith(out.welcome!, c, { clock: later }))).toBe('MLS_LIFETIME_EXPIRED')
    expect(await codeOf(joinWith(out.welcome!, c, { clock: later, checkReceivedLifetimes: false }))).toBeUndefined()
    expect(await codeOf(joinWith(out.welcome!, c))).toBeUndefined()

    const gi = await a.groupInfo()
    const ext = MlsGroup.joinExternal({ groupInfo: gi, credential: basicCredential('did:talos:x'), config: { clock: later } })
    expect(await codeOf(ext)).toBe('MLS_LIFETIME_EXPIRED')
  })

  it('an Add of an expired KeyPackage is refused at receipt and in a Commit', async () => {
    const now = nowSeconds()
    const a = await MlsGroup.create({ cipherSuite: 1, credential: basicCredential('did:talos:a'), config: { handshake: 'public' } })
    const b = await keyPackageFor('did:talos:b', 1)
    const out = await a.commit({ add: [b.message] })
    a.mergePendingCommit()
    const bob = await joinWith(out.welcome!, b, { handshake: 'public' })
    const old = await generateKeyPackage({ cipherSuite: 1, credential: basicCredential('did:talos:old'), lifetime: { notBefore: now - 100n, notAfter: now + 60n } })
    // a, with a clock at which the KeyPackage is still valid, proposes and commits it
    const aPinned = MlsGroup.deserialize(a.serialize(), { config: { clock: () => now } })
    const prop = aPinned.propose(addProposal(keyPackageMessage(old.keyPackage)))
    const bobLater = MlsGroup.deserialize(bob.serialize(), { config: { clock: () => now + 3600n } })
    const before = toHex(bobLater.serialize())
    expect(await codeOf(bobLater.processMessage(prop.message))).toBe('MLS_LIFETIME_EXPIRED')
    expect(toHex(bobLater.serialize())).toBe(before)
    const aPinned2 = MlsGroup.deserialize(a.serialize(), { config: { clock: () => now } })
    const commit = await aPinned2.commit({ add: [keyPackageMessage(old.keyPackage)] })
    expect(await codeOf(bobLater.processMessage(commit.commit))).toBe('MLS_LIFETIME_EXPIRED')
    expect(toHex(bobLater.serialize())).toBe(before)
    // the sender's own clock is applied when committing
    const aLater = MlsGroup.deserialize(a.serialize(), { config: { clock: () => now + 3600n } })
    expect(await codeOf(aLater.commit({ add: [keyPackageMessage(old.keyPackage)] }))).toBe('MLS_LIFETIME_EXPIRED')
  })
})
