import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../src/errors.js'
import { Session, decodeSessionMessage } from '../../src/ratchet/session.js'
import { encodeProto } from '../../src/codec/proto.js'
import { SessionMessage } from '../../src/proto/ratchet.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { generateIdentity } from '../../src/ratchet/identity.js'
import { toHex } from '../helpers/vectors.js'
import { dec, enc, establish } from './helpers.js'

describe.each([false, true])('Double Ratchet session (header encryption: %s)', (headerEncryption) => {
  it('exchanges messages in both directions, many turns', () => {
    const { a, b } = establish({ headerEncryption })
    for (let turn = 0; turn < 6; turn++) {
      const fromB = [b.encrypt(enc(`b${turn}.0`)), b.encrypt(enc(`b${turn}.1`))]
      expect(fromB.map((m) => dec(a.decrypt(m)))).toEqual([`b${turn}.0`, `b${turn}.1`])
      const fromA = a.encrypt(enc(`a${turn}`))
      expect(dec(b.decrypt(fromA))).toBe(`a${turn}`)
    }
  })

  it('keeps sending PreKeyMessages until the first answer, and the responder accepts the repeats', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    store.generateOneTimePreKeys(1)
    const a = Session.initiate(alice, store.bundle(), { headerEncryption })
    const m1 = a.encrypt(enc('one'))
    const m2 = a.encrypt(enc('two'))
    const { session: b, plaintext } = Session.respond(bob, store, m2, { headerEncryption })
    expect(dec(plaintext)).toBe('two')
    expect(dec(b.decrypt(m1))).toBe('one')
    const reply = b.encrypt(enc('reply'))
    expect(dec(a.decrypt(reply))).toBe('reply')
    // After the answer Alice sends plain ratchet messages.
    const m3 = a.encrypt(enc('three'))
    expect(dec(b.decrypt(m3))).toBe('three')
  })

  it('uses a one-time prekey once and then deletes it', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    store.generateOneTimePreKeys(1)
    expect(store.oneTimePreKeyCount).toBe(1)
    const a = Session.initiate(alice, store.bundle(), { headerEncryption })
    const m1 = a.encrypt(enc('one'))
    Session.respond(bob, store, m1)
    expect(store.oneTimePreKeyCount).toBe(0)
    // The same PreKeyMessage cannot build a second session: its one-time prekey is gone.
    expect(() => Session.respond(bob, store, m1)).toThrow(expect.objectContaining({ code: 'RATCHET_UNKNOWN_PREKEY' }))
  })

  it('serializes and deserializes mid-conversation, with skipped keys', () => {
    const { a, b } = establish({ headerEncryption })
    const r1 = b.encrypt(enc('r1'))
    const r2 = b.encrypt(enc('r2'))
    const r3 = b.encrypt(enc('r3'))
    expect(dec(a.decrypt(r3))).toBe('r3')
    const restored = Session.deserialize(a.serialize())
    expect(toHex(restored.serialize())).toBe(toHex(a.serialize()))
    expect(restored.skippedKeyCount).toBe(2)
    expect(dec(restored.decrypt(r1))).toBe('r1')
    expect(dec(restored.decrypt(r2))).toBe('r2')
    expect(dec(b.decrypt(restored.encrypt(enc('back'))))).toBe('back')
  })
})

describe('persistence before the first answer', () => {
  it('a restored initiator keeps sending PreKeyMessages the responder accepts', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    const a = Session.deserialize(Session.initiate(alice, store.bundle()).serialize())
    const first = a.encrypt(enc('after restore'))
    expect(decodeSessionMessage(first).body?.case).toBe('preKey')
    const { session: b, plaintext } = Session.respond(bob, store, first)
    expect(dec(plaintext)).toBe('after restore')
    const a2 = Session.deserialize(a.serialize())
    expect(dec(b.decrypt(a2.encrypt(enc('again'))))).toBe('again')
    expect(dec(a2.decrypt(b.encrypt(enc('answer'))))).toBe('answer')
    expect(decodeSessionMessage(a2.encrypt(enc('plain now'))).body?.case).toBe('ratchet')
  })
})

describe('session set-up errors', () => {
  it('rejects a bundle whose signed prekey signature is wrong', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    const bundle = store.bundle()
    const sig = bundle.signedPreKey!.signature.slice()
    sig[0]! ^= 1
    const bad = { ...bundle, signedPreKey: { ...bundle.signedPreKey!, signature: sig } }
    expect(() => Session.initiate(alice, bad)).toThrow(expect.objectContaining({ code: 'RATCHET_BAD_SIGNATURE' }))
  })

  it('rejects a bundle whose identity binding is forged', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const mallory = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    // Mallory swaps in her agreement key under Bob's signing key.
    const bundle = store.bundle()
    const bad = { ...bundle, identity: { ...bundle.identity!, agreementKey: mallory.public.agreementKey } }
    expect(() => Session.initiate(alice, bad)).toThrow(expect.objectContaining({ code: 'RATCHET_BAD_SIGNATURE' }))
  })

  it('a PreKeyMessage re-labelled with another identity fails and burns no one-time prekey', () => {
    const alice = generateIdentity()
    const mallory = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    store.generateOneTimePreKeys(1)
    const a = Session.initiate(alice, store.bundle())
    const m = decodeSessionMessage(a.encrypt(enc('hi')))
    if (m.body?.case !== 'preKey') throw new Error('expected a prekey message')
    // Mallory's identity is validly bound, but DH1 and AD now differ from Alice's derivation.
    const forged = encodeProto(SessionMessage, { body: { case: 'preKey', value: { ...m.body.value, identity: mallory.public } } })
    expect(() => Session.respond(bob, store, forged)).toThrow(expect.objectContaining({ code: 'RATCHET_DECRYPT_FAILED' }))
    expect(store.oneTimePreKeyCount).toBe(1)
    // The genuine message still works afterwards.
    expect(dec(Session.respond(bob, store, encodeProto(SessionMessage, m)).plaintext)).toBe('hi')
    expect(store.oneTimePreKeyCount).toBe(0)
  })

  it('the expected identity is enforced', () => {
    const { alice, bobStore, bob } = establish()
    const mallory = generateIdentity()
    const a2 = Session.initiate(alice, bobStore.bundle())
    expect(() => Session.respond(bob, bobStore, a2.encrypt(enc('x')), { expected: mallory.public })).toThrow(
      expect.objectContaining({ code: 'RATCHET_IDENTITY_MISMATCH' }),
    )
  })

  it('works without a one-time prekey (directory ran out)', () => {
    const { a, b } = establish({}, false)
    expect(dec(a.decrypt(b.encrypt(enc('ok'))))).toBe('ok')
  })

  it('garbage input is a typed decode error', () => {
    const { a } = establish()
    let err: unknown
    try {
      a.decrypt(new Uint8Array([0xff, 2, 3]))
    } catch (e) {
      err = e
    }
    expect(isTalosError(err, 'DECODE_PROTOBUF')).toBe(true)
  })
})

describe('caller-owned key bytes', () => {
  it('the responder copies the signed prekey a store hands out as a Node Buffer (Buffer#slice is a view): destroy() leaves the store\'s key', () => {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const inner = new MemoryPreKeyStore(bob)
    const handed: { buf: Buffer; orig: string }[] = []
    const store = {
      signedPreKey(id: number) {
        const kp = inner.signedPreKey(id)
        if (kp === undefined) return undefined
        const buf = Buffer.from(kp.privateKey)
        handed.push({ buf, orig: buf.toString('hex') })
        return { privateKey: buf, publicKey: kp.publicKey }
      },
      oneTimePreKey: (id: number) => inner.oneTimePreKey(id),
      removeOneTimePreKey: (id: number) => inner.removeOneTimePreKey(id),
    }
    const a = Session.initiate(alice, inner.bundle())
    const { session: b } = Session.respond(bob, store, a.encrypt(enc('hi')))
    a.decrypt(b.encrypt(enc('back')))
    b.destroy()
    expect(handed.length).toBeGreaterThan(0)
    for (const h of handed) expect(h.buf.toString('hex')).toBe(h.orig)
  })
})

describe('Double Ratchet session: caller errors', () => {
  it('encrypt refuses a plaintext that is not a Uint8Array before any ratchet step', () => {
    const { a, b } = establish()
    const before = toHex(a.serialize())
    for (const bad of ['hello', [1, 2, 3], undefined, null, 5] as unknown[]) {
      expect(() => a.encrypt(bad as Uint8Array)).toThrow(expect.objectContaining({ code: 'RATCHET_INVALID_ARGUMENT' }))
    }
    expect(toHex(a.serialize())).toBe(before)
    expect(dec(b.decrypt(a.encrypt(enc('ok'))))).toBe('ok')
  })
})
