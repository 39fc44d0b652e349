/**
 * The NATS JetStream DeliveryService against a private nats-server (see
 * test/helpers/nats.ts): the contract, plus what only a networked, durable
 * backend can get wrong — resuming after a crashed session, raw publishers
 * bypassing our client, a full stream.
 */
import { connect } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from '../../src/crypto/sodium.js'
import { NatsDelivery } from '../../src/delivery/nats/service.js'
import { groupNames } from '../../src/delivery/nats/names.js'
import { startNatsServer, type NatsServerHandle } from '../helpers/nats.js'
import { deliveryContract } from './contract.js'

deliveryContract('NATS JetStream', async () => {
  const server = await startNatsServer()
  return {
    connect: () => NatsDelivery.connect({ servers: server.url }),
    close: () => server.stop(),
  }
})

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('NATS delivery: durability and hostile publishers', () => {
  let server: NatsServerHandle

  beforeAll(async () => {
    server = await startNatsServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('a member whose session died with unacked entries resumes at once, in order, from its last ack', async () => {
    const g = randomBytes(16)
    const bob = 'did:talos:bob'
    const writer = await NatsDelivery.connect({ servers: server.url })
    for (let i = 1; i <= 40; i++) await writer.publish(g, enc(`m${i}`), { kind: 'message' })

    // Session 1 reads 25 entries (the consumer has pushed more into its buffer), acks 10, then the process "dies".
    const s1conn = await NatsDelivery.connect({ servers: server.url })
    const s1 = await s1conn.subscribe(g, bob)
    for (let i = 1; i <= 25; i++) {
      const r = await s1.next()
      expect(r.value!.seq).toBe(i)
      if (i === 10) await r.value!.ack()
    }
    await s1conn.close() // no further acks: entries 11.. stay pending on the server until ack_wait (30 s)

    for (let i = 41; i <= 50; i++) await writer.publish(g, enc(`m${i}`), { kind: 'message' })

    // Session 2 must not wait for ack_wait, and must not see newer entries before the pending ones.
    const s2conn = await NatsDelivery.connect({ servers: server.url })
    const s2 = await s2conn.subscribe(g, bob)
    expect(s2.position).toBe(10)
    const seen: number[] = []
    for (let i = 11; i <= 50; i++) {
      const r = await s2.next()
      seen.push(r.value!.seq)
      expect(dec(r.value!.bytes)).toBe(`m${r.value!.seq}`)
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 11))
    await s2.ack(50)
    await s2conn.close()

    const s3conn = await NatsDelivery.connect({ servers: server.url })
    const s3 = await s3conn.subscribe(g, bob)
    expect(s3.position).toBe(50)
    await s3conn.close()
    await writer.close()
  })

  it('a commit on the stream without a valid epoch header (a raw publisher) makes the next commit fail typed', async () => {
    const g = randomBytes(16)
    const d = await NatsDelivery.connect({ servers: server.url })
    await d.publish(g, enc('c0'), { kind: 'commit', epoch: 0 })
    const raw = await connect({ servers: server.url })
    const { jetstream } = await import('@nats-io/jetstream')
    await jetstream(raw).publish(groupNames(g).commitSubject!, enc('forged'))
    await raw.close()
    await expect(d.publish(g, enc('c1'), { kind: 'commit', epoch: 1 })).rejects.toMatchObject({
      code: 'DELIVERY_MALFORMED_ENTRY',
    })
    await d.close()
  })

  it('a full stream refuses new entries with DELIVERY_LOG_FULL and keeps the old ones', async () => {
    const d = await NatsDelivery.connect({ servers: server.url }, { maxLogBytes: 4096 })
    const g = randomBytes(16)
    await d.publish(g, new Uint8Array(1500), { kind: 'message' })
    await d.publish(g, new Uint8Array(1500), { kind: 'commit', epoch: 0 })
    await expect(d.publish(g, new Uint8Array(1500), { kind: 'message' })).rejects.toMatchObject({ code: 'DELIVERY_LOG_FULL' })
    expect(await d.head(g)).toEqual({ lastSeq: 2, lastCommit: { seq: 2, epoch: 0 } })
    await d.close()
  })

  it('reports an unreachable server as a TalosError', async () => {
    const dead = await startNatsServer()
    const url = dead.url
    await dead.stop()
    await expect(NatsDelivery.connect({ servers: url, reconnect: false, timeout: 2000 })).rejects.toMatchObject({
      code: 'DELIVERY_UNAVAILABLE',
    })
  })
})
