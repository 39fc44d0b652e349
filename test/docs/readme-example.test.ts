/**
 * The README's quick-start snippet, run as written (plus the assertions), so
 * the front door cannot drift from the code.
 */
import { describe, expect, it } from 'vitest'
import { Client, MemoryDelivery, MemoryStore } from '../../src/index.js'

describe('README quick start', () => {
  it('creates a hybrid group, delivers a message, and re-keys on add', async () => {
    const delivery = new MemoryDelivery()
    const alice = await Client.create({ did: 'did:talos:alice', delivery, store: new MemoryStore() })
    const bob = await Client.create({ did: 'did:talos:bob', delivery, store: new MemoryStore() })
    const carol = await Client.create({ did: 'did:talos:carol', delivery, store: new MemoryStore() })

    const group = await alice.createGroup({ name: 'coordination', members: ['did:talos:bob'], protocol: 'hybrid' })
    await group.send(new TextEncoder().encode('Hello everyone!'))
    const bobsView = await bob.waitForGroup(group.id)
    let received: { sender: string; text: string; epoch: unknown; protocol: string } | undefined
    for await (const m of bobsView.messages()) {
      received = { sender: m.sender, text: new TextDecoder().decode(m.plaintext), epoch: m.epoch, protocol: m.protocol }
      break
    }
    expect(received).toMatchObject({ sender: 'did:talos:alice', text: 'Hello everyone!', protocol: 'hybrid' })

    const epochBefore = group.epoch
    await group.addMember('did:talos:carol')
    expect(group.epoch > epochBefore).toBe(true)
    expect(group.members()).toContain('did:talos:carol')
    await Promise.all([alice.close(), bob.close(), carol.close()])
    await delivery.close()
  })
})
