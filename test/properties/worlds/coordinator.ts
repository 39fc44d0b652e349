/**
 * Coordinator world (src/coordinator): a hub and members m0..m(n-1), each with
 * one two-party session with the hub. A group message is a submission (member
 * -> hub, the 'app' record) and one delivery per other member ('control'
 * records, extra.of = the submission's index).
 *   snapshot(X)  X's session records (its session with the hub)
 *   rekey(X)     another member's message reaches X, then X sends: X's session with
 *                the hub takes a DH ratchet step in each direction
 */
import { CoordinatorHub, CoordinatorMember, HUB } from '../../../src/coordinator/index.js'
import { decodeDelivery, decodeSubmit, encodeDelivery } from '../../../src/coordinator/wire.js'
import { generateIdentity, type IdentityKeyPair } from '../../../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../../../src/ratchet/prekeys.js'
import { PairwiseSessions } from '../../../src/ratchet/sessions.js'
import { attempt, dec, enc, type Rec, type Snap, type World } from '../world.js'
import { drReadOutgoing, drScan, sessionState } from './dr-attack.js'

export const COORD_GROUP_ID = enc('properties-coordinator-group')

interface Party {
  readonly identity: IdentityKeyPair
  readonly store: MemoryPreKeyStore
  readonly sessions: PairwiseSessions
  readonly member: CoordinatorMember
}

export class CoordinatorWorld implements World {
  readonly wire: Rec[] = []
  members: string[]
  /** Every plaintext the hub saw, in order (what a compromised hub reads). */
  readonly hubSaw: string[] = []

  private constructor(
    readonly hub: CoordinatorHub,
    readonly hubSessions: PairwiseSessions,
    private readonly parties: Map<string, Party>,
  ) {
    this.members = [...parties.keys()]
  }

  static create(n = 4): CoordinatorWorld {
    const hubIdentity = generateIdentity()
    const hubStore = new MemoryPreKeyStore(hubIdentity)
    hubStore.generateOneTimePreKeys(n + 2)
    const hubSessions = new PairwiseSessions(hubIdentity, hubStore)
    const hub = new CoordinatorHub(COORD_GROUP_ID, hubSessions)
    const parties = new Map<string, Party>()
    for (let i = 0; i < n; i++) {
      const id = `m${i}`
      const identity = generateIdentity()
      const store = new MemoryPreKeyStore(identity)
      const sessions = new PairwiseSessions(identity, store)
      const member = new CoordinatorMember(COORD_GROUP_ID, id, sessions)
      hub.addMember(id)
      hub.accept(id, member.join(hubStore.bundle()))
      parties.set(id, { identity, store, sessions, member })
    }
    return new CoordinatorWorld(hub, hubSessions, parties)
  }

  async send(from: string, text: string): Promise<Rec> {
    const bytes = this.parties.get(from)!.member.send(enc(text))
    const rec: Rec = { index: this.wire.length, kind: 'app', from, to: HUB, bytes, text }
    this.wire.push(rec)
    const relayed = this.hub.relay(from, bytes)
    this.hubSaw.push(dec(relayed.payload))
    for (const [to, d] of relayed.deliveries) {
      this.wire.push({ index: this.wire.length, kind: 'control', from: HUB, to, bytes: d, extra: { of: rec.index } })
      const got = this.parties.get(to)!.member.receive(d)
      if (dec(got.plaintext) !== text || got.sender !== from) throw new Error('coordinator world: delivery failed')
    }
    return rec
  }

  async snapshot(member: string): Promise<Snap> {
    return { member, pos: this.wire.length, data: this.parties.get(member)!.sessions.exportRecords() }
  }

  private clone(snap: Snap): { member: CoordinatorMember; sessions: PairwiseSessions } {
    const p = this.parties.get(snap.member)!
    const sessions = PairwiseSessions.restore(p.identity, p.store, snap.data as Map<string, Uint8Array>)
    return { member: new CoordinatorMember(COORD_GROUP_ID, snap.member, sessions), sessions }
  }

  async reads(snap: Snap, r: Rec): Promise<boolean> {
    const record = (snap.data as Map<string, Uint8Array>).get(HUB)!
    const ad = sessionState(this.parties.get(snap.member)!.sessions.session(HUB)!).associatedData
    const delivery = this.wire.find((w) => w.to === snap.member && (w.extra as { of?: number } | undefined)?.of === r.index)
    const payloadOf = (pt: Uint8Array | undefined, submit: boolean): string | undefined => {
      if (pt === undefined) return undefined
      try {
        return dec(submit ? decodeSubmit(pt).payload : decodeDelivery(pt).payload)
      } catch {
        return undefined
      }
    }
    if (r.index < snap.pos) {
      if (r.from === snap.member) return payloadOf(drReadOutgoing(sessionState(this.clone(snap).sessions.session(HUB)!), r.bytes), true) === r.text
      if (delivery === undefined) return false
      const viaClone = await attempt(() => dec(this.clone(snap).member.receive(delivery.bytes).plaintext))
      return viaClone === r.text || payloadOf(drScan(record, delivery.bytes, ad), false) === r.text
    }
    const c = this.clone(snap)
    for (const w of this.wire) {
      if (w.index < snap.pos) continue
      if (w === r && r.from === snap.member) {
        return payloadOf(drReadOutgoing(sessionState(c.sessions.session(HUB)!), r.bytes), true) === r.text
      }
      if (w.to === snap.member) {
        const pt = await attempt(() => dec(c.member.receive(w.bytes).plaintext))
        if (w === delivery) return pt === r.text
      }
    }
    return false
  }

  async scanReads(snap: Snap, r: Rec): Promise<boolean> {
    const record = (snap.data as Map<string, Uint8Array>).get(HUB)!
    const ad = sessionState(this.parties.get(snap.member)!.sessions.session(HUB)!).associatedData
    const pt = drScan(record, this.bytesFor(r, snap.member), ad)
    return pt !== undefined && dec(decodeDelivery(pt).payload) === r.text
  }

  bytesFor(r: Rec, member: string): Uint8Array {
    return this.wire.find((w) => w.to === member && (w.extra as { of?: number } | undefined)?.of === r.index)!.bytes
  }

  async tryReceive(snap: Snap, bytes: Uint8Array): Promise<{ sender: string; text: string } | undefined> {
    const got = await attempt(() => this.clone(snap).member.receive(bytes))
    return got === undefined ? undefined : { sender: got.sender, text: dec(got.plaintext) }
  }

  /** A member has no field to forge: it submits, over its own session, a payload claiming another sender. */
  async forgeAs(by: string, victim: string, text: string, to: string): Promise<Uint8Array> {
    const rec = await this.send(by, `${victim}: ${text}`)
    return this.bytesFor(rec, to)
  }

  async rekey(member: string): Promise<string> {
    const other = this.members.find((m) => m !== member)!
    await this.send(other, `to ${member} before its ratchet step`)
    await this.send(member, `${member} ratchet step`)
    return `a message from ${other} reaches ${member} through the hub, then ${member} sends: its hub session ratchets`
  }

  async remove(member: string, by: string): Promise<string> {
    this.hub.removeMember(member)
    this.members = this.members.filter((m) => m !== member)
    return `the hub removes ${member} (asked by ${by}): it stops relaying to it and deletes the session`
  }

  /** A hub forging a message from `claimed` to `to` (the hub is trusted for authenticity). */
  forgeFromHub(claimed: string, to: string, text: string): string | undefined {
    const d = this.hubSessions.encrypt(to, encodeDelivery({ version: 1, groupId: COORD_GROUP_ID, sender: claimed, seq: 1_000_000n, payload: enc(text) }))
    try {
      const got = this.parties.get(to)!.member.receive(d)
      return `${got.sender}: ${dec(got.plaintext)}`
    } catch {
      return undefined
    }
  }

  member(id: string): CoordinatorMember {
    return this.parties.get(id)!.member
  }
}
