/** Shared set-up for the ratchet tests: two identities, a bundle, and an established session pair. */
import { generateIdentity, type IdentityKeyPair } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { Session, type SessionOptions } from '../../src/ratchet/session.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

export interface Pair {
  alice: IdentityKeyPair
  bob: IdentityKeyPair
  bobStore: MemoryPreKeyStore
  a: Session
  b: Session
}

/** Alice initiates, sends "hello", Bob responds; both sessions are live (Bob has not sent yet). */
export function establish(options: SessionOptions = {}, withOneTime = true): Pair {
  const alice = generateIdentity()
  const bob = generateIdentity()
  const bobStore = new MemoryPreKeyStore(bob)
  if (withOneTime) bobStore.generateOneTimePreKeys(2)
  const a = Session.initiate(alice, bobStore.bundle(), options)
  const first = a.encrypt(enc('hello'))
  const { session: b, plaintext } = Session.respond(bob, bobStore, first, options)
  if (dec(plaintext) !== 'hello') throw new Error('handshake failed')
  return { alice, bob, bobStore, a, b }
}

/** A controllable clock. */
export function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}
