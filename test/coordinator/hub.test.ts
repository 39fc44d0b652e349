/**
 * The coordinator baseline does what it says and shows its documented limits:
 * the hub reads every plaintext, a broadcast is n-1 two-party messages, and
 * delivery is per member (not atomic).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../src/errors.js'
import { decodeDelivery, decodeSubmit } from '../../src/coordinator/wire.js'
import { encodeProto } from '../../src/codec/proto.js'
import { CoordinatorDelivery, CoordinatorSubmit } from '../../src/proto/coordinator.js'
import { CoordinatorMember } from '../../src/coordinator/member.js'
import { GROUP, coordinated, dec, enc, party } from './helpers.js'

describe('coordinator baseline', () => {
  it('relays a message to every other member, with the sender and a sequence number', () => {
    const { hub, members } = coordinated(5)
    const r = hub.relay('m0', members[0]!.send(enc('to all')))
    expect([...r.deliveries.keys()].sort()).toEqual(['m1', 'm2', 'm3', 'm4'])
    for (const m of members.slice(1)) {
      const got = m.receive(r.deliveries.get(m.self)!)
      expect(got).toMatchObject({ sender: 'm0', seq: 1n, missed: 0n })
      expect(dec(got.plaintext)).toBe('to all')
    }
  })

  it('documented limit: the hub sees the plaintext', () => {
    const { hub, members } = coordinated(3)
    expect(dec(hub.relay('m1', members[1]!.send(enc('secret plan'))).payload)).toBe('secret plan')
  })

  it('documented limit: a broadcast costs n-1 two-party messages', () => {
    for (const n of [2, 4, 8]) {
      const { hub, members } = coordinated(n)
      expect(hub.relay('m0', members[0]!.send(enc('x'))).deliveries.size).toBe(n - 1)
    }
  })

  it('documented limit: delivery is not atomic; a member notices a gap but cannot fill it', () => {
    const { hub, members } = coordinated(3)
    const r1 = hub.relay('m0', members[0]!.send(enc('one')))
    const r2 = hub.relay('m0', members[0]!.send(enc('two')))
    // m1 gets both; m2 only the second (the hub crashed between its sends of r1).
    expect(dec(members[1]!.receive(r1.deliveries.get('m1')!).plaintext)).toBe('one')
    expect(dec(members[1]!.receive(r2.deliveries.get('m1')!).plaintext)).toBe('two')
    const got = members[2]!.receive(r2.deliveries.get('m2')!)
    expect(got).toMatchObject({ seq: 2n, missed: 1n })
  })

  it('a replayed delivery is refused; a removed member receives nothing more', () => {
    const { hub, members } = coordinated(3)
    const r = hub.relay('m0', members[0]!.send(enc('once')))
    members[1]!.receive(r.deliveries.get('m1')!)
    expect(() => members[1]!.receive(r.deliveries.get('m1')!)).toThrow(expect.objectContaining({ code: 'RATCHET_DUPLICATE_MESSAGE' }))
    hub.removeMember('m2')
    const after = hub.relay('m0', members[0]!.send(enc('after removal')))
    expect(after.deliveries.has('m2')).toBe(false)
    expect(() => hub.relay('m2', members[2]!.send(enc('let me in')))).toThrow(expect.objectContaining({ code: 'COORDINATOR_NOT_A_MEMBER' }))
  })

  it('refuses a non-member, a join where a message belongs, and another group', () => {
    const { hub, hubParty } = coordinated(2)
    const outsider = new CoordinatorMember(GROUP, 'x', party().sessions)
    expect(() => hub.accept('x', outsider.join(hubParty.store.bundle()))).toThrow(expect.objectContaining({ code: 'COORDINATOR_NOT_A_MEMBER' }))
    const other = new CoordinatorMember(enc('other group'), 'm9', party().sessions)
    hub.addMember('m9')
    expect(() => hub.accept('m9', other.join(hubParty.store.bundle()))).toThrow(expect.objectContaining({ code: 'COORDINATOR_WRONG_GROUP' }))
  })

  it('decoders give only TalosError on hostile bytes', () => {
    const validSubmit = encodeProto(CoordinatorSubmit, { version: 1, groupId: GROUP, payload: enc('p'), join: false })
    const validDelivery = encodeProto(CoordinatorDelivery, { version: 1, groupId: GROUP, sender: 'm0', seq: 5n, payload: enc('p') })
    expect(decodeDelivery(validDelivery).seq).toBe(5n)
    for (const [valid, decode] of [
      [validSubmit, decodeSubmit],
      [validDelivery, decodeDelivery],
    ] as const) {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
              const b = valid.slice()
              b[i]! ^= x
              return b
            }),
            fc.nat(valid.length).map((n) => valid.slice(0, n)),
          ),
          (b) => {
            try {
              decode(b)
            } catch (e) {
              if (!isTalosError(e)) throw e
            }
          },
        ),
        { numRuns: 300 },
      )
    }
  })

  it('a relay is all or nothing: a recipient session that refuses to send leaves the sequence and every session as they were', () => {
    const { hub, hubParty, members } = coordinated(5)
    const first = hub.relay('m0', members[0]!.send(enc('one')))
    for (const m of members.slice(1)) m.receive(first.deliveries.get(m.self)!)
    const before = new Map(['m1', 'm2', 'm4'].map((m) => [m, hubParty.sessions.session(m)!.serialize()]))
    // m3's session fails after m1's and m2's would have been encrypted.
    hubParty.sessions.session('m3')!.destroy()
    expect(() => hub.relay('m0', members[0]!.send(enc('two')))).toThrow(expect.objectContaining({ code: 'RATCHET_SESSION_DESTROYED' }))
    for (const [m, rec] of before) expect(hubParty.sessions.session(m)!.serialize()).toEqual(rec)
    hub.removeMember('m3')
    const r = hub.relay('m0', members[0]!.send(enc('three')))
    expect(r.seq).toBe(2n)
    for (const i of [1, 2, 4]) expect(members[i]!.receive(r.deliveries.get(`m${i}`)!)).toMatchObject({ seq: 2n, missed: 0n })
  })
})

describe('coordinator: caller errors', () => {
  it('a member refuses to send a plaintext that is not a Uint8Array, before its session moves', () => {
    const { hub, members } = coordinated(3)
    for (const bad of ['hello', [1, 2, 3], undefined, null, 5] as unknown[]) {
      expect(() => members[0]!.send(bad as Uint8Array)).toThrow(expect.objectContaining({ code: 'COORDINATOR_INVALID_ARGUMENT' }))
    }
    expect(dec(hub.relay('m0', members[0]!.send(enc('ok'))).payload)).toBe('ok')
  })
})
