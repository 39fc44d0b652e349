import { describe, expect, it } from 'vitest'
import { totalSenderKeyDerivations } from '../../src/senderkeys/chain.js'
import { SenderKeyGroup } from '../../src/senderkeys/group.js'
import { decodeSenderKeyMessage, encodeDistribution, encodeSenderKeyMessage } from '../../src/senderkeys/message.js'
import { toHex } from '../helpers/vectors.js'
import { GROUP_ID, dec, deliver, enc, makeGroup, newParty, pair, type Member } from './helpers.js'

function rejectsCleanly(m: Member, code: string, fn: () => unknown, derivationsAllowed = false): void {
  const before = toHex(m.group.serialize())
  const derivations = totalSenderKeyDerivations()
  expect(fn).toThrow(expect.objectContaining({ code }))
  if (!derivationsAllowed) expect(totalSenderKeyDerivations()).toBe(derivations)
  expect(toHex(m.group.serialize())).toBe(before)
}

describe('sender keys in a group of 4', () => {
  it('every member reads every other member', () => {
    const g = makeGroup(4)
    for (const s of g) {
      const wire = s.group.encrypt(enc(`from ${s.id}`))
      for (const r of g) {
        if (r === s) continue
        const got = r.group.decrypt(wire)
        expect(got.sender).toBe(s.id)
        expect(dec(got.plaintext)).toBe(`from ${s.id}`)
      }
    }
  })

  it('accepts out-of-order delivery within the bound and refuses duplicates', () => {
    const [a, b] = makeGroup(2)
    const msgs = Array.from({ length: 6 }, (_, i) => a!.group.encrypt(enc(`m${i}`)))
    for (const i of [5, 0, 3, 1, 4, 2]) expect(dec(b!.group.decrypt(msgs[i]!).plaintext)).toBe(`m${i}`)
    for (const m of msgs) rejectsCleanly(b!, 'SENDERKEY_DUPLICATE_MESSAGE', () => b!.group.decrypt(m))
  })

  it('survives loss: later messages decrypt, the lost ones stay decryptable if they turn up', () => {
    const [a, b] = makeGroup(2)
    const msgs = Array.from({ length: 8 }, (_, i) => a!.group.encrypt(enc(`m${i}`)))
    for (const i of [1, 4, 7]) expect(dec(b!.group.decrypt(msgs[i]!).plaintext)).toBe(`m${i}`)
    expect(dec(b!.group.decrypt(msgs[0]!).plaintext)).toBe('m0')
  })

  it('deletion: used seeds and chain keys are zeroed and absent from the record', () => {
    const [a, b] = makeGroup(2)
    const state = (b!.group as unknown as { received: Map<string, { chainKey: Uint8Array; skipped: Map<number, Uint8Array> }[]> }).received.get(a!.id)![0]!
    const consumed: Uint8Array[] = []
    const copies: string[] = []
    for (let i = 0; i < 6; i++) {
      const ck = state.chainKey
      consumed.push(ck)
      copies.push(toHex(ck))
      const m = a!.group.encrypt(enc(`m${i}`))
      if (i !== 2) expect(dec(b!.group.decrypt(m).plaintext)).toBe(`m${i}`)
      else a!.group.encrypt(enc('unused')) // keeps the numbering moving; m2 is never delivered
    }
    const record = toHex(b!.group.serialize())
    consumed.forEach((k, i) => {
      expect(k.every((x) => x === 0)).toBe(true)
      expect(record.includes(copies[i]!)).toBe(false)
    })
    // Exactly the skipped seeds are kept: m2 and the "unused" message.
    expect([...state.skipped.keys()].sort()).toEqual([2, 3])
  })

  it('refuses an iteration too far ahead before any derivation', () => {
    const [a, b] = makeGroup(2, { policy: { maxForward: 10 } })
    const msgs = Array.from({ length: 12 }, (_, i) => a!.group.encrypt(enc(`m${i}`)))
    rejectsCleanly(b!, 'SENDERKEY_TOO_FAR_AHEAD', () => b!.group.decrypt(msgs[11]!))
    expect(dec(b!.group.decrypt(msgs[10]!).plaintext)).toBe('m10')
  })

  it('a member holding the chain key cannot forge another member’s message (signature)', () => {
    const [a, b, c] = makeGroup(3)
    // C knows A's chain key; it re-signs nothing it can: flip the ciphertext and keep A's signature.
    const m = decodeSenderKeyMessage(a!.group.encrypt(enc('real')))
    const forged = encodeSenderKeyMessage({ ...m, ciphertext: m.ciphertext.map((x, i) => (i === 0 ? x ^ 1 : x)) })
    rejectsCleanly(b!, 'SENDERKEY_BAD_SIGNATURE', () => b!.group.decrypt(forged))
    // Another sender name with A's key id is unknown.
    const renamed = encodeSenderKeyMessage({ ...m, sender: c!.id })
    rejectsCleanly(b!, 'SENDERKEY_UNKNOWN_KEY', () => b!.group.decrypt(renamed))
    expect(dec(b!.group.decrypt(encodeSenderKeyMessage(m)).plaintext)).toBe('real')
  })

  it('refuses a distribution of someone else’s key, of another group, or garbage', () => {
    const [a, b, c] = makeGroup(3) as [Member, Member, Member]
    const base = {
      version: 1,
      groupId: GROUP_ID,
      sender: c.id, // B claims to hand out C's key
      keyId: 99,
      iteration: 0,
      chainKey: new Uint8Array(32).fill(7),
      signingKey: new Uint8Array(32).fill(8),
    }
    const before = toHex(a.group.serialize())
    const send = (payload: Uint8Array): Uint8Array => b.sessions.encrypt(a.id, payload)
    expect(() => a.group.receiveDistribution(b.id, send(encodeDistribution(base)))).toThrow(
      expect.objectContaining({ code: 'SENDERKEY_INVALID_DISTRIBUTION' }),
    )
    expect(() => a.group.receiveDistribution(b.id, send(encodeDistribution({ ...base, sender: b.id, groupId: enc('other') })))).toThrow(
      expect.objectContaining({ code: 'SENDERKEY_INVALID_DISTRIBUTION' }),
    )
    expect(() => a.group.receiveDistribution(b.id, send(enc('not a distribution')))).toThrow(
      expect.objectContaining({ code: 'DECODE_PROTOBUF' }),
    )
    expect(toHex(a.group.serialize())).toBe(before)
  })

  it('a joiner reads only what is sent after it joined, and everyone reads it', () => {
    const g = makeGroup(3)
    const before = g.map((m) => m.group.encrypt(enc(`before ${m.id}`)))
    const d = newParty('d')
    for (const m of g) pair(m, d)
    const dGroup = new SenderKeyGroup(GROUP_ID, 'd', [...g.map((m) => m.id), 'd'], d.sessions)
    const dm: Member = { ...d, group: dGroup }
    const all = [...g, dm]
    for (const m of g) dGroup.receiveDistribution(m.id, m.group.addMember('d'))
    deliver(all, 'd', dGroup.distribute())
    for (const w of before) expect(() => dGroup.decrypt(w)).toThrow(expect.objectContaining({ code: 'SENDERKEY_DUPLICATE_MESSAGE' }))
    for (const m of g) expect(dec(dGroup.decrypt(m.group.encrypt(enc(`after ${m.id}`))).plaintext)).toBe(`after ${m.id}`)
    const fromD = dGroup.encrypt(enc('from d'))
    for (const m of g) expect(dec(m.group.decrypt(fromD).plaintext)).toBe('from d')
  })

  it('a removal rotates every remaining key; the removed member reads nothing after', () => {
    const g = makeGroup(4)
    const [a, b, c, removed] = g as [Member, Member, Member, Member]
    const remaining = [a, b, c]
    for (const m of remaining) deliver(remaining, m.id, m.group.removeMember(removed.id))
    for (const s of remaining) {
      const wire = s.group.encrypt(enc(`post ${s.id}`))
      for (const r of remaining) if (r !== s) expect(dec(r.group.decrypt(wire).plaintext)).toBe(`post ${s.id}`)
      expect(() => removed.group.decrypt(wire)).toThrow(expect.objectContaining({ code: 'SENDERKEY_UNKNOWN_KEY' }))
    }
    expect(remaining.every((m) => !m.group.members.includes(removed.id))).toBe(true)
  })

  it('serializes and deserializes with skipped keys', () => {
    const [a, b] = makeGroup(2)
    const m0 = a!.group.encrypt(enc('zero'))
    const m1 = a!.group.encrypt(enc('one'))
    expect(dec(b!.group.decrypt(m1).plaintext)).toBe('one')
    const restored = SenderKeyGroup.deserialize(b!.group.serialize(), b!.sessions)
    expect(toHex(restored.serialize())).toBe(toHex(b!.group.serialize()))
    expect(dec(restored.decrypt(m0).plaintext)).toBe('zero')
    const a2 = SenderKeyGroup.deserialize(a!.group.serialize(), a!.sessions)
    expect(dec(restored.decrypt(a2.encrypt(enc('two'))).plaintext)).toBe('two')
  })
})

describe('sender keys: staged rotation and bounded records', () => {
  const sessionRecords = (m: Member): string[] => [...m.sessions.exportRecords()].map(([p, r]) => `${p}:${toHex(r)}`)

  it('a rotation whose distribution fails leaves our key and every session as they were', () => {
    const g = makeGroup(4)
    const [a, b] = g as [Member, Member]
    // a's session with m3 is gone bad after m1's and m2's would have been encrypted.
    a.sessions.session('m3')!.destroy()
    const keyId = a.group.ownKeyId
    const before = toHex(a.group.serialize())
    const sessionsBefore = sessionRecords(a).filter((r) => !r.startsWith('m3:'))
    expect(() => a.group.rotateAndDistribute()).toThrow(expect.objectContaining({ code: 'RATCHET_SESSION_DESTROYED' }))
    expect(a.group.ownKeyId).toBe(keyId)
    expect(toHex(a.group.serialize())).toBe(before)
    expect(sessionRecords(a).filter((r) => !r.startsWith('m3:'))).toEqual(sessionsBefore)
    // The old key still works for everyone.
    expect(dec(b.group.decrypt(a.group.encrypt(enc('still here'))).plaintext)).toBe('still here')
  })

  it('a removal whose distribution fails changes nothing: the member, its keys and our old key stay', () => {
    const g = makeGroup(4)
    const [a, b] = g as [Member, Member]
    a.sessions.session('m2')!.destroy()
    const before = toHex(a.group.serialize())
    expect(() => a.group.removeMember('m3')).toThrow(expect.objectContaining({ code: 'RATCHET_SESSION_DESTROYED' }))
    expect(toHex(a.group.serialize())).toBe(before)
    expect(a.group.members).toContain('m3')
    expect(dec(a.group.decrypt(g[3]!.group.encrypt(enc('m3 still reads'))).plaintext)).toBe('m3 still reads')
    expect(dec(b.group.decrypt(a.group.encrypt(enc('old key'))).plaintext)).toBe('old key')
  })

  it('deserialize refuses a record beyond the live limits (iteration, skipped seeds) with SENDERKEY_INVALID_RECORD', async () => {
    const { decodeProto, encodeProto } = await import('../../src/codec/proto.js')
    const { SenderKeyRecord } = await import('../../src/proto/senderkeys.js')
    const [a, b] = makeGroup(2, { policy: { maxSkippedKeys: 4 } })
    const msgs = Array.from({ length: 4 }, (_, i) => a!.group.encrypt(enc(`m${i}`)))
    b!.group.decrypt(msgs[3]!) // three skipped seeds (0, 1, 2)
    const good = decodeProto(SenderKeyRecord, b!.group.serialize())
    const opts = { policy: { maxSkippedKeys: 4 } }
    expect(() => SenderKeyGroup.deserialize(encodeProto(SenderKeyRecord, good), b!.sessions, opts)).not.toThrow()
    const member = good.received[0]!
    const seed = member.skipped[0]!.messageSeed
    const variants: [string, typeof good][] = [
      ['too many skipped seeds', { ...good, received: [{ ...member, iteration: 100, skipped: Array.from({ length: 5 }, (_, i) => ({ iteration: i, messageSeed: seed })) }] }],
      ['a skipped seed ahead of the chain', { ...good, received: [{ ...member, skipped: [{ iteration: member.iteration, messageSeed: seed }] }] }],
      ['duplicate skipped iterations', { ...good, received: [{ ...member, skipped: [member.skipped[0]!, member.skipped[0]!] }] }],
      ['skipped seeds out of order', { ...good, received: [{ ...member, skipped: [...member.skipped].reverse() }] }],
      ['own iteration at the limit', { ...good, own: { ...good.own!, iteration: 0xffffffff } }],
      ['own key with skipped seeds', { ...good, own: { ...good.own!, iteration: 5, skipped: [{ iteration: 1, messageSeed: seed }] } }],
    ]
    for (const [what, rec] of variants) {
      expect(() => SenderKeyGroup.deserialize(encodeProto(SenderKeyRecord, rec), b!.sessions, opts), what).toThrow(
        expect.objectContaining({ code: 'SENDERKEY_INVALID_RECORD' }),
      )
    }
    // The default policy's limit applies without options.
    const many = { ...good, received: [{ ...member, iteration: 5000, skipped: Array.from({ length: 1001 }, (_, i) => ({ iteration: i, messageSeed: seed })) }] }
    expect(() => SenderKeyGroup.deserialize(encodeProto(SenderKeyRecord, many), b!.sessions)).toThrow(expect.objectContaining({ code: 'SENDERKEY_INVALID_RECORD' }))
  })
})

describe('sender keys: caller errors', () => {
  it('encrypt refuses a plaintext that is not a Uint8Array before the chain steps', () => {
    const [a, b] = makeGroup(2)
    const before = toHex(a!.group.serialize())
    for (const bad of ['hello', [1, 2, 3], undefined, null, 5] as unknown[]) {
      expect(() => a!.group.encrypt(bad as Uint8Array)).toThrow(expect.objectContaining({ code: 'SENDERKEY_INVALID_ARGUMENT' }))
    }
    expect(toHex(a!.group.serialize())).toBe(before)
    expect(dec(b!.group.decrypt(a!.group.encrypt(enc('ok'))).plaintext)).toBe('ok')
  })
})
