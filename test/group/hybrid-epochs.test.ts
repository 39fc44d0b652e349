/**
 * Hybrid across a commit: a rekeying message of epoch e that reaches the
 * others after the commit to e+1 still opens (the adapter keeps our epoch-e
 * path keys for the hybrid grace; the MLS merge has emptied them by then).
 */
import { describe, expect, it } from 'vitest'
import { Client, type RejectedEntry } from '../../src/group/index.js'
import { MemoryDelivery, type PublishOptions } from '../../src/delivery/index.js'
import { MemoryStore } from '../../src/store/index.js'
import { agents, closeAll, dec, did, enc, take } from './helpers.js'

describe('hybrid: a previous-epoch rekey after the commit', () => {
  it('is decrypted by everyone, nothing rejected', async () => {
    const delivery = new MemoryDelivery()
    // Rekey on every send the policy allows (no 1-second spacing), so bob's message does rekey.
    const hybridPolicy = { minRekeyIntervalMs: 0 }
    const { agents: a } = await agents(['alice', 'carol'], delivery, { hybridPolicy })
    let gate: Promise<void> | undefined
    let open = (): void => {}
    const held = new Proxy(delivery, {
      get(t, p) {
        if (p === 'publish') {
          return async (gid: Uint8Array, env: Uint8Array, o: PublishOptions) => {
            if (o.kind === 'message' && gate !== undefined) await gate
            return t.publish(gid, env, o)
          }
        }
        const v = Reflect.get(t, p)
        return typeof v === 'function' ? v.bind(t) : v
      },
    }) as MemoryDelivery
    const bob = await Client.create({ did: did('bob'), delivery: held, store: new MemoryStore(), keyPackages: 2, hybridPolicy })
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob'), did('carol')], protocol: 'hybrid' })
    const gb = await bob.waitForGroup(g.id)
    const gc = await a.carol!.client.waitForGroup(g.id)
    const rejected: RejectedEntry[] = []
    for (const x of [g, gb, gc]) x.on('rejected', (r) => rejected.push(r))

    // bob hears alice, so his next send rekeys (the ping-pong rule), sealed to epoch-1 keys
    await g.send(enc('a1'))
    expect(dec((await take(gb, 1))[0]!.plaintext)).toBe('a1')
    gate = new Promise((r) => (open = r))
    const sending = gb.send(enc('b1, rekeying in epoch 1'))
    await gc.update() // epoch 2 lands first
    open()
    gate = undefined
    await sending
    expect(dec((await take(gc, 1))[0]!.plaintext)).toBe('a1')
    for (const x of [g, gc]) {
      const [m] = await take(x, 1)
      expect(`${m!.sender}:${dec(m!.plaintext)}`).toBe(`${did('bob')}:b1, rekeying in epoch 1`)
      expect(m!.epoch).toBe(1n)
    }
    await g.sync()
    expect(g.epoch).toBe(2n)
    expect(rejected).toEqual([])
    await bob.close()
    await closeAll(Object.values(a))
  })
})
