/** A group of members with pairwise sessions between all of them and sender keys exchanged. */
import { generateIdentity } from '../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../src/ratchet/sessions.js'
import { SenderKeyGroup, type SenderKeyGroupOptions } from '../../src/senderkeys/group.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
export const GROUP_ID = enc('group-1')

export interface Member {
  id: string
  sessions: PairwiseSessions
  store: MemoryPreKeyStore
  group: SenderKeyGroup
}

export function newParty(id: string): Omit<Member, 'group'> {
  const identity = generateIdentity()
  const store = new MemoryPreKeyStore(identity)
  store.generateOneTimePreKeys(8)
  return { id, sessions: new PairwiseSessions(identity, store), store }
}

/** Establishes a two-party session a -> b (a initiates, b answers once so both chains exist). */
export function pair(a: Omit<Member, 'group'>, b: Omit<Member, 'group'>): void {
  a.sessions.connect(b.id, b.store.bundle())
  b.sessions.decrypt(a.id, a.sessions.encrypt(b.id, enc('hello')))
  a.sessions.decrypt(b.id, b.sessions.encrypt(a.id, enc('hello back')))
}

/** Delivers every distribution message of a map from `from`. */
export function deliver(members: Member[], from: string, msgs: Map<string, Uint8Array>): void {
  for (const [to, m] of msgs) members.find((x) => x.id === to)!.group.receiveDistribution(from, m)
}

export function makeGroup(n: number, options: SenderKeyGroupOptions = {}): Member[] {
  const parties = Array.from({ length: n }, (_, i) => newParty(`m${i}`))
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pair(parties[i]!, parties[j]!)
  const ids = parties.map((p) => p.id)
  const members = parties.map((p) => ({ ...p, group: new SenderKeyGroup(GROUP_ID, p.id, ids, p.sessions, options) }))
  for (const m of members) deliver(members, m.id, m.group.distribute())
  return members
}
