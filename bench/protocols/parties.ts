/**
 * Two-party session set-up for the sender-keys and coordinator drivers:
 * parties with real identities and prekeys, sessions opened from bundles
 * (X3DH) and confirmed by one message each way, so later messages are
 * steady-state Double Ratchet messages.
 */
import { generateIdentity } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'

export interface Party {
  readonly id: string
  readonly store: MemoryPreKeyStore
  readonly sessions: PairwiseSessions
}

export function party(id: string, oneTimePreKeys = 1): Party {
  const identity = generateIdentity()
  const store = new MemoryPreKeyStore(identity)
  if (oneTimePreKeys > 0) store.generateOneTimePreKeys(oneTimePreKeys)
  return { id, store, sessions: new PairwiseSessions(identity, store) }
}

const HELLO = new Uint8Array(8)

/** `a` opens a session with `b` from b's bundle; one message each way confirms it. */
export function connect(a: Party, b: Party, aName = a.id, bName = b.id): void {
  a.sessions.connect(bName, b.store.bundle())
  b.sessions.decrypt(aName, a.sessions.encrypt(bName, HELLO))
  a.sessions.decrypt(bName, b.sessions.encrypt(aName, HELLO))
}
