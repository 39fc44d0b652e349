/**
 * Out-of-order delivery, loss, duplication and replay; the MAX_SKIP bound
 * (rejected before any derivation, counted); the 2000-key store bound;
 * expiry; and "a rejected message leaves the state byte-identical".
 */
import { describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { MAX_SKIP, MAX_STORED_SKIPPED } from '../../src/ratchet/constants.js'
import { totalDerivations } from '../../src/ratchet/kdf.js'
import { decodeSessionMessage, type Session } from '../../src/ratchet/session.js'
import { SessionMessage } from '../../src/proto/ratchet.js'
import { toHex } from '../helpers/vectors.js'
import { clock, dec, enc, establish } from './helpers.js'

/** Expects `fn` to throw TalosError `code`, with no derivation and no state change. */
function rejectsCleanly(s: Session, code: string, fn: () => unknown): void {
  const before = toHex(s.serialize())
  const derivations = totalDerivations()
  expect(fn).toThrow(expect.objectContaining({ code }))
  expect(totalDerivations()).toBe(derivations)
  expect(toHex(s.serialize())).toBe(before)
}

/** Expects a rejection with the state unchanged (derivations allowed: the AEAD decides). */
function rejectsUnchanged(s: Session, code: string, fn: () => unknown): void {
  const before = toHex(s.serialize())
  expect(fn).toThrow(expect.objectContaining({ code }))
  expect(toHex(s.serialize())).toBe(before)
}

function send(s: Session, prefix: string, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => s.encrypt(enc(`${prefix}${i}`)))
}

describe.each([false, true])('delivery order (header encryption: %s)', (headerEncryption) => {
  it('decrypts a chain delivered in reverse, and across DH steps', () => {
    const { a, b } = establish({ headerEncryption })
    const c1 = send(b, 'x', 5)
    const c2 = send(a, 'y', 3) // A sends before hearing B: same chain as "hello"
    for (const i of [4, 2, 0, 3, 1]) expect(dec(a.decrypt(c1[i]!))).toBe(`x${i}`)
    for (const i of [2, 1, 0]) expect(dec(b.decrypt(c2[i]!))).toBe(`y${i}`)
    // New chains on both sides, old ones interleaved late.
    const b2 = send(b, 'p', 3)
    const a2 = send(a, 'q', 2)
    expect(dec(a.decrypt(b2[2]!))).toBe('p2')
    expect(dec(b.decrypt(a2[1]!))).toBe('q1')
    expect(dec(a.decrypt(b2[0]!))).toBe('p0')
    expect(dec(b.decrypt(a2[0]!))).toBe('q0')
    expect(dec(a.decrypt(b2[1]!))).toBe('p1')
  })

  it('survives loss: later messages decrypt, skipped keys are kept for the lost ones', () => {
    const { a, b } = establish({ headerEncryption })
    const msgs = send(b, 'm', 10)
    expect(dec(a.decrypt(msgs[9]!))).toBe('m9')
    expect(a.skippedKeyCount).toBe(9)
    // A new chain from B closes the old one; pn tells A how many keys to keep.
    expect(dec(b.decrypt(a.encrypt(enc('turn'))))).toBe('turn')
    const late = send(b, 'n', 2)
    expect(dec(a.decrypt(late[1]!))).toBe('n1')
    expect(a.skippedKeyCount).toBe(10)
    expect(dec(a.decrypt(msgs[3]!))).toBe('m3')
    expect(a.skippedKeyCount).toBe(9)
  })

  it('refuses duplicates and replays with no derivation and no state change', () => {
    const { a, b } = establish({ headerEncryption })
    const m = send(b, 'd', 3)
    expect(dec(a.decrypt(m[1]!))).toBe('d1')
    expect(dec(a.decrypt(m[2]!))).toBe('d2')
    expect(dec(a.decrypt(m[0]!))).toBe('d0') // from the skipped store
    for (const x of m) rejectsCleanly(a, 'RATCHET_DUPLICATE_MESSAGE', () => a.decrypt(x))
    // Replay into a closed chain, after a full round trip.
    expect(dec(b.decrypt(a.encrypt(enc('t'))))).toBe('t')
    expect(dec(a.decrypt(b.encrypt(enc('u'))))).toBe('u')
    const code = headerEncryption ? 'RATCHET_HEADER_DECRYPT_FAILED' : 'RATCHET_DUPLICATE_MESSAGE'
    for (const x of m) rejectsCleanly(a, code, () => a.decrypt(x))
  })

  it('a tampered message is refused and the state is unchanged; the genuine one still decrypts', () => {
    const { a, b } = establish({ headerEncryption })
    const wire = b.encrypt(enc('genuine'))
    const bad = wire.slice()
    bad[bad.length - 1]! ^= 0x40
    rejectsUnchanged(a, headerEncryption ? 'RATCHET_DECRYPT_FAILED' : 'RATCHET_DECRYPT_FAILED', () => a.decrypt(bad))
    expect(dec(a.decrypt(wire))).toBe('genuine')
  })
})

describe('MAX_SKIP', () => {
  it(`accepts a jump of exactly ${MAX_SKIP} and refuses ${MAX_SKIP + 1} before any derivation`, () => {
    const { a, b } = establish()
    expect(dec(a.decrypt(b.encrypt(enc('start'))))).toBe('start') // a's receiving chain is at 1
    const msgs = send(b, 'k', MAX_SKIP + 2)
    // msgs[i] has n = i + 1; a expects n = 1 next.
    rejectsCleanly(a, 'RATCHET_TOO_FAR_AHEAD', () => a.decrypt(msgs[MAX_SKIP + 1]!))
    expect(dec(a.decrypt(msgs[MAX_SKIP]!))).toBe(`k${MAX_SKIP}`)
    expect(a.skippedKeyCount).toBe(MAX_SKIP)
  })

  it('refuses a new chain whose message number exceeds MAX_SKIP before the DH', () => {
    const { a, b } = establish()
    const msgs = send(b, 'k', MAX_SKIP + 2)
    rejectsCleanly(a, 'RATCHET_TOO_FAR_AHEAD', () => a.decrypt(msgs[MAX_SKIP + 1]!))
    expect(dec(a.decrypt(msgs[MAX_SKIP]!))).toBe(`k${MAX_SKIP}`)
  })

  it('refuses a previous-chain length that would skip more than MAX_SKIP, before any derivation', () => {
    const { a, b } = establish()
    expect(dec(a.decrypt(b.encrypt(enc('s'))))).toBe('s')
    send(b, 'lost', MAX_SKIP + 1) // none delivered: b's chain ends at n = MAX_SKIP + 1
    expect(dec(b.decrypt(a.encrypt(enc('turn'))))).toBe('turn')
    const next = b.encrypt(enc('new chain')) // pn = MAX_SKIP + 2, a has nr = 1
    rejectsCleanly(a, 'RATCHET_TOO_FAR_AHEAD', () => a.decrypt(next))
  })

  it('a forged header with a huge n is refused before any derivation', () => {
    const { a, b } = establish()
    const m = decodeSessionMessage(b.encrypt(enc('x')))
    if (m.body?.case !== 'ratchet' || m.body.value.header?.case !== 'plainHeader') throw new Error('shape')
    const forged = structuredClone(m)
    if (forged.body?.case !== 'ratchet' || forged.body.value.header?.case !== 'plainHeader') throw new Error('shape')
    forged.body.value.header.value.messageNumber = 0xfffffffe
    rejectsCleanly(a, 'RATCHET_TOO_FAR_AHEAD', () => a.decrypt(encodeProto(SessionMessage, forged)))
    forged.body.value.header.value.messageNumber = 0xffffffff
    rejectsCleanly(a, 'RATCHET_INVALID_HEADER', () => a.decrypt(encodeProto(SessionMessage, forged)))
  })
})

describe('skipped-key storage', () => {
  it(`never holds more than ${MAX_STORED_SKIPPED} keys, evicting the oldest`, () => {
    const { a, b } = establish()
    const firstChain: Uint8Array[] = []
    for (let round = 0; round < 3; round++) {
      const msgs = send(b, `r${round}.`, MAX_SKIP + 1)
      if (round === 0) firstChain.push(...msgs)
      expect(dec(a.decrypt(msgs[MAX_SKIP]!))).toBe(`r${round}.${MAX_SKIP}`)
      expect(a.skippedKeyCount).toBe(Math.min(MAX_SKIP * (round + 1), MAX_STORED_SKIPPED))
      expect(dec(b.decrypt(a.encrypt(enc(`t${round}`))))).toBe(`t${round}`)
    }
    // The first chain's keys were evicted: its messages are gone for good.
    expect(() => a.decrypt(firstChain[0]!)).toThrow(expect.objectContaining({ code: 'RATCHET_DUPLICATE_MESSAGE' }))
  })

  it('expires stored keys by age', () => {
    const c = clock()
    const { a, b } = establish({ now: c.now })
    const msgs = send(b, 'e', 3)
    expect(dec(a.decrypt(msgs[2]!))).toBe('e2')
    expect(a.skippedKeyCount).toBe(2)
    c.advance(24 * 60 * 60 * 1000 + 1)
    rejectsCleanly(a, 'RATCHET_DUPLICATE_MESSAGE', () => a.decrypt(msgs[0]!))
    // The next successful decryption deletes them.
    expect(dec(a.decrypt(b.encrypt(enc('later'))))).toBe('later')
    expect(a.skippedKeyCount).toBe(0)
  })

  it('expires stored keys after enough DH steps', () => {
    const { a, b } = establish({ policy: { skippedMaxSteps: 2 } })
    const msgs = send(b, 'e', 2)
    expect(dec(a.decrypt(msgs[1]!))).toBe('e1')
    expect(a.skippedKeyCount).toBe(1)
    for (let i = 0; i < 3; i++) {
      expect(dec(b.decrypt(a.encrypt(enc('ping'))))).toBe('ping')
      expect(dec(a.decrypt(b.encrypt(enc('pong'))))).toBe('pong')
    }
    expect(a.skippedKeyCount).toBe(0)
    expect(() => a.decrypt(msgs[0]!)).toThrow(expect.objectContaining({ code: 'RATCHET_DUPLICATE_MESSAGE' }))
  })
})
