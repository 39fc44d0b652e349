/**
 * Sender keys (src/senderkeys over src/ratchet sessions).
 *
 * Group of n, built as a star: member m0 holds a confirmed two-party session
 * with each of the n-1 others (what its rotations need); m1, the measured
 * receiver, holds m0's sender key. Every other pair's sessions exist in a
 * real group but cost the same per message, so they are not built.
 *
 *   message  m0.encrypt (chain step, keys, AEAD, Ed25519 signature) and
 *            m1.decrypt of the same live message, in order.
 *   update   m0 rotates and sends its new key to n-1 members over their
 *            sessions (rotateAndDistribute, measured at n); each receiver
 *            decrypts and installs one distribution (unit cost).
 *   remove   every one of the n-1 remaining members rotates and sends to the
 *            n-2 others, and receives n-2 new keys: the committer's removeMember
 *            is measured at n, the receives are (n-2) x the unit cost. Every
 *            session message here is a chain step (no DH ratchet turn), exactly
 *            the work libsignal's chain-step model counts (bench/peers/libsignal.ts);
 *            the libsignal section adds the variant with one DH turn per pair
 *            (unit dhTurnUs), which bench/senderkeys.ts measures directly.
 *   add      the joiner opens a session with each of the n-1 members, sends
 *            them its key and receives theirs; each existing member sends
 *            its key once and receives one (unit costs x counts).
 * Unit costs are measured on a confirmed pair in the same run.
 */
import { SenderKeyGroup } from '../../src/senderkeys/group.js'
import { newOwnState } from '../../src/senderkeys/state.js'
import type { MessageRow, RekeyRow } from '../report/model.js'
import { fmt, progress, sample, sampleParts, timed, type Stat } from './measure.js'
import { connect, party, type Party } from './parties.js'
import { fanOutRow, GROUP_ID, plaintexts, type DriverContext, type ProtocolDriver } from './types.js'

interface Star {
  readonly n: number
  readonly ids: string[]
  readonly center: Party
  readonly g0: SenderKeyGroup
  readonly g1: SenderKeyGroup
}

interface Units {
  readonly rotate: Stat
  /** One distribution encrypted over an established session. */
  readonly enc: Stat
  /** One distribution decrypted and installed. */
  readonly recv: Stat
  /** A session opened from a bundle and its first message processed (both sides). */
  readonly session: Stat
  /**
   * One distribution that takes a Double Ratchet DH step on both sides (the
   * direction of the pair changed): send (without the rotation) + receive.
   */
  readonly dhTurnUs: number
  readonly distBytes: number
}

/**
 * Untimed calls before sampling: the sampler's own warm-up is a few
 * iterations, which leaves these paths partly unoptimised by the JIT (the
 * first group size measured came out ~1.4x slower than the same code later
 * in the run). The pause after lets V8's background compiler install the
 * optimised code, which on a loaded machine can lag the calls. ~0.5 s at most.
 */
async function warm(f: () => unknown, iterations = 1000, maxMs = 400): Promise<void> {
  const t0 = performance.now()
  for (let i = 0; i < iterations && performance.now() - t0 < maxMs; i++) f()
  await new Promise((r) => setTimeout(r, 20))
}

export class SenderKeysDriver implements ProtocolDriver {
  readonly id = 'sender-keys' as const
  readonly methods = {
    message: 'whole group = send + (n-1) × receive (the delivery service fans one ciphertext out).',
    add:
      'committer = the joiner: (n-1) × (session set-up + send its key + receive a key); each existing member: send its key + receive the joiner\'s; ' +
      'whole group = joiner + (n-1) × member. Unit costs measured on one pair.',
    remove:
      'every remaining member rotates, sends its key to the n-2 others and receives theirs: per member = removeMember (measured at n) + (n-2) × receive; ' +
      'whole group = (n-1) × per member. O(n) per member, O(n²) in all. Every session message counted as a chain step (no DH ratchet turn), as in ' +
      'libsignal\'s model; with one DH turn per pair of members (everyone sends before reading) see the libsignal comparison.',
    update: 'committer = rotateAndDistribute to n-1 (measured at n); each other member receives one key; whole group = committer + (n-1) × receive.',
  }
  private readonly stars = new Map<number, Star>()
  private units: Units | undefined

  private star(n: number): Star {
    let s = this.stars.get(n)
    if (s !== undefined) return s
    const t0 = performance.now()
    if (n >= 1024) progress(`sender-keys n=${n}: setting up ${n - 1} two-party sessions...`)
    const ids = Array.from({ length: n }, (_, i) => `m${i}`)
    const center = party('m0', 0)
    let receiver: Party | undefined
    for (let i = 1; i < n; i++) {
      const p = party(ids[i]!)
      connect(center, p)
      if (i === 1) receiver = p
    }
    const g0 = new SenderKeyGroup(GROUP_ID, 'm0', ids, center.sessions)
    const g1 = new SenderKeyGroup(GROUP_ID, 'm1', ids, receiver!.sessions)
    g1.receiveDistribution('m0', g0.distribute(['m1']).get('m1')!)
    s = { n, ids, center, g0, g1 }
    this.stars.set(n, s)
    progress(`sender-keys n=${n}: ${n - 1} sessions set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    return s
  }

  private async unitCosts(ctx: DriverContext): Promise<Units> {
    if (this.units !== undefined) return this.units
    const b = ctx.budget(2)
    const pair = this.star(2)
    // A second pair whose m0 rotates for every received-distribution sample.
    const x = party('m0', 0)
    const y = party('m1')
    connect(x, y)
    const gx = new SenderKeyGroup(GROUP_ID, 'm0', ['m0', 'm1'], x.sessions)
    const gy = new SenderKeyGroup(GROUP_ID, 'm1', ['m0', 'm1'], y.sessions)
    await warm(() => newOwnState('m0'))
    const rotate = await sample(timed(() => undefined, () => newOwnState('m0')), b)
    await warm(() => pair.g0.distribute(['m1']))
    const enc = await sample(timed(() => undefined, () => pair.g0.distribute(['m1'])), b)
    const distBytes = pair.g0.distribute(['m1']).get('m1')!.length
    await warm(() => gy.receiveDistribution('m0', gx.rotateAndDistribute().get('m1')!))
    const recv = await sample(
      timed(
        () => gx.rotateAndDistribute().get('m1')!,
        (m) => gy.receiveDistribution('m0', m),
      ),
      b,
    )
    const a = party('a', 0)
    let k = 0
    const session = await sample(
      timed(
        () => party(`b${k++}`),
        (p) => {
          a.sessions.connect(p.id, p.store.bundle())
          p.sessions.decrypt('a', a.sessions.encrypt(p.id, new Uint8Array(8)))
        },
      ),
      b,
    )
    // DH turns: the direction alternates, so every send and every receive takes a DH ratchet step.
    const ends = [
      { g: gx, id: 'm0' },
      { g: gy, id: 'm1' },
    ] as const
    let turn = 0
    const pingPong = (): number[] => {
      const [from, to] = turn++ % 2 === 0 ? [ends[0], ends[1]] : [ends[1], ends[0]]
      const t0 = performance.now()
      const m = from.g.rotateAndDistribute().get(to.id)!
      const t1 = performance.now()
      to.g.receiveDistribution(from.id, m)
      return [t1 - t0, performance.now() - t1]
    }
    await warm(pingPong, 200)
    const [ppSend, ppRecv] = await sampleParts(pingPong, b)
    const dhTurnUs = ppSend!.medianUs - rotate.medianUs + ppRecv!.medianUs
    this.units = { rotate, enc, recv, session, dhTurnUs, distBytes }
    progress(
      `sender-keys units: rotate ${fmt(rotate.medianUs)}, send key ${fmt(enc.medianUs)}, receive key ${fmt(recv.medianUs)}, ` +
        `send+receive with DH steps ${fmt(dhTurnUs)}, session set-up ${fmt(session.medianUs)}`,
    )
    return this.units
  }

  async messages(n: number, sizes: readonly number[], ctx: DriverContext): Promise<MessageRow[]> {
    const s = this.star(n)
    const out: MessageRow[] = []
    for (const size of sizes) {
      const pt = plaintexts(size)
      await warm(() => s.g1.decrypt(s.g0.encrypt(pt())))
      let overhead = 0
      const [send, recv] = await sampleParts(() => {
        const t0 = performance.now()
        const ct = s.g0.encrypt(pt())
        const t1 = performance.now()
        s.g1.decrypt(ct)
        overhead = ct.length - size
        return [t1 - t0, performance.now() - t1]
      }, ctx.budget(n))
      const row = fanOutRow(this.id, n, size, send!.medianUs, recv!.medianUs, overhead)
      out.push(row)
      progress(`sender-keys n=${n} message ${size} B: send ${fmt(row.sendUs)}, receive ${fmt(row.receiveUs)}, +${overhead} B`)
    }
    return out
  }

  async rekey(n: number, ctx: DriverContext): Promise<RekeyRow[]> {
    const u = await this.unitCosts(ctx)
    const s = this.star(n)
    const b = ctx.budget(n)
    let bytes = 0
    const update = await sample(async () => {
      const t0 = performance.now()
      const out = s.g0.rotateAndDistribute()
      const t = performance.now() - t0
      bytes = [...out.values()].reduce((a, m) => a + m.length, 0)
      return t
    }, b)
    const last = s.ids[n - 1]!
    await warm(() => {
      s.g0.removeMember(last)
      s.g0.addMember(last)
    }, 20, 100)
    let removeBytes = 0
    const removeCommitter = await sample(async () => {
      const t0 = performance.now()
      const out = s.g0.removeMember(last)
      const t = performance.now() - t0
      removeBytes = [...out.values()].reduce((a, m) => a + m.length, 0)
      s.g0.addMember(last) // untimed: back to n members for the next sample
      return t
    }, b)
    const r = u.recv.medianUs
    const e = u.enc.medianUs
    const perRemaining = removeCommitter.medianUs + (n - 2) * r
    const joiner = (n - 1) * (u.session.medianUs + e + r)
    const rows: RekeyRow[] = [
      {
        protocol: this.id,
        op: 'add',
        n,
        committerUs: joiner,
        receiverUs: e + r,
        totalUs: joiner + (n - 1) * (e + r),
        bytes: (n - 1) * u.distBytes,
        method: 'unit costs × counts',
      },
      {
        protocol: this.id,
        op: 'remove',
        n,
        committerUs: perRemaining,
        receiverUs: perRemaining,
        totalUs: (n - 1) * perRemaining,
        bytes: removeBytes,
        method: `removeMember measured at n; + (n-2) receives; × (n-1) members (chain steps, no DH turn)`,
      },
      {
        protocol: this.id,
        op: 'update',
        n,
        committerUs: update.medianUs,
        receiverUs: r,
        totalUs: update.medianUs + (n - 1) * r,
        bytes,
        method: 'committer measured at n; receiver unit × (n-1)',
      },
    ]
    progress(`sender-keys n=${n} rekey: update ${fmt(update.medianUs)}, remove (per member) ${fmt(perRemaining)}, add (joiner) ${fmt(joiner)}`)
    return rows
  }

  /** Unit costs for the libsignal comparison. */
  async unitsFor(ctx: DriverContext): Promise<Units> {
    return this.unitCosts(ctx)
  }

  release(n: number): void {
    if (n !== 2) this.stars.delete(n)
  }
}
