/**
 * Interop with ts-mls 1.6.4 (test/helpers/ts-mls-driver.ts), suites 1 and 3,
 * with handshake messages as PrivateMessage and as PublicMessage.
 *
 * Each scenario mixes members of both implementations in one group:
 *   - ts-mls creates the group and adds ours by Welcome (plus one more of each);
 *   - ours creates the group and adds ts-mls members by Welcome (plus one more of each).
 * Then application messages go both ways, each implementation commits an
 * Update (empty commit with a path) and a Remove that every other member
 * processes, and after every step all active members agree on the epoch,
 * the epoch_authenticator, an MLS-Exporter value and the member leaves.
 * Only wire bytes (MLSMessage) cross between the two implementations.
 */
import { describe, expect, it } from 'vitest'
import { basicCredential, generateKeyPackage, keyPackageMessage } from '../../src/mls/keys/index.js'
import { MlsGroup, type HandshakeFraming } from '../../src/mls/group/index.js'
import { decodeMLSMessage } from '../../src/mls/wire/message.js'
import { WireFormat } from '../../src/mls/wire/framing.js'
import { createGroup as tsCreateGroup, createKeyPackage as tsKeyPackage, joinFromWelcome as tsJoin, type TsMlsMember } from '../helpers/ts-mls-driver.js'

const utf8 = new TextEncoder()
const text = new TextDecoder()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface Received {
  kind: string
  data?: Uint8Array | undefined
}

/** One member, of either implementation, behind the same bytes-in/bytes-out face. */
interface Member {
  readonly name: string
  readonly impl: 'ours' | 'ts-mls'
  epoch(): bigint
  epochAuthenticator(): Uint8Array
  exporter(label: string, context: Uint8Array, length: number): Promise<Uint8Array>
  active(): boolean
  /** Leaf indices of the members, ascending. */
  leaves(): number[]
  send(pt: Uint8Array): Promise<Uint8Array>
  receive(bytes: Uint8Array): Promise<Received>
  add(keyPackages: Uint8Array[]): Promise<{ commit: Uint8Array; welcome?: Uint8Array | undefined }>
  update(): Promise<Uint8Array>
  remove(leaf: number): Promise<Uint8Array>
}

function oursMember(name: string, g: MlsGroup): Member {
  return {
    name,
    impl: 'ours',
    epoch: () => g.epoch,
    epochAuthenticator: () => g.epochAuthenticator(),
    exporter: async (l, c, n) => g.exporter(l, c, n),
    active: () => g.active,
    leaves: () => [...g.memberLeaves()].sort((a, b) => a - b),
    send: async (pt) => g.send(pt),
    receive: async (bytes) => {
      const { content } = await g.processMessage(bytes)
      return content.kind === 'application' ? { kind: 'application', data: content.data } : { kind: content.kind }
    },
    add: async (kps) => {
      const c = await g.commit({ add: kps })
      g.mergePendingCommit()
      return { commit: c.commit, welcome: c.welcome }
    },
    update: async () => {
      const c = await g.commit({})
      g.mergePendingCommit()
      return c.commit
    },
    remove: async (leaf) => {
      const c = await g.commit({ remove: [leaf] })
      g.mergePendingCommit()
      return c.commit
    },
  }
}

function tsMember(name: string, m: TsMlsMember, framing: HandshakeFraming): Member {
  const publicMessage = framing === 'public'
  return {
    name,
    impl: 'ts-mls',
    epoch: () => m.epoch,
    epochAuthenticator: () => m.epochAuthenticator,
    exporter: (l, c, n) => m.exportSecret(l, c, n),
    active: () => m.active,
    leaves: () => m.members().flatMap((id, i) => (id === undefined ? [] : [i])),
    send: (pt) => m.send(pt),
    receive: (bytes) => m.receive(bytes),
    add: (kps) => m.add(kps, { publicMessage }),
    update: async () => (await m.update({ publicMessage })).commit,
    remove: async (leaf) => (await m.remove([leaf], { publicMessage })).commit,
  }
}

/** A KeyPackage MLSMessage plus the way to join with it, for either implementation. */
interface Joiner {
  readonly name: string
  readonly keyPackage: Uint8Array
  join(welcome: Uint8Array): Promise<Member>
}

async function oursJoiner(suite: number, name: string, framing: HandshakeFraming): Promise<Joiner> {
  const bundle = await generateKeyPackage({ cipherSuite: suite, credential: basicCredential(`did:talos:${name}`) })
  return {
    name,
    keyPackage: keyPackageMessage(bundle.keyPackage),
    join: async (welcomeBytes) => {
      const m = decodeMLSMessage(welcomeBytes)
      if (m.wireFormat !== WireFormat.mls_welcome) throw new Error(`expected a Welcome, got wire format ${m.wireFormat}`)
      const g = await MlsGroup.join({
        welcome: m.welcome,
        keyPackage: { value: bundle.keyPackage, bytes: bundle.bytes },
        secrets: bundle,
        config: { handshake: framing },
      })
      return oursMember(name, g)
    },
  }
}

async function tsJoiner(suite: number, name: string, framing: HandshakeFraming): Promise<Joiner> {
  const kp = await tsKeyPackage(suite, `did:talos:${name}`)
  return { name, keyPackage: kp.bytes, join: async (welcome) => tsMember(name, await tsJoin(welcome, kp), framing) }
}

async function expectAgreement(members: Member[], step: string): Promise<void> {
  const active = members.filter((m) => m.active())
  const [ref, ...rest] = active
  if (ref === undefined) throw new Error('no active member')
  const ctx = utf8.encode(step)
  const exp = hex(await ref.exporter('talos interop', ctx, 32))
  for (const m of rest) {
    const where = `${step}: ${m.name} (${m.impl}) vs ${ref.name} (${ref.impl})`
    expect(m.epoch(), where).toBe(ref.epoch())
    expect(hex(m.epochAuthenticator()), where).toBe(hex(ref.epochAuthenticator()))
    expect(hex(await m.exporter('talos interop', ctx, 32)), where).toBe(exp)
    expect(m.leaves(), where).toEqual(ref.leaves())
  }
}

/** `from` sends; every other active member decrypts the same plaintext. */
async function broadcast(from: Member, members: Member[]): Promise<void> {
  const pt = utf8.encode(`hello from ${from.name} (${from.impl}) at epoch ${from.epoch()}`)
  const ct = await from.send(pt)
  for (const m of members) {
    if (m === from || !m.active()) continue
    const got = await m.receive(ct)
    expect(got.kind, `${m.name} receiving from ${from.name}`).toBe('application')
    expect(text.decode(got.data), `${m.name} receiving from ${from.name}`).toBe(text.decode(pt))
  }
}

/** `from` committed `commit`; every other active member processes it. */
async function deliverCommit(from: Member, commit: Uint8Array, members: Member[]): Promise<void> {
  for (const m of members) {
    if (m === from || !m.active()) continue
    const got = await m.receive(commit)
    expect(got.kind, `${m.name} processing a commit by ${from.name}`).toBe('commit')
  }
}

/**
 * The shared scenario once the group exists with `creator` and the three joiners:
 * [creator, j1 (other impl), j2 (creator's impl), j3 (other impl)].
 */
async function scenario(members: Member[], leafOf: (m: Member) => number): Promise<void> {
  const [creator, other, sameAsCreator, otherToo] = members as [Member, Member, Member, Member]
  await expectAgreement(members, 'after the Welcome')

  for (const from of members) {
    await broadcast(from, members)
    await expectAgreement(members, `after a message from ${from.name}`)
  }

  // each implementation commits an Update that the others process
  for (const from of [other, creator]) {
    await deliverCommit(from, await from.update(), members)
    await expectAgreement(members, `after an Update by ${from.name} (${from.impl})`)
    await broadcast(from, members)
  }

  // the joiner of the other implementation removes a member of the creator's implementation,
  // then the creator removes one of the other implementation
  {
    const leaf = leafOf(sameAsCreator)
    await deliverCommit(other, await other.remove(leaf), members)
    expect(sameAsCreator.active(), `${sameAsCreator.name} sees its removal`).toBe(false)
    await expectAgreement(members, `after ${other.name} (${other.impl}) removed ${sameAsCreator.name}`)
  }
  {
    const leaf = leafOf(otherToo)
    await deliverCommit(creator, await creator.remove(leaf), members)
    expect(otherToo.active(), `${otherToo.name} sees its removal`).toBe(false)
    await expectAgreement(members, `after ${creator.name} (${creator.impl}) removed ${otherToo.name}`)
  }
  expect(creator.leaves()).toHaveLength(2)

  // the two survivors, one of each implementation, still talk both ways
  await broadcast(creator, members)
  await broadcast(other, members)
  await expectAgreement(members, 'at the end')
}

for (const suite of [1, 3]) {
  for (const framing of ['private', 'public'] as const) {
    describe(`interop with ts-mls, suite ${suite}, handshake as ${framing === 'private' ? 'PrivateMessage' : 'PublicMessage'}`, () => {
      it('ts-mls creates the group and adds ours by Welcome', async () => {
        const alice = tsMember('alice', await tsCreateGroup(suite, 'did:talos:alice'), framing)
        const joiners = [await oursJoiner(suite, 'bob', framing), await tsJoiner(suite, 'carol', framing), await oursJoiner(suite, 'dave', framing)]
        const { welcome } = await alice.add(joiners.map((j) => j.keyPackage))
        if (welcome === undefined) throw new Error('ts-mls made no Welcome')
        const members = [alice, ...(await Promise.all(joiners.map((j) => j.join(welcome))))]
        const leaves = new Map(members.map((m, i) => [m, i]))
        await scenario(members, (m) => leaves.get(m)!)
      })

      it('ours creates the group and adds ts-mls members by Welcome', async () => {
        const g = await MlsGroup.create({ cipherSuite: suite, credential: basicCredential('did:talos:alice'), config: { handshake: framing } })
        const alice = oursMember('alice', g)
        const joiners = [await tsJoiner(suite, 'bob', framing), await oursJoiner(suite, 'carol', framing), await tsJoiner(suite, 'dave', framing)]
        const { welcome } = await alice.add(joiners.map((j) => j.keyPackage))
        if (welcome === undefined) throw new Error('ours made no Welcome')
        const members = [alice, ...(await Promise.all(joiners.map((j) => j.join(welcome))))]
        const leaves = new Map(members.map((m, i) => [m, i]))
        await scenario(members, (m) => leaves.get(m)!)
      })
    })
  }
}
