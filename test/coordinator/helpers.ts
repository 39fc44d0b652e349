import { CoordinatorHub } from '../../src/coordinator/hub.js'
import { CoordinatorMember } from '../../src/coordinator/member.js'
import { generateIdentity } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
export const GROUP = enc('coordinated')

export function party(): { sessions: PairwiseSessions; store: MemoryPreKeyStore } {
  const id = generateIdentity()
  const store = new MemoryPreKeyStore(id)
  return { sessions: new PairwiseSessions(id, store), store }
}

/** A hub and n joined members m0..m(n-1). */
export function coordinated(n: number): { hub: CoordinatorHub; hubParty: ReturnType<typeof party>; members: CoordinatorMember[] } {
  const hubParty = party()
  hubParty.store.generateOneTimePreKeys(n)
  const hub = new CoordinatorHub(GROUP, hubParty.sessions)
  const members = Array.from({ length: n }, (_, i) => {
    const m = new CoordinatorMember(GROUP, `m${i}`, party().sessions)
    hub.addMember(m.self)
    hub.accept(m.self, m.join(hubParty.store.bundle()))
    return m
  })
  return { hub, hubParty, members }
}
