/**
 * Sender Keys world (src/senderkeys over src/ratchet PairwiseSessions): members
 * m0..m(n-1) with two-party sessions between all of them, every sender key
 * distributed.
 *   snapshot(X)  X's sender-key record and all its two-party session records
 *   rekey(X)     X.rotateAndDistribute(), the distributions delivered
 *   remove(X)    every remaining member calls removeMember(X) (deletes X's key,
 *                rotates its own and distributes it to the others)
 * Attacker, besides the clone: the key scan of the record (every 32-byte window
 * as a chain key run forward and as a message seed), and for X's own messages the
 * chains X's snapshot holds plus every key X later distributed over a session the
 * snapshot can still read (drReadOutgoing).
 */
import { aead } from '../../../src/crypto/aead.js'
import { generateIdentity, type IdentityKeyPair } from '../../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../../src/ratchet/sessions.js'
import { senderChainStep, senderMessageKeys } from '../../../src/senderkeys/chain.js'
import { SenderKeyGroup } from '../../../src/senderkeys/group.js'
import { decodeDistribution, decodeSenderKeyMessage, encodeSenderKeyMessage, messageAd } from '../../../src/senderkeys/message.js'
import { senderKeyEncrypt, type SenderKeyState } from '../../../src/senderkeys/state.js'
import { attempt, dec, enc, type Rec, type Snap, type World } from '../world.js'
import { drReadOutgoing, sessionState } from './dr-attack.js'

const chacha = aead('CHACHA20POLY1305')
export const SK_GROUP_ID = enc('properties-sk-group')

export interface SkParty {
  readonly id: string
  readonly identity: IdentityKeyPair
  readonly store: MemoryPreKeyStore
  readonly sessions: PairwiseSessions
}

export function skParty(id: string, oneTimePreKeys = 4): SkParty {
  const identity = generateIdentity()
  const store = new MemoryPreKeyStore(identity)
  if (oneTimePreKeys > 0) store.generateOneTimePreKeys(oneTimePreKeys)
  return { id, identity, store, sessions: new PairwiseSessions(identity, store) }
}

/** a initiates a session with b; both directions live after one round trip. */
export function skPair(a: SkParty, b: SkParty): void {
  a.sessions.connect(b.id, b.store.bundle())
  b.sessions.decrypt(a.id, a.sessions.encrypt(b.id, enc('hi')))
  a.sessions.decrypt(b.id, b.sessions.encrypt(a.id, enc('hi back')))
}

interface SkSnapData {
  readonly group: Uint8Array
  readonly sessions: Map<string, Uint8Array>
}

interface Chain {
  keyId: number
  iteration: number
  chainKey: Uint8Array
}

/** Plaintext of a sender-key message from a chain (run forward to its iteration), or undefined. */
function openFromChain(c: Chain, bytes: Uint8Array): Uint8Array | undefined {
  const m = decodeSenderKeyMessage(bytes)
  if (m.keyId !== c.keyId || m.iteration < c.iteration || m.iteration - c.iteration > 2000) return undefined
  let ck: Uint8Array = c.chainKey.slice()
  for (let i = c.iteration; i < m.iteration; i++) ck = senderChainStep(ck).chainKey
  const keys = senderMessageKeys(senderChainStep(ck).seed, m.iteration)
  try {
    return chacha.open(keys.key, keys.nonce, messageAd({ groupId: m.groupId, sender: m.sender, keyId: m.keyId, iteration: m.iteration }), m.ciphertext)
  } catch {
    return undefined
  }
}

/** Every 32-byte window of `bytes` as a chain key (run 8 steps) and as a message seed. */
function skScan(bytes: Uint8Array, wire: Uint8Array): Uint8Array | undefined {
  const m = decodeSenderKeyMessage(wire)
  const ad = messageAd({ groupId: m.groupId, sender: m.sender, keyId: m.keyId, iteration: m.iteration })
  const tryOpen = (seed: Uint8Array): Uint8Array | undefined => {
    const keys = senderMessageKeys(seed.slice(), m.iteration)
    try {
      return chacha.open(keys.key, keys.nonce, ad, m.ciphertext)
    } catch {
      return undefined
    }
  }
  for (let i = 0; i + 32 <= bytes.length; i++) {
    if (i === 0 || bytes[i - 1] !== 32) continue // a Protobuf bytes field of 32 bytes
    let ck: Uint8Array = bytes.slice(i, i + 32)
    if (new Set(ck).size < 16) continue
    const direct = tryOpen(ck)
    if (direct !== undefined) return direct
    for (let step = 0; step < 8; step++) {
      const next = senderChainStep(ck)
      const pt = tryOpen(next.seed)
      if (pt !== undefined) return pt
      ck = next.chainKey
    }
  }
  return undefined
}

export class SenderKeysWorld implements World {
  readonly wire: Rec[] = []
  members: string[]

  private constructor(
    private readonly parties: Map<string, SkParty>,
    private readonly groups: Map<string, SenderKeyGroup>,
  ) {
    this.members = [...groups.keys()]
  }

  static create(n = 4): SenderKeysWorld {
    const parties = Array.from({ length: n }, (_, i) => skParty(`m${i}`, n))
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) skPair(parties[i]!, parties[j]!)
    const ids = parties.map((p) => p.id)
    const groups = new Map(parties.map((p) => [p.id, new SenderKeyGroup(SK_GROUP_ID, p.id, ids, p.sessions)]))
    const w = new SenderKeysWorld(new Map(parties.map((p) => [p.id, p])), groups)
    for (const [id, g] of groups) w.deliverDistributions(id, g.distribute())
    return w
  }

  group(id: string): SenderKeyGroup {
    return this.groups.get(id)!
  }

  private deliverDistributions(from: string, msgs: Map<string, Uint8Array>): void {
    for (const [to, bytes] of msgs) {
      this.wire.push({ index: this.wire.length, kind: 'control', from, to, bytes })
      this.groups.get(to)!.receiveDistribution(from, bytes)
    }
  }

  async send(from: string, text: string): Promise<Rec> {
    const bytes = this.groups.get(from)!.encrypt(enc(text))
    const rec: Rec = { index: this.wire.length, kind: 'app', from, to: 'all', bytes, text }
    this.wire.push(rec)
    for (const m of this.members) {
      if (m !== from && dec(this.groups.get(m)!.decrypt(bytes).plaintext) !== text) throw new Error('sk world: delivery failed')
    }
    return rec
  }

  async snapshot(member: string): Promise<Snap> {
    const data: SkSnapData = { group: this.groups.get(member)!.serialize(), sessions: this.parties.get(member)!.sessions.exportRecords() }
    return { member, pos: this.wire.length, data }
  }

  private clone(snap: Snap): { group: SenderKeyGroup; sessions: PairwiseSessions } {
    const d = snap.data as SkSnapData
    const p = this.parties.get(snap.member)!
    const sessions = PairwiseSessions.restore(p.identity, p.store, d.sessions)
    return { group: SenderKeyGroup.deserialize(d.group, sessions), sessions }
  }

  async reads(snap: Snap, r: Rec): Promise<boolean> {
    const d = snap.data as SkSnapData
    const hit = (pt: Uint8Array | undefined): boolean => pt !== undefined && dec(pt) === r.text
    if (r.index < snap.pos) {
      if (r.from === snap.member) return hit(skScan(d.group, r.bytes))
      if (hit(await attempt(() => this.clone(snap).group.decrypt(r.bytes).plaintext))) return true
      return hit(skScan(d.group, r.bytes))
    }
    const c = this.clone(snap)
    // Chains the attacker holds for the member's own messages: its own key in the snapshot...
    const own = (c.group as unknown as { own: SenderKeyState }).own
    const chains: Chain[] = [{ keyId: own.keyId, iteration: own.iteration, chainKey: own.chainKey.slice() }]
    for (const w of this.wire) {
      if (w.index < snap.pos || w.index > r.index) continue
      if (w.kind === 'control' && w.to === snap.member) {
        if ((w.extra as { session?: boolean } | undefined)?.session) await attempt(() => c.sessions.decrypt(w.from, w.bytes))
        else await attempt(() => c.group.receiveDistribution(w.from, w.bytes))
      } else if (w.kind === 'control' && w.from === snap.member) {
        // ...and every key it distributed later over a session the snapshot can read.
        const s = c.sessions.session(w.to)
        const pt = s === undefined ? undefined : drReadOutgoing(sessionState(s), w.bytes)
        const dist = pt === undefined ? undefined : await attempt(() => decodeDistribution(pt))
        if (dist !== undefined) chains.push({ keyId: dist.keyId, iteration: dist.iteration, chainKey: dist.chainKey })
      } else if (w.kind === 'app' && w.from !== snap.member) {
        const pt = await attempt(() => c.group.decrypt(w.bytes).plaintext)
        if (w === r) return hit(pt)
      } else if (w === r) {
        for (const ch of chains) if (hit(openFromChain(ch, r.bytes))) return true
        return false
      }
    }
    return false
  }

  async scanReads(snap: Snap, r: Rec): Promise<boolean> {
    const pt = skScan((snap.data as SkSnapData).group, r.bytes)
    return pt !== undefined && dec(pt) === r.text
  }

  bytesFor(r: Rec): Uint8Array {
    return r.bytes
  }

  async tryReceive(snap: Snap, bytes: Uint8Array): Promise<{ sender: string; text: string } | undefined> {
    const got = await attempt(() => this.clone(snap).group.decrypt(bytes))
    return got === undefined ? undefined : { sender: got.sender, text: dec(got.plaintext) }
  }

  /** `by` encrypts on the victim's chain (it holds the chain key) and signs with its own signing key. */
  async forgeAs(by: string, victim: string, text: string): Promise<Uint8Array> {
    const g = this.groups.get(by)!
    const own = (g as unknown as { own: SenderKeyState }).own
    const theirs = victim === by ? own : (g as unknown as { received: Map<string, SenderKeyState[]> }).received.get(victim)!.at(-1)!
    const forged: SenderKeyState = { ...theirs, chainKey: theirs.chainKey.slice(), skipped: new Map(), signingPrivate: own.signingPrivate!.slice() }
    return encodeSenderKeyMessage(senderKeyEncrypt(SK_GROUP_ID, forged, enc(text)))
  }

  async rekey(member: string): Promise<string> {
    this.deliverDistributions(member, this.groups.get(member)!.rotateAndDistribute())
    return `${member} rotates its sender key and distributes it over its two-party sessions`
  }

  /** One round trip over the two-party session b -> a -> b (a's session with b takes a DH ratchet step). */
  async sessionRoundTrip(a: string, b: string): Promise<string> {
    const pa = this.parties.get(a)!
    const pb = this.parties.get(b)!
    const m1 = pb.sessions.encrypt(a, enc('ping'))
    this.wire.push({ index: this.wire.length, kind: 'control', from: b, to: a, bytes: m1, extra: { session: true } })
    pa.sessions.decrypt(b, m1)
    const m2 = pa.sessions.encrypt(b, enc('pong'))
    this.wire.push({ index: this.wire.length, kind: 'control', from: a, to: b, bytes: m2, extra: { session: true } })
    pb.sessions.decrypt(a, m2)
    return `a two-party round trip ${b} -> ${a} -> ${b}`
  }

  async remove(member: string, by: string): Promise<string> {
    this.members = this.members.filter((m) => m !== member)
    for (const m of this.members) this.deliverDistributions(m, this.groups.get(m)!.removeMember(member))
    return `${by} and every other remaining member call removeMember(${member}): each deletes ${member}'s key, rotates its own and distributes it to the remaining members`
  }
}
