/**
 * A client restarted from its store continues the conversation; a crash
 * between persisting and acknowledging, or before persisting, neither loses
 * a message nor applies one twice.
 */
import { describe, expect, it } from 'vitest'
import { Client } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { FileStore } from '../../src/store/index.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'
import { crashBeforeAck, failingStore } from './wrappers.js'
import { token } from '../../src/group/util.js'

for (const protocol of ['mls', 'hybrid', 'sender-keys', 'coordinator'] as const) {
  describe(`restart and crash recovery (${protocol})`, () => {
    it('a client restarted from a FileStore continues: unread messages are there once, sending works', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'talos-group-'))
      try {
        const delivery = new MemoryDelivery()
        const { agents: a } = await agents(['alice', 'carol'], delivery)
        let store = await FileStore.open(dir)
        let bob = await Client.create({ did: did('bob'), delivery, store, keyPackages: 2 })
        const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol })
        let gb = await bob.waitForGroup(g.id)
        await g.send(enc('m1'))
        expect(dec((await take(gb, 1))[0]!.plaintext)).toBe('m1')
        await g.send(enc('m2'))
        await gb.sync()
        await bob.close()
        await (store as unknown as { close?: () => Promise<void> }).close?.()
        await g.send(enc('m3'))
        await g.addMember(did('dave')).catch(() => undefined) // no dave: GROUP_UNKNOWN_DID, nothing changes
        await g.send(enc('m4'))

        store = await FileStore.open(dir)
        bob = await Client.create({ did: did('bob'), delivery, store, keyPackages: 2 })
        gb = await bob.waitForGroup(g.id)
        const got = await take(gb, 3)
        expect(got.map((m) => dec(m.plaintext))).toEqual(['m2', 'm3', 'm4'])
        await gb.send(enc('bob is back'))
        expect(dec((await take(g, 1))[0]!.plaintext)).toBe('bob is back')
        expect(dec((await take(a.carol!.client.group(g.id)!, 5)).at(-1)!.plaintext)).toBe('bob is back')
        await bob.close()
        await (store as unknown as { close?: () => Promise<void> }).close?.()
        await closeAll(Object.values(a))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('crash after persisting, before acknowledging: the redelivered entry is skipped, the message is delivered once', async () => {
      const delivery = new MemoryDelivery()
      const { agents: a } = await agents(['alice'], delivery)
      const store = new MemoryStore()
      let crashAt: number | undefined
      const bob1 = await Client.create({ did: did('bob'), delivery: crashBeforeAck(delivery, () => crashAt), store, keyPackages: 2 })
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
      const gb1 = await bob1.waitForGroup(g.id)
      await g.send(enc('one'))
      await gb1.sync()
      const { seq } = await g.send(enc('two')).then((r) => ({ seq: r.seq + 1 }))
      crashAt = seq
      await g.send(enc('three'))
      await expect.poll(() => gb1.state).toBe('failed')
      await bob1.close()

      const bob2 = await Client.create({ did: did('bob'), delivery, store, keyPackages: 2 })
      const gb2 = await bob2.waitForGroup(g.id)
      await g.send(enc('four'))
      const got = await take(gb2, 4)
      expect(got.map((m) => dec(m.plaintext))).toEqual(['one', 'two', 'three', 'four'])
      expect(new Set(got.map((m) => `${m.seq}/${m.index}`)).size).toBe(4)
      await bob2.close()
      await closeAll(Object.values(a))
    })

    it('crash before persisting: the entry comes again and is applied once', async () => {
      const delivery = new MemoryDelivery()
      const { agents: a } = await agents(['alice'], delivery)
      const inner = new MemoryStore()
      const faulty = failingStore(inner)
      const bob1 = await Client.create({ did: did('bob'), delivery, store: faulty.store, keyPackages: 2 })
      const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol })
      const gb1 = await bob1.waitForGroup(g.id)
      await g.send(enc('one'))
      await gb1.sync()
      faulty.arm(`c/${token(did("bob"))}/g/`)
      await g.send(enc('two'))
      await expect.poll(() => gb1.state).toBe('failed')
      await bob1.close()

      const bob2 = await Client.create({ did: did('bob'), delivery, store: inner, keyPackages: 2 })
      const gb2 = await bob2.waitForGroup(g.id)
      await g.send(enc('three'))
      const got = await take(gb2, 3)
      expect(got.map((m) => dec(m.plaintext))).toEqual(['one', 'two', 'three'])
      await bob2.close()
      await closeAll(Object.values(a))
    })
  })
}

describe('write-ahead commits', () => {
  it('the process dies after the delivery service accepted our commit: the restarted member adopts it from its store and sends the invitation', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['bob', 'carol'], delivery)
    const inner = new MemoryStore()
    const faulty = failingStore(inner)
    let crashAfterCommit = false
    const wrapped = new Proxy(delivery, {
      get(t, p) {
        if (p === 'publish') {
          return async (gid: Uint8Array, env: Uint8Array, o: { kind: 'message' } | { kind: 'commit'; epoch: number }) => {
            const r = await t.publish(gid, env, o)
            if (o.kind === 'commit' && crashAfterCommit) {
              crashAfterCommit = false
              faulty.arm(`c/${token(did('alice'))}/`)
              throw new Error('simulated crash after the commit was accepted')
            }
            return r
          }
        }
        const v = Reflect.get(t, p)
        return typeof v === 'function' ? v.bind(t) : v
      },
    }) as MemoryDelivery
    const alice1 = await Client.create({ did: did('alice'), delivery: wrapped, store: faulty.store, keyPackages: 2 })
    const g1 = await alice1.createGroup({ name: 'g', members: [did('bob')], protocol: 'hybrid' })
    const gb = await a.bob!.client.waitForGroup(g1.id)
    crashAfterCommit = true
    await expect(g1.addMember(did('carol'))).rejects.toThrow('simulated crash')
    await expect.poll(() => g1.state).toBe('failed')
    await alice1.close()

    const alice2 = await Client.create({ did: did('alice'), delivery, store: inner, keyPackages: 2 })
    const g2 = await alice2.waitForGroup(g1.id)
    const gc = await a.carol!.client.waitForGroup(g1.id)
    await g2.sync()
    await gb.sync()
    expect(g2.epoch).toBe(2n)
    expect(g2.epochAuthenticator()).toEqual(gb.epochAuthenticator())
    expect(gc.epochAuthenticator()).toEqual(gb.epochAuthenticator())
    await g2.send(enc('after the crash'))
    for (const x of [gb, gc]) expect(dec((await take(x, 1))[0]!.plaintext)).toBe('after the crash')
    await alice2.close()
    await closeAll(Object.values(a))
  })
})

describe('protocol messages owed to the log', () => {
  it('sender keys: a distribution that could not be published before a crash goes out after the restart', async () => {
    const delivery = new MemoryDelivery()
    const { agents: a } = await agents(['alice', 'carol'], delivery)
    const store = new MemoryStore()
    let failMessages = true
    const flaky = new Proxy(delivery, {
      get(t, p) {
        if (p === 'publish') {
          return async (gid: Uint8Array, env: Uint8Array, o: { kind: 'message' } | { kind: 'commit'; epoch: number }) => {
            if (o.kind === 'message' && failMessages) throw new Error('simulated crash before publishing')
            return t.publish(gid, env, o)
          }
        }
        const v = Reflect.get(t, p)
        return typeof v === 'function' ? v.bind(t) : v
      },
    }) as MemoryDelivery
    const bob1 = await Client.create({ did: did('bob'), delivery: flaky, store, keyPackages: 2 })
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol: 'sender-keys' })
    const gc = await a.carol!.client.waitForGroup(g.id)
    // bob's join could not publish its key for carol (he opens that session: he joined first)
    await expect.poll(async () => (await store.list(`c/${token(did('bob'))}/g/`)).length).toBe(1)
    await bob1.close()
    failMessages = false

    const bob2 = await Client.create({ did: did('bob'), delivery, store, keyPackages: 2 })
    const gb = await bob2.waitForGroup(g.id)
    await gb.send(enc('bob after restart'))
    for (const x of [g, gc]) expect(dec((await take(x, 1))[0]!.plaintext)).toBe('bob after restart')
    await gc.send(enc('carol to all'))
    expect(dec((await take(gb, 1))[0]!.plaintext)).toBe('carol to all')
    await bob2.close()
    await closeAll(Object.values(a))
  })
})
