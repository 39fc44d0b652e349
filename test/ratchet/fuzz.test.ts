/**
 * Fuzzed decoding of every ratchet wire and storage type (SessionMessage,
 * PreKeyBundle, SessionRecord), and mutation fuzzing of live messages:
 * hostile bytes give only a TalosError, never another exception, and never
 * change a session's state or burn a one-time prekey.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { isTalosError } from '../../src/errors.js'
import { SessionMessage, SessionRecord } from '../../src/proto/ratchet.js'
import { decodePreKeyBundle, encodePreKeyBundle } from '../../src/ratchet/prekeys.js'
import { Session, decodeSessionMessage } from '../../src/ratchet/session.js'
import { hostile, onlyTalosError } from '../helpers/fuzz.js'
import { toHex } from '../helpers/vectors.js'
import { enc, establish } from './helpers.js'

const RUNS = 300

describe('ratchet decoders under hostile input', () => {
  it('SessionMessage', () => {
    const { a } = establish()
    const valid = a.encrypt(enc('fuzz me'))
    fc.assert(fc.property(hostile(valid), (b) => onlyTalosError(() => decodeSessionMessage(b))), { numRuns: RUNS })
  })

  it('PreKeyBundle (decode + verify)', () => {
    const { bobStore } = establish()
    const valid = encodePreKeyBundle(bobStore.bundle())
    expect(decodePreKeyBundle(valid).signedPreKey?.publicKey.length).toBe(32)
    fc.assert(fc.property(hostile(valid), (b) => onlyTalosError(() => decodePreKeyBundle(b))), { numRuns: RUNS })
  })

  it('SessionRecord', () => {
    const { a, b } = establish()
    a.decrypt(b.encrypt(enc('1')))
    b.encrypt(enc('skipped'))
    a.decrypt(b.encrypt(enc('2')))
    a.encrypt(enc('reply')) // a sending chain in the record too
    const valid = a.serialize()
    const next = b.encrypt(enc('3'))
    expect(Session.deserialize(valid).skippedKeyCount).toBe(1)
    // A record that loads must also be usable: receiving and sending only ever raise a TalosError.
    fc.assert(
      fc.property(hostile(valid), (x) => {
        let s: Session
        try {
          s = Session.deserialize(x)
        } catch (e) {
          if (isTalosError(e)) return
          throw e
        }
        onlyTalosError(() => s.decrypt(next))
        onlyTalosError(() => s.encrypt(enc('4')))
      }),
      { numRuns: RUNS },
    )
  })
})

describe.each([false, true])('live sessions under mutated messages (header encryption: %s)', (headerEncryption) => {
  it('a mutated ratchet message is refused and leaves the state unchanged', () => {
    const { a: a0, b } = establish({ headerEncryption })
    a0.decrypt(b.encrypt(enc('warm')))
    const valid = b.encrypt(enc('target'))
    const snapshot = a0.serialize()
    let a = Session.deserialize(snapshot)
    let refused = 0
    fc.assert(
      fc.property(hostile(valid), (x) => {
        try {
          // Only a mutation of Protobuf framing that still decodes to the genuine message gets through.
          expect(new TextDecoder().decode(a.decrypt(x))).toBe('target')
          a = Session.deserialize(snapshot)
        } catch (e) {
          if (!isTalosError(e)) throw e
          expect(toHex(a.serialize())).toBe(toHex(snapshot))
          refused++
        }
      }),
      { numRuns: RUNS },
    )
    expect(refused).toBeGreaterThan(RUNS / 2)
    expect(new TextDecoder().decode(a.decrypt(valid))).toBe('target')
  })

  it('a mutated PreKeyMessage never burns the one-time prekey', () => {
    const { alice, bob, bobStore } = establish({ headerEncryption })
    const a2 = Session.initiate(alice, bobStore.bundle(), { headerEncryption })
    const valid = a2.encrypt(enc('first'))
    fc.assert(
      fc.property(hostile(valid), (x) => {
        const count = bobStore.oneTimePreKeyCount
        try {
          expect(new TextDecoder().decode(Session.respond(bob, bobStore, x).plaintext)).toBe('first')
        } catch (e) {
          if (!isTalosError(e)) throw e
          expect(bobStore.oneTimePreKeyCount).toBe(count)
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('session records that break what RatchetEncrypt relies on', () => {
  // Found by a mutation campaign: such a record loaded, and the next encrypt
  // threw a TypeError (s.dhs!.publicKey) or reached encryptHeader without a key.
  const strip = (record: Uint8Array, fields: Partial<SessionRecord>): Uint8Array =>
    encodeProto(SessionRecord, { ...decodeProto(SessionRecord, record), ...fields })
  const empty = new Uint8Array(0)

  it.each([
    ['a sending chain without its ratchet key pair', false, 'a', { sendingRatchetPrivate: empty, sendingRatchetPublic: empty }],
    ['a sending chain without its header key', true, 'a', { sendingHeaderKey: empty }],
    ['no next sending header key for the next DH step', true, 'b', { nextSendingHeaderKey: empty }],
  ] as const)('%s: RATCHET_INVALID_RECORD at load, not a crash at the next send', (_, headerEncryption, who, fields) => {
    const pair = establish({ headerEncryption })
    const valid = pair[who].serialize()
    expect(() => Session.deserialize(valid).encrypt(enc('ok'))).not.toThrow()
    const bad = strip(valid, fields)
    let err: unknown
    try {
      Session.deserialize(bad).encrypt(enc('x'))
    } catch (e) {
      err = e
    }
    expect(isTalosError(err, 'RATCHET_INVALID_RECORD')).toBe(true)
  })
})

describe('a repeated PreKeyMessage', () => {
  it('with another outer version is RATCHET_UNSUPPORTED_VERSION, as at the first one (found by mutation: a version field rewritten as an unknown field was accepted)', () => {
    const { alice, bob, bobStore } = establish()
    const a = Session.initiate(alice, bobStore.bundle())
    const first = a.encrypt(enc('first'))
    const again = a.encrypt(enc('again'))
    const { session: b } = Session.respond(bob, bobStore, first)
    const m = decodeSessionMessage(again)
    if (m.body?.case !== 'preKey') throw new Error('expected a PreKeyMessage')
    for (const version of [0, 2]) {
      const bad = encodeProto(SessionMessage, { body: { case: 'preKey', value: { ...m.body.value, version } } })
      const before = toHex(b.serialize())
      expect(() => b.decrypt(bad)).toThrow(expect.objectContaining({ code: 'RATCHET_UNSUPPORTED_VERSION' }))
      expect(toHex(b.serialize())).toBe(before)
    }
    expect(new TextDecoder().decode(b.decrypt(again))).toBe('again')
  })
})
