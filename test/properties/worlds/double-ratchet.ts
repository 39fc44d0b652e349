/**
 * 1:1 Double Ratchet world (src/ratchet Session), for reference: A and B with
 * one established session (A initiated; B answered once).
 *   snapshot(X)  X's session record (Session.serialize)
 *   rekey(X)     the DH ratchet step X takes: the peer sends to X, then X sends
 *                (X's message carries a fresh ratchet key)
 */
import { generateIdentity } from '../../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../../src/ratchet/prekeys.js'
import { Session } from '../../../src/ratchet/session.js'
import { attempt, dec, enc, type Rec, type Snap, type World } from '../world.js'
import { drReadOutgoing, drScan, sessionState } from './dr-attack.js'

export class DoubleRatchetWorld implements World {
  readonly members = ['A', 'B']
  readonly wire: Rec[] = []
  private constructor(private readonly sessions: Map<string, Session>) {}

  static create(): DoubleRatchetWorld {
    const alice = generateIdentity()
    const bob = generateIdentity()
    const store = new MemoryPreKeyStore(bob)
    store.generateOneTimePreKeys(1)
    const a = Session.initiate(alice, store.bundle())
    const { session: b } = Session.respond(bob, store, a.encrypt(enc('hello')))
    a.decrypt(b.encrypt(enc('hello back')))
    return new DoubleRatchetWorld(new Map([['A', a], ['B', b]]))
  }

  private peer(m: string): string {
    return m === 'A' ? 'B' : 'A'
  }

  async send(from: string, text: string): Promise<Rec> {
    const to = this.peer(from)
    const bytes = this.sessions.get(from)!.encrypt(enc(text))
    const rec: Rec = { index: this.wire.length, kind: 'app', from, to, bytes, text }
    this.wire.push(rec)
    if (dec(this.sessions.get(to)!.decrypt(bytes)) !== text) throw new Error('dr world: delivery failed')
    return rec
  }

  async snapshot(member: string): Promise<Snap> {
    return { member, pos: this.wire.length, data: this.sessions.get(member)!.serialize() }
  }

  async reads(snap: Snap, r: Rec): Promise<boolean> {
    const record = snap.data as Uint8Array
    const ad = sessionState(this.sessions.get(snap.member)!).associatedData
    if (r.index < snap.pos) {
      if (r.to !== snap.member) return drReadOutgoing(sessionState(Session.deserialize(record)), r.bytes) !== undefined
      const viaClone = await attempt(() => dec(Session.deserialize(record).decrypt(r.bytes)))
      if (viaClone === r.text) return true
      const viaScan = drScan(record, r.bytes, ad)
      return viaScan !== undefined && dec(viaScan) === r.text
    }
    // Post-compromise: the clone follows every later record addressed to the member.
    const clone = Session.deserialize(record)
    for (const w of this.wire) {
      if (w.index < snap.pos || w.index > r.index) continue
      if (w.to === snap.member) {
        const pt = await attempt(() => dec(clone.decrypt(w.bytes)))
        if (w === r && pt === r.text) return true
      } else if (w === r) {
        const pt = drReadOutgoing(sessionState(clone), w.bytes)
        return pt !== undefined && dec(pt) === r.text
      }
    }
    return false
  }

  async scanReads(snap: Snap, r: Rec): Promise<boolean> {
    const ad = sessionState(this.sessions.get(snap.member)!).associatedData
    const pt = drScan(snap.data as Uint8Array, r.bytes, ad)
    return pt !== undefined && dec(pt) === r.text
  }

  bytesFor(r: Rec): Uint8Array {
    return r.bytes
  }

  async tryReceive(snap: Snap, bytes: Uint8Array): Promise<{ sender: string; text: string } | undefined> {
    const text = await attempt(() => dec(Session.deserialize(snap.data as Uint8Array).decrypt(bytes)))
    return text === undefined ? undefined : { sender: this.peer(snap.member), text }
  }

  async rekey(member: string): Promise<string> {
    await this.send(this.peer(member), `to ${member} before its ratchet step`)
    await this.send(member, `${member} ratchet step`)
    return `${this.peer(member)} sends to ${member}, then ${member} sends under a fresh ratchet key`
  }
}
