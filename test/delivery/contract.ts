/**
 * The DeliveryService contract, run against every implementation (in memory,
 * in memory over the loopback socket, NATS JetStream). Each harness hands out
 * independent clients of one shared backend, so races are real races between
 * connections where the implementation has connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { randomBytes } from '../../src/crypto/sodium.js'
import { Envelope, Protocol } from '../../src/proto/envelope.js'
import { isTalosError, TalosError } from '../../src/errors.js'
import { DeliveryConflictError, type DeliveryService, type Subscription } from '../../src/delivery/types.js'

export interface DeliveryHarness {
  /** A client of the shared backend; with connections, a new one each call. */
  connect(): Promise<DeliveryService>
  close(): Promise<void>
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const gid = (): Uint8Array => randomBytes(16)
const did = (name: string): string => `did:talos:${name}-${Buffer.from(randomBytes(4)).toString('hex')}`

async function take(sub: Subscription, n: number): Promise<Array<{ seq: number; kind: string; text: string }>> {
  const out: Array<{ seq: number; kind: string; text: string }> = []
  while (out.length < n) {
    const r = await sub.next()
    if (r.done) throw new Error(`subscription ended after ${out.length} of ${n}`)
    out.push({ seq: r.value.seq, kind: r.value.kind, text: dec(r.value.bytes) })
  }
  return out
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (!(e instanceof TalosError)) throw new Error(`expected a TalosError, got ${String(e)}`)
    return e.code
  }
  throw new Error('expected a rejection')
}

export function deliveryContract(name: string, setup: () => Promise<DeliveryHarness>): void {
  describe(`DeliveryService contract: ${name}`, () => {
    let h: DeliveryHarness
    let a: DeliveryService
    let b: DeliveryService

    beforeAll(async () => {
      h = await setup()
      a = await h.connect()
      b = await h.connect()
    })
    afterAll(async () => {
      await a?.close()
      await b?.close()
      await h?.close()
    })

    it('numbers entries 1, 2, 3 ... per group and returns them in order with their kind', async () => {
      const g = gid()
      expect(await a.head(g)).toEqual({ lastSeq: 0, lastCommit: undefined })
      expect((await a.publish(g, enc('m1'), { kind: 'message' })).seq).toBe(1)
      expect((await b.publish(g, enc('c0'), { kind: 'commit', epoch: 0 })).seq).toBe(2)
      expect((await a.publish(g, enc('m2'), { kind: 'message' })).seq).toBe(3)
      const all = await b.fetch(g, 1)
      expect(all.map((e) => [e.seq, e.kind, dec(e.bytes)])).toEqual([
        [1, 'message', 'm1'],
        [2, 'commit', 'c0'],
        [3, 'message', 'm2'],
      ])
      expect((await a.fetch(g, 2, 1)).map((e) => e.seq)).toEqual([2])
      expect(await a.fetch(g, 4)).toEqual([])
      expect(await a.head(g)).toEqual({ lastSeq: 3, lastCommit: { seq: 2, epoch: 0 } })
      // Another group is a separate log.
      expect(await a.fetch(gid(), 1)).toEqual([])
    })

    it('lands exactly one commit per epoch: a stale or duplicate epoch is DELIVERY_CONFLICT naming the latest commit', async () => {
      const g = gid()
      await a.publish(g, enc('c5'), { kind: 'commit', epoch: 5 }) // the first commit fixes the base epoch
      await a.publish(g, enc('m'), { kind: 'message' })
      const err = await b.publish(g, enc('c5-again'), { kind: 'commit', epoch: 5 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DeliveryConflictError)
      expect((err as DeliveryConflictError).code).toBe('DELIVERY_CONFLICT')
      expect((err as DeliveryConflictError).latestCommit).toEqual({ seq: 1, epoch: 5 })
      expect(await code(b.publish(g, enc('c4'), { kind: 'commit', epoch: 4 }))).toBe('DELIVERY_CONFLICT')
      expect(await code(b.publish(g, enc('c7'), { kind: 'commit', epoch: 7 }))).toBe('DELIVERY_EPOCH_AHEAD')
      expect((await b.publish(g, enc('c6'), { kind: 'commit', epoch: 6 })).seq).toBe(3)
      expect((await a.fetch(g, 1)).map((e) => dec(e.bytes))).toEqual(['c5', 'm', 'c6'])
    })

    it('race: of commits published concurrently for the same epoch exactly one lands; losers get the typed conflict naming the winner, read it, and race again on the next epoch', async () => {
      const g = gid()
      await a.publish(g, enc('genesis'), { kind: 'commit', epoch: 0 })
      const clients = [a, b, a, b]
      for (let epoch = 1; epoch <= 10; epoch++) {
        const results = await Promise.allSettled(
          clients.map((c, i) => c.publish(g, enc(`e${epoch}-p${i}`), { kind: 'commit', epoch })),
        )
        const won = results.filter((r) => r.status === 'fulfilled')
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        expect(won).toHaveLength(1)
        const winnerSeq = (won[0] as PromiseFulfilledResult<{ seq: number }>).value.seq
        for (const l of lost) {
          expect(l.reason).toBeInstanceOf(DeliveryConflictError)
          expect((l.reason as DeliveryConflictError).latestCommit).toEqual({ seq: winnerSeq, epoch })
        }
        // A loser reads the winner from the log before building on it.
        const [w] = await b.fetch(g, winnerSeq, 1)
        expect(w!.kind).toBe('commit')
        expect(dec(w!.bytes)).toMatch(new RegExp(`^e${epoch}-p\\d$`))
      }
      const commits = (await a.fetch(g, 1)).filter((e) => e.kind === 'commit')
      expect(commits).toHaveLength(11)
      const head = await a.head(g)
      expect(head.lastCommit).toEqual({ seq: head.lastSeq, epoch: 10 })
      // A loser retrying alone on the new epoch lands.
      expect((await b.publish(g, enc('retry'), { kind: 'commit', epoch: 11 })).seq).toBe(head.lastSeq + 1)
    })

    it('delivers to a subscriber in order, including entries published after it subscribed', async () => {
      const g = gid()
      const alice = did('alice')
      await a.publish(g, enc('one'), { kind: 'message' })
      const sub = await b.subscribe(g, alice)
      expect(sub.position).toBe(0)
      const later = (async () => {
        await a.publish(g, enc('two'), { kind: 'commit', epoch: 1 })
        await a.publish(g, enc('three'), { kind: 'message' })
      })()
      expect(await take(sub, 3)).toEqual([
        { seq: 1, kind: 'message', text: 'one' },
        { seq: 2, kind: 'commit', text: 'two' },
        { seq: 3, kind: 'message', text: 'three' },
      ])
      await later
      await sub.close()
    })

    it('keeps a durable cursor per member: an offline member catches up in order from its last ack', async () => {
      const g = gid()
      const bob = did('bob')
      const carol = did('carol')
      for (let i = 1; i <= 5; i++) await a.publish(g, enc(`m${i}`), { kind: 'message' })
      const s1 = await b.subscribe(g, bob)
      const first = await take(s1, 4)
      await s1.ack(3) // m4 delivered but not acked
      await s1.close()
      // Bob is offline while 30 more land.
      for (let i = 6; i <= 35; i++) await a.publish(g, enc(`m${i}`), { kind: 'message' })
      const s2 = await b.subscribe(g, bob)
      expect(s2.position).toBe(3)
      const caught = await take(s2, 32)
      expect(caught.map((e) => e.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 4))
      expect(caught[0]!.text).toBe('m4') // at-least-once: the unacked entry comes again
      expect(first.map((e) => e.text)).toEqual(['m1', 'm2', 'm3', 'm4'])
      await s2.ack(35)
      await s2.close()
      // Carol's cursor is her own.
      const s3 = await a.subscribe(g, carol)
      expect((await take(s3, 1))[0]!.seq).toBe(1)
      await s3.close()
      // Bob's resumes after 35; `after` overrides it (the reader's own persisted cursor wins).
      const s4 = await b.subscribe(g, bob)
      expect(s4.position).toBe(35)
      await s4.close()
      const s5 = await b.subscribe(g, bob, { after: 10 })
      expect((await take(s5, 1))[0]).toMatchObject({ seq: 11, text: 'm11' })
      await s5.close()
      // dropCursor forgets the member.
      await a.dropCursor(g, bob)
      const s6 = await b.subscribe(g, bob)
      expect(s6.position).toBe(0)
      await s6.close()
    })

    it('acks are cumulative, never move backwards, and cannot run ahead of delivery', async () => {
      const g = gid()
      const dave = did('dave')
      for (let i = 1; i <= 4; i++) await a.publish(g, enc(`m${i}`), { kind: 'message' })
      const s = await b.subscribe(g, dave)
      const got = await take(s, 3)
      expect(await code(s.ack(4))).toBe('DELIVERY_INVALID_ACK')
      expect(await code(s.ack(0))).toBe('DELIVERY_INVALID_ACK')
      await s.ack(3)
      await s.ack(1) // no effect
      await got.length
      await s.close()
      const again = await b.subscribe(g, dave)
      expect(again.position).toBe(3)
      await again.close()
    })

    it('closing a subscription ends a pending next() and for-await loops', async () => {
      const g = gid()
      const s = await b.subscribe(g, did('erin'))
      const pending = s.next()
      await s.close()
      expect(await pending).toEqual({ done: true, value: undefined })
      const s2 = await b.subscribe(g, did('frank'))
      await a.publish(g, enc('x'), { kind: 'message' })
      for await (const d of s2) {
        expect(d.seq).toBe(1)
        await d.ack()
        break // return() closes it
      }
      expect((await s2.next()).done).toBe(true)
    })

    it('delivers direct messages to the recipient mailbox only, with its own durable cursor', async () => {
      const bob = did('bob')
      const eve = did('eve')
      expect((await a.sendDirect(bob, enc('welcome-1'))).seq).toBe(1)
      expect((await b.sendDirect(bob, enc('welcome-2'))).seq).toBe(2)
      expect((await a.sendDirect(eve, enc('for-eve'))).seq).toBe(1)
      const s = await b.subscribeDirect(bob)
      const got = await take(s, 2)
      expect(got).toEqual([
        { seq: 1, kind: 'direct', text: 'welcome-1' },
        { seq: 2, kind: 'direct', text: 'welcome-2' },
      ])
      await s.ack(1)
      await s.close()
      const again = await a.subscribeDirect(bob)
      expect(await take(again, 1)).toEqual([{ seq: 2, kind: 'direct', text: 'welcome-2' }])
      await again.close()
    })

    it('directory: one-time items are handed out exactly once, even to concurrent claimers, then the last-resort item', async () => {
      const bob = did('bob')
      const kind = 'mls-keypackage'
      expect(await a.directory.claim(bob, kind)).toBeUndefined()
      const items = Array.from({ length: 12 }, (_, i) => enc(`kp-${i}`))
      await a.directory.addOneTime(bob, kind, items.slice(0, 6))
      await b.directory.addOneTime(bob, kind, items.slice(6))
      await a.directory.setLastResort(bob, kind, enc('kp-last-resort'))
      expect(await b.directory.countOneTime(bob, kind)).toBe(12)
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).directory.claim(bob, kind)))
      const oneTime = claims.filter((c) => c!.oneTime).map((c) => dec(c!.item))
      expect(new Set(oneTime).size).toBe(12)
      expect(oneTime.sort()).toEqual(items.map(dec).sort())
      const rest = claims.filter((c) => !c!.oneTime)
      expect(rest).toHaveLength(8)
      for (const r of rest) expect(dec(r!.item)).toBe('kp-last-resort')
      expect(await a.directory.countOneTime(bob, kind)).toBe(0)
      // Kinds are separate.
      expect(await a.directory.claim(bob, 'prekey-bundle')).toBeUndefined()
    })

    it('refuses bad input with typed errors and changes nothing', async () => {
      const g = gid()
      await a.publish(g, enc('only'), { kind: 'message' })
      const big = new Uint8Array(a.maxEnvelopeBytes + 1)
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => a.publish(g, big, { kind: 'message' }), 'DELIVERY_TOO_LARGE'],
        [() => a.publish(g, new Uint8Array(0), { kind: 'message' }), 'DELIVERY_INVALID_ENVELOPE'],
        [() => a.publish(new Uint8Array(0), enc('x'), { kind: 'message' }), 'DELIVERY_INVALID_GROUP_ID'],
        [() => a.publish(new Uint8Array(256), enc('x'), { kind: 'message' }), 'DELIVERY_INVALID_GROUP_ID'],
        [() => a.publish(g, enc('x'), { kind: 'commit', epoch: -1 }), 'DELIVERY_INVALID_EPOCH'],
        [() => a.publish(g, enc('x'), { kind: 'commit', epoch: 1.5 }), 'DELIVERY_INVALID_EPOCH'],
        [() => a.publish(g, enc('x'), { kind: 'bogus' } as never), 'DELIVERY_INVALID_KIND'],
        [() => a.subscribe(g, 'alice'), 'DELIVERY_INVALID_DID'],
        [() => a.subscribe(g, `did:talos:${'a'.repeat(300)}`), 'DELIVERY_INVALID_DID'],
        [() => a.subscribe(g, did('x'), { after: -1 }), 'DELIVERY_INVALID_SEQ'],
        [() => a.fetch(g, -1), 'DELIVERY_INVALID_SEQ'],
        [() => a.fetch(g, 1, 0), 'DELIVERY_INVALID_LIMIT'],
        [() => a.sendDirect('not a did', enc('x')), 'DELIVERY_INVALID_DID'],
        [() => a.sendDirect(did('x'), big), 'DELIVERY_TOO_LARGE'],
        [() => a.directory.addOneTime(did('x'), 'Bad Kind', [enc('x')]), 'DELIVERY_INVALID_KIND'],
        [() => a.directory.addOneTime(did('x'), 'kp', []), 'DELIVERY_INVALID_ITEM'],
        [() => a.directory.setLastResort(did('x'), 'kp', new Uint8Array(0)), 'DELIVERY_INVALID_ITEM'],
      ]
      for (const [p, expected] of cases) expect(await code(p())).toBe(expected)
      expect(await a.head(g)).toEqual({ lastSeq: 1, lastCommit: undefined })
      // The client is still usable afterwards.
      expect((await a.publish(g, enc('after'), { kind: 'message' })).seq).toBe(2)
    })

    it('accepts an envelope of exactly the maximum size', async () => {
      const g = gid()
      const max = new Uint8Array(a.maxEnvelopeBytes).fill(7)
      await a.publish(g, max, { kind: 'message' })
      const [e] = await b.fetch(g, 1)
      expect(e!.bytes.length).toBe(a.maxEnvelopeBytes)
      expect(e!.bytes.every((x) => x === 7)).toBe(true)
    })

    it('a malformed envelope in the log reaches the reader as opaque bytes: decoding it is the typed error, and the reader carries on', async () => {
      const g = gid()
      const good = encodeProto(Envelope, Envelope.create({ protocol: Protocol.MLS, groupId: g, senderDid: 'did:talos:a', payload: enc('x') }))
      await a.publish(g, new Uint8Array([0x0a, 0xff, 0xff, 0xff]), { kind: 'message' }) // hostile: a length past the end
      await a.publish(g, good, { kind: 'message' })
      const s = await b.subscribe(g, did('reader'))
      const bad = (await s.next()).value!
      expect(() => decodeProto(Envelope, bad.bytes)).toThrow(expect.objectContaining({ code: 'DECODE_PROTOBUF' }))
      await bad.ack()
      const next = (await s.next()).value!
      expect(decodeProto(Envelope, next.bytes).senderDid).toBe('did:talos:a')
      await s.close()
    })

    it('deleteGroup removes the log', async () => {
      const g = gid()
      await a.publish(g, enc('x'), { kind: 'commit', epoch: 3 })
      await b.deleteGroup(g)
      expect(await a.head(g)).toEqual({ lastSeq: 0, lastCommit: undefined })
      expect((await a.publish(g, enc('y'), { kind: 'commit', epoch: 0 })).seq).toBe(1)
    })

    it('fails only with TalosError after close', async () => {
      const c = await h.connect()
      await c.close()
      const e = await c.head(gid()).catch((x: unknown) => x)
      expect(isTalosError(e)).toBe(true)
    })
  })
}
