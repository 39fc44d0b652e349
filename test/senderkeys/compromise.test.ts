/**
 * Sender-key compromise scenarios in the style of ../shared/design/HYBRID.md
 * §8. snapshot(B) copies all of member B's state: its sender-key record and
 * its two-party session records. A message is exposed if a clone built from
 * the snapshot decrypts it, or if a 32-byte value of the snapshot opens it
 * (as a chain key run forward, or as a message seed).
 *
 *   FS within a chain     B's snapshot does not expose A's messages B already read.
 *   PCS                   none until A rotates: the snapshot reads everything A sends
 *                         on the same chain (the documented property). A rotation
 *                         heals only if it travels over a two-party session that
 *                         healed after the snapshot (one DH round trip, A -> B -> A).
 */
import { describe, expect, it } from 'vitest'
import { aead } from '../../src/crypto/aead.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'
import { senderChainStep, senderMessageKeys } from '../../src/senderkeys/chain.js'
import { SenderKeyGroup } from '../../src/senderkeys/group.js'
import { decodeSenderKeyMessage, messageAd, type SenderKeyMessage } from '../../src/senderkeys/message.js'
import { dec, enc, makeGroup, type Member } from './helpers.js'

const chacha = aead('CHACHA20POLY1305')

interface Snapshot {
  group: Uint8Array
  sessions: Map<string, Uint8Array>
  member: Member
}

function snapshot(m: Member): Snapshot {
  return { group: m.group.serialize(), sessions: m.sessions.exportRecords(), member: m }
}

function clone(s: Snapshot): SenderKeyGroup {
  const sessions = PairwiseSessions.restore(s.member.sessions.identity, s.member.store, s.sessions)
  return SenderKeyGroup.deserialize(s.group, sessions)
}

function opensWithSeed(seed: Uint8Array, m: SenderKeyMessage, ad: Uint8Array): boolean {
  const keys = senderMessageKeys(seed.slice(), m.iteration)
  try {
    chacha.open(keys.key, keys.nonce, ad, m.ciphertext)
    return true
  } catch {
    return false
  }
}

/** Every 32-byte window of the snapshot, as a message seed and as a chain key run 6 steps forward. */
function keyScanOpens(s: Snapshot, wire: Uint8Array): boolean {
  const m = decodeSenderKeyMessage(wire)
  const ad = messageAd({ groupId: m.groupId, sender: m.sender, keyId: m.keyId, iteration: m.iteration })
  const bytes = new Uint8Array(Buffer.concat([s.group, ...s.sessions.values()]))
  for (let i = 0; i + 32 <= bytes.length; i++) {
    let ck: Uint8Array = bytes.slice(i, i + 32)
    if (opensWithSeed(ck, m, ad)) return true
    for (let step = 0; step < 6; step++) {
      const next = senderChainStep(ck)
      if (opensWithSeed(next.seed, m, ad)) return true
      ck = next.chainKey
    }
  }
  return false
}

function cloneDecrypts(s: Snapshot, wire: Uint8Array): boolean {
  try {
    clone(s).decrypt(wire)
    return true
  } catch {
    return false
  }
}

describe('sender-key compromise scenarios (group of 4)', () => {
  it('FS within a chain: a snapshot of B does not expose A’s messages B already read', () => {
    const [a, b] = makeGroup(4) as [Member, Member]
    const sent = Array.from({ length: 5 }, (_, i) => a.group.encrypt(enc(`A${i}`)))
    for (const [i, w] of sent.entries()) expect(dec(b.group.decrypt(w).plaintext)).toBe(`A${i}`)
    const snap = snapshot(b)
    for (const w of sent) expect(cloneDecrypts(snap, w)).toBe(false)
    // The key scan is the expensive part: the first and the last message cover both ends of the chain.
    for (const w of [sent[0]!, sent[4]!]) expect(keyScanOpens(snap, w)).toBe(false)
  })

  it('no PCS until rotation: the snapshot reads every later message on A’s chain', () => {
    const [a, b] = makeGroup(4) as [Member, Member]
    expect(dec(b.group.decrypt(a.group.encrypt(enc('A0'))).plaintext)).toBe('A0')
    const snap = snapshot(b)
    const later = Array.from({ length: 3 }, (_, i) => a.group.encrypt(enc(`A${i + 1}`)))
    for (const w of later) expect(cloneDecrypts(snap, w)).toBe(true)
  })

  it('a rotation heals once it travels over a two-party session that healed after the snapshot', () => {
    const g = makeGroup(4)
    const [a, b] = g as [Member, Member]
    const snap = snapshot(b)
    // B's session with A heals with one DH round trip after the snapshot: A -> B, then B -> A under a
    // ratchet key B generates after the snapshot; A's next message (the distribution) is a DH step on it.
    expect(dec(b.sessions.decrypt(a.id, a.sessions.encrypt(b.id, enc('ping'))))).toBe('ping')
    expect(dec(a.sessions.decrypt(b.id, b.sessions.encrypt(a.id, enc('pong'))))).toBe('pong')
    const dist = a.group.rotateAndDistribute()
    const attacker = clone(snap)
    expect(() => attacker.receiveDistribution(a.id, dist.get(b.id)!)).toThrow()
    b.group.receiveDistribution(a.id, dist.get(b.id)!)
    const after = a.group.encrypt(enc('after rotation'))
    expect(dec(b.group.decrypt(after).plaintext)).toBe('after rotation')
    expect(cloneDecrypts(snap, after)).toBe(false)
    expect(keyScanOpens(snap, after)).toBe(false)
  })

  it('a rotation sent over a session that has not healed is read by the snapshot (documented)', () => {
    const g = makeGroup(4)
    const [a, b] = g as [Member, Member]
    const snap = snapshot(b)
    const dist = a.group.rotateAndDistribute()
    const attacker = clone(snap)
    attacker.receiveDistribution(a.id, dist.get(b.id)!)
    b.group.receiveDistribution(a.id, dist.get(b.id)!)
    const after = a.group.encrypt(enc('after rotation'))
    expect(dec(attacker.decrypt(after).plaintext)).toBe('after rotation')
  })
})
