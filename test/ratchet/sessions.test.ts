import { describe, expect, it } from 'vitest'
import { generateIdentity } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore, type PreKeyBundle } from '../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'
import { dec, enc } from './helpers.js'

function party(): { sessions: PairwiseSessions; store: MemoryPreKeyStore } {
  const id = generateIdentity()
  const store = new MemoryPreKeyStore(id)
  store.generateOneTimePreKeys(4)
  return { sessions: new PairwiseSessions(id, store), store }
}

describe('PairwiseSessions', () => {
  it('creates the responder session from the first PreKeyMessage and talks both ways', () => {
    const a = party()
    const b = party()
    a.sessions.connect('b', b.store.bundle())
    expect(dec(b.sessions.decrypt('a', a.sessions.encrypt('b', enc('hi'))))).toBe('hi')
    expect(dec(a.sessions.decrypt('b', b.sessions.encrypt('a', enc('yo'))))).toBe('yo')
    expect(b.sessions.identityOf('a')?.signingKey).toEqual(a.sessions.identity.public.signingKey)
  })

  it('refuses a PreKeyMessage from a pinned peer id under another identity', () => {
    const a = party()
    const b = party()
    const mallory = party()
    a.sessions.connect('b', b.store.bundle())
    b.sessions.decrypt('a', a.sessions.encrypt('b', enc('hi')))
    mallory.sessions.connect('b', b.store.bundle())
    expect(() => b.sessions.decrypt('a', mallory.sessions.encrypt('b', enc('I am a')))).toThrow(
      expect.objectContaining({ code: 'RATCHET_IDENTITY_MISMATCH' }),
    )
    // The genuine session is untouched.
    expect(dec(b.sessions.decrypt('a', a.sessions.encrypt('b', enc('still me'))))).toBe('still me')
  })

  it('settles simultaneous initiation on the session started by the lower signing key', () => {
    const a = party()
    const b = party()
    a.sessions.connect('b', b.store.bundle())
    b.sessions.connect('a', a.store.bundle())
    const fromA = a.sessions.encrypt('b', enc('from a'))
    const fromB = b.sessions.encrypt('a', enc('from b'))
    const aLower = Buffer.compare(Buffer.from(a.sessions.identity.public.signingKey), Buffer.from(b.sessions.identity.public.signingKey)) < 0
    const [low, high, lowMsg, highMsg, lowName, highName] = aLower
      ? [a, b, fromA, fromB, 'a', 'b']
      : [b, a, fromB, fromA, 'b', 'a']
    // The higher side adopts the lower side's session; the lower side refuses the higher's.
    expect(dec(high.sessions.decrypt(lowName, lowMsg))).toBe(`from ${lowName}`)
    expect(() => low.sessions.decrypt(highName, highMsg)).toThrow(expect.objectContaining({ code: 'RATCHET_SESSION_MISMATCH' }))
    // Converged: both directions work.
    expect(dec(low.sessions.decrypt(highName, high.sessions.encrypt(lowName, enc('again'))))).toBe('again')
    expect(dec(high.sessions.decrypt(lowName, low.sessions.encrypt(highName, enc('ok'))))).toBe('ok')
  })

  it('a replayed PreKeyMessage of a replaced session (no one-time prekey) cannot reset the session', () => {
    const a = party()
    const b = party()
    // Bundles without one-time prekeys: X3DH alone cannot detect the replay.
    const noOpk = (): PreKeyBundle => ({ ...b.store.bundle(), oneTimePreKey: undefined })
    a.sessions.connect('b', noOpk())
    const old = a.sessions.encrypt('b', enc('first session'))
    expect(dec(b.sessions.decrypt('a', old))).toBe('first session')
    a.sessions.connect('b', noOpk()) // a re-initiates (e.g. after losing its state)
    expect(dec(b.sessions.decrypt('a', a.sessions.encrypt('b', enc('second session'))))).toBe('second session')
    expect(() => b.sessions.decrypt('a', old)).toThrow(expect.objectContaining({ code: 'RATCHET_DUPLICATE_MESSAGE' }))
    expect(dec(a.sessions.decrypt('b', b.sessions.encrypt('a', enc('still the second'))))).toBe('still the second')
  })

  it('refuses to encrypt or decrypt without a session', () => {
    const a = party()
    expect(() => a.sessions.encrypt('nobody', enc('x'))).toThrow(expect.objectContaining({ code: 'RATCHET_NO_SESSION' }))
  })
})
