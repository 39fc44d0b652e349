/**
 * Coordinator (src/coordinator): n members, each with one two-party session
 * with the hub; the hub relays every message.
 *
 *   message  member c0 submits (one Double Ratchet encrypt), the hub relays it
 *            (one decrypt + n-1 encrypts: O(n) per message), member c1 opens
 *            its copy; all three timed on the same live message.
 *   add      the joiner opens its session from the hub's bundle and sends its
 *            join message; the hub accepts it (X3DH responder) and signs the
 *            membership commit (Ed25519, as src/group's coordinator adapter);
 *            each of the n members verifies the hub's signature.
 *   remove   the hub drops the member's session and signs the commit; each of
 *            the n-1 others verifies it.
 *   update   no group key exists: a member heals its link by a Double Ratchet
 *            round trip with the hub (a DH step each way); nobody else works.
 */
import { getCipherSuite } from '../../src/crypto/index.js'
import { CoordinatorHub } from '../../src/coordinator/hub.js'
import { CoordinatorMember, HUB } from '../../src/coordinator/member.js'
import type { MessageRow, RekeyRow } from '../report/model.js'
import { fmt, progress, sampleParts, sample, timed } from './measure.js'
import { party, type Party } from './parties.js'
import { GROUP_ID, plaintexts, randomPlaintext, type DriverContext, type ProtocolDriver } from './types.js'

const suite = getCipherSuite(3)
/** An SkCommit adding or removing one member is about this size (ids, epoch, group id, member entry). */
const COMMIT_BYTES = 320

interface Hubbed {
  readonly n: number
  readonly hubParty: Party
  readonly hub: CoordinatorHub
  readonly sender: CoordinatorMember
  readonly receiver: CoordinatorMember
  readonly receiverParty: Party
}

export class CoordinatorDriver implements ProtocolDriver {
  readonly id = 'coordinator' as const
  readonly methods = {
    message: 'whole group = member send + hub relay (1 decrypt + n-1 encrypts, measured at n) + (n-1) × receive; the hub sends n-1 distinct ciphertexts.',
    add: 'committer = the hub (accept the joiner\'s session + sign the commit); joiner = session from the hub\'s bundle + join message; whole group = hub + joiner + n × signature verify.',
    remove: 'committer = the hub (drop the session + sign the commit); whole group = hub + (n-1) × signature verify.',
    update: 'a member\'s Double Ratchet round trip with the hub (DH step each way): committer = the member, "each other member" = the hub; nobody else works.',
  }
  private readonly groups = new Map<number, Hubbed>()
  private readonly signer = suite.generateSignatureKeyPair()
  private joinCount = 0

  private group(n: number): Hubbed {
    let g = this.groups.get(n)
    if (g !== undefined) return g
    const t0 = performance.now()
    if (n >= 1024) progress(`coordinator n=${n}: setting up ${n} member sessions with the hub...`)
    const hubParty = party(HUB, 0)
    hubParty.store.generateOneTimePreKeys(n)
    const hub = new CoordinatorHub(GROUP_ID, hubParty.sessions)
    let sender: CoordinatorMember | undefined
    let receiver: CoordinatorMember | undefined
    let receiverParty: Party | undefined
    for (let i = 0; i < n; i++) {
      const p = party(`c${i}`, 0)
      const m = new CoordinatorMember(GROUP_ID, p.id, p.sessions)
      hub.addMember(p.id)
      hub.accept(p.id, m.join(hubParty.store.bundle()))
      if (i === 0) sender = m
      if (i === 1) {
        receiver = m
        receiverParty = p
      }
    }
    // One relay confirms every session (the hub's first message to each member).
    const first = hub.relay('c0', sender!.send(new Uint8Array(8)))
    receiver!.receive(first.deliveries.get('c1')!)
    g = { n, hubParty, hub, sender: sender!, receiver: receiver!, receiverParty: receiverParty! }
    this.groups.set(n, g)
    progress(`coordinator n=${n}: ${n} member sessions set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    return g
  }

  async messages(n: number, sizes: readonly number[], ctx: DriverContext): Promise<MessageRow[]> {
    const g = this.group(n)
    const out: MessageRow[] = []
    for (const size of sizes) {
      const pt = plaintexts(size)
      let overhead = 0
      const [send, relay, recv] = await sampleParts(() => {
        const t0 = performance.now()
        const sub = g.sender.send(pt())
        const t1 = performance.now()
        const rel = g.hub.relay('c0', sub)
        const t2 = performance.now()
        const mine = rel.deliveries.get('c1')!
        g.receiver.receive(mine)
        overhead = mine.length - size
        return [t1 - t0, t2 - t1, performance.now() - t2]
      }, ctx.budget(n))
      const row: MessageRow = {
        protocol: this.id,
        size,
        n,
        sendUs: send!.medianUs,
        receiveUs: recv!.medianUs,
        relayUs: relay!.medianUs,
        overheadBytes: overhead,
        copies: n - 1,
        totalUs: send!.medianUs + relay!.medianUs + (n - 1) * recv!.medianUs,
      }
      out.push(row)
      progress(`coordinator n=${n} message ${size} B: send ${fmt(row.sendUs)}, hub relay ${fmt(relay!.medianUs)}, receive ${fmt(row.receiveUs)}`)
    }
    return out
  }

  async rekey(n: number, ctx: DriverContext): Promise<RekeyRow[]> {
    const g = this.group(n)
    const b = ctx.budget(n)
    const commit = randomPlaintext(COMMIT_BYTES)
    const signature = suite.sign(this.signer.privateKey, commit)
    const verify = await sample(timed(() => undefined, () => suite.verify(this.signer.publicKey, commit, signature)), b)
    g.hubParty.store.generateOneTimePreKeys(b.warmup + Math.min(b.maxSamples, 200) + 2)
    let joinBytes = 0
    const [joiner, hubAdd] = await sampleParts(() => {
      const p = party(`j${this.joinCount++}`, 0)
      const m = new CoordinatorMember(GROUP_ID, p.id, p.sessions)
      const bundle = g.hubParty.store.bundle()
      const t0 = performance.now()
      const join = m.join(bundle)
      const t1 = performance.now()
      g.hub.addMember(p.id)
      g.hub.accept(p.id, join)
      suite.sign(this.signer.privateKey, commit)
      const t2 = performance.now()
      joinBytes = join.length
      g.hub.removeMember(p.id) // untimed: back to n members
      return [t1 - t0, t2 - t1]
    }, b)
    const hubRemove = await sample(
      timed(
        () => {
          const p = party(`r${this.joinCount++}`, 0)
          g.hub.addMember(p.id)
          g.hub.accept(p.id, new CoordinatorMember(GROUP_ID, p.id, p.sessions).join(g.hubParty.store.bundle()))
          return p.id
        },
        (id) => {
          g.hub.removeMember(id)
          suite.sign(this.signer.privateKey, commit)
        },
      ),
      b,
    )
    // update: the receiver's link with the hub, one DH step each way.
    const ping = new Uint8Array(32)
    let rtBytes = 0
    const [member, hubSide] = await sampleParts(() => {
      const t0 = performance.now()
      const up = g.receiverParty.sessions.encrypt(HUB, ping)
      const t1 = performance.now()
      g.hubParty.sessions.decrypt('c1', up)
      const down = g.hubParty.sessions.encrypt('c1', ping)
      const t2 = performance.now()
      g.receiverParty.sessions.decrypt(HUB, down)
      rtBytes = up.length + down.length
      return [t1 - t0 + (performance.now() - t2), t2 - t1]
    }, b)
    const v = verify.medianUs
    const rows: RekeyRow[] = [
      {
        protocol: this.id,
        op: 'add',
        n,
        committerUs: hubAdd!.medianUs,
        receiverUs: v,
        joinerUs: joiner!.medianUs,
        totalUs: hubAdd!.medianUs + joiner!.medianUs + n * v,
        bytes: joinBytes + COMMIT_BYTES,
        method: 'hub and joiner measured at n; verify × n',
      },
      {
        protocol: this.id,
        op: 'remove',
        n,
        committerUs: hubRemove.medianUs,
        receiverUs: v,
        totalUs: hubRemove.medianUs + (n - 1) * v,
        bytes: COMMIT_BYTES,
        method: 'hub measured at n; verify × (n-1)',
      },
      {
        protocol: this.id,
        op: 'update',
        n,
        committerUs: member!.medianUs,
        receiverUs: hubSide!.medianUs,
        totalUs: member!.medianUs + hubSide!.medianUs,
        bytes: rtBytes,
        method: 'one round trip measured at n',
      },
    ]
    progress(`coordinator n=${n} rekey: add (hub) ${fmt(hubAdd!.medianUs)}, remove (hub) ${fmt(hubRemove.medianUs)}, round trip ${fmt(member!.medianUs + hubSide!.medianUs)}`)
    return rows
  }

  release(n: number): void {
    this.groups.delete(n)
  }
}
