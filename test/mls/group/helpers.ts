/**
 * Test helpers: members with KeyPackages, and a group of several members
 * kept in step (every Commit delivered to everyone, epoch authenticators
 * compared).
 */
import { expect } from 'vitest'
import { MlsGroup, type GroupConfig } from '../../../src/mls/group/index.js'
import { basicCredential, generateKeyPackage, keyPackageMessage, type KeyPackageBundle } from '../../../src/mls/keys/index.js'
import { decodeMLSMessage, decodeMLSMessageKeyPackage, WireFormat, type Welcome } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'

export async function keyPackageFor(did: string, cipherSuite: number): Promise<{ bundle: KeyPackageBundle; message: Uint8Array }> {
  const bundle = await generateKeyPackage({ cipherSuite, credential: basicCredential(did) })
  return { bundle, message: keyPackageMessage(bundle.keyPackage) }
}

export function welcomeOf(bytes: Uint8Array): Welcome {
  const m = decodeMLSMessage(bytes)
  if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
  return m.welcome
}

export async function joinWith(
  welcome: Uint8Array,
  kp: { bundle: KeyPackageBundle; message: Uint8Array },
  config?: Partial<GroupConfig>,
  ratchetTree?: Uint8Array,
): Promise<MlsGroup> {
  return MlsGroup.join({
    welcome: welcomeOf(welcome),
    keyPackage: decodeMLSMessageKeyPackage(kp.message),
    secrets: kp.bundle,
    config,
    ratchetTree,
  })
}

/** Asserts every group is in the same epoch with the same authenticator and tree hash. */
export function expectInSync(groups: MlsGroup[]): void {
  const [first, ...rest] = groups
  for (const g of rest) {
    expect(g.epoch).toBe(first!.epoch)
    expect(toHex(g.epochAuthenticator())).toBe(toHex(first!.epochAuthenticator()))
    expect(toHex(g.groupContext.treeHash)).toBe(toHex(first!.groupContext.treeHash))
  }
}

/** Creates a group of `n` members (first is the creator) by one Commit adding the rest. */
export async function makeGroup(n: number, cipherSuite = 1, config?: Partial<GroupConfig>): Promise<MlsGroup[]> {
  const creator = await MlsGroup.create({ cipherSuite, credential: basicCredential('did:talos:m0'), config })
  if (n === 1) return [creator]
  const kps = await Promise.all(Array.from({ length: n - 1 }, (_, i) => keyPackageFor(`did:talos:m${i + 1}`, cipherSuite)))
  const { welcome } = await creator.commit({ add: kps.map((k) => k.message) })
  creator.mergePendingCommit()
  const others = await Promise.all(kps.map((k) => joinWith(welcome!, k, config)))
  const all = [creator, ...others]
  expectInSync(all)
  return all
}

/** `committer` commits; every other member processes it. Returns the commit output. */
export async function commitAndDeliver(committer: MlsGroup, others: MlsGroup[], opts: Parameters<MlsGroup['commit']>[0] = {}) {
  const out = await committer.commit(opts)
  committer.mergePendingCommit()
  for (const g of others) await g.processMessage(out.commit)
  return out
}
