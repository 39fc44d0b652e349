/**
 * MLS (src/mls, RFC 9420) suite 0x0003 through MlsGroup, on the group
 * bench/mls.ts builds (mlsFixture: one Commit adding n-1 KeyPackages, then
 * path commits so the committer's copath is populated, as in an active
 * group's steady state; alice = leaf 0, bob = leaf 1).
 *
 *   message  a copy of alice sends, a copy of bob processes the same live
 *            message, in order.
 *   add      alice commits one Add (no path, Welcome included); bob processes
 *            it; the newcomer joins from the Welcome.
 *   remove   alice removes the last leaf (commit with path); bob processes it.
 *   update   alice commits an empty commit with a path; bob processes it.
 * Commits are created and discarded, so each sample starts from the same
 * state. Each "process" sample takes the next of the fixture's distinct
 * Commits of that kind, on a fresh copy of bob brought to the condition of a
 * running client first (untimed): loaded, then a Commit of another kind
 * staged and rejected, as bench/mls.ts's "process *" rows (its header says
 * why; its "process update, just loaded" row keeps the cold case). One
 * receiver is measured and multiplied by the number of members.
 */
import { MlsGroup } from '../../src/mls/index.js'
import { mlsFixture, type MlsFixture } from '../mls.js'
import type { MessageRow, RekeyOp, RekeyRow } from '../report/model.js'
import { fmt, progress, sample, sampleParts, timed, type Stat } from './measure.js'
import { fanOutRow, plaintexts, type DriverContext, type ProtocolDriver } from './types.js'

export class MlsDriver implements ProtocolDriver {
  readonly id = 'mls' as const
  readonly methods = {
    message: 'whole group = send + (n-1) × receive (the delivery service fans one ciphertext out).',
    add: 'committer = Add commit + Welcome; each other member processes the commit; joiner = join from the Welcome; whole group = commit + (n-1) × process + join.',
    remove: 'committer = Remove commit with path; whole group = commit + (n-2) × process.',
    update: 'committer = empty commit with path; whole group = commit + (n-1) × process.',
  }
  /** Rows by `${op}/${n}`, for the hybrid drivers (MLS commits underneath). */
  readonly measured = new Map<string, RekeyRow>()

  private readonly announced = new Set<number>()

  fixture(n: number): Promise<MlsFixture> {
    if (!this.announced.has(n)) {
      this.announced.add(n)
      if (n >= 128) progress(`mls n=${n}: building the group (${n - 1} KeyPackages in one Add commit, then path commits; minutes at n = 10000)...`)
    }
    return mlsFixture(n)
  }

  async messages(n: number, sizes: readonly number[], ctx: DriverContext): Promise<MessageRow[]> {
    const f = await this.fixture(n)
    const out: MessageRow[] = []
    for (const size of sizes) {
      const pt = plaintexts(size)
      const s = MlsGroup.deserialize(f.alice.serialize())
      const r = MlsGroup.deserialize(f.bobState)
      let overhead = 0
      const [send, recv] = await sampleParts(async () => {
        const t0 = performance.now()
        const m = s.send(pt())
        const t1 = performance.now()
        await r.processMessage(m)
        overhead = m.length - size
        return [t1 - t0, performance.now() - t1]
      }, ctx.budget(n))
      s.destroy()
      r.destroy()
      const row = fanOutRow(this.id, n, size, send!.medianUs, recv!.medianUs, overhead)
      out.push(row)
      progress(`mls n=${n} message ${size} B: send ${fmt(row.sendUs)}, receive ${fmt(row.receiveUs)}, +${overhead} B`)
    }
    return out
  }

  /** bob processes `mine[i]` after rejecting `other[i]` (see the header). */
  private async process(f: MlsFixture, mine: readonly Uint8Array[], other: readonly Uint8Array[], ctx: DriverContext): Promise<Stat> {
    let k = 0
    return sample(async () => {
      const i = k++
      const g = MlsGroup.deserialize(f.bobState)
      ;(await g.stageMessage(other[i % other.length]!)).reject()
      const t0 = performance.now()
      await g.processMessage(mine[i % mine.length]!)
      const t = performance.now() - t0
      g.destroy()
      return t
    }, ctx.budget(f.n))
  }

  async rekey(n: number, ctx: DriverContext): Promise<RekeyRow[]> {
    const f = await this.fixture(n)
    const b = ctx.budget(n)
    const { alice } = f
    const commitStat = (opts: Parameters<MlsGroup['commit']>[0]) =>
      sample(
        timed(
          () => undefined,
          async () => {
            await alice.commit(opts)
            alice.discardPendingCommit()
          },
        ),
        b,
      )
    const addOpts = { add: [f.newcomer.message], path: 'when-required' as const }
    const addOut = await alice.commit(addOpts)
    alice.discardPendingCommit()
    const commitAdd = await commitStat(addOpts)
    const processAdd = await this.process(f, f.commits.add, f.commits.update, ctx)
    const join = await sample(
      timed(
        () => undefined,
        async () => {
          const g = await MlsGroup.join({ welcome: f.addWelcome, keyPackage: { value: f.newcomer.bundle.keyPackage, bytes: f.newcomer.bundle.bytes }, secrets: f.newcomer.bundle })
          g.destroy()
        },
      ),
      b,
    )
    const commitUpdate = await commitStat({})
    const processUpdate = await this.process(f, f.commits.update, f.commits.remove.length > 0 ? f.commits.remove : f.commits.add, ctx)
    const rows: RekeyRow[] = [
      {
        protocol: this.id,
        op: 'add',
        n,
        committerUs: commitAdd.medianUs,
        receiverUs: processAdd.medianUs,
        joinerUs: join.medianUs,
        totalUs: commitAdd.medianUs + (n - 1) * processAdd.medianUs + join.medianUs,
        bytes: addOut.commit.length + (addOut.welcome?.length ?? 0),
        method: n > 2 ? 'committer, one receiver, joiner measured at n; receiver × (n-1)' : 'measured at n',
      },
    ]
    if (f.removeCommit !== undefined) {
      const commitRemove = await commitStat({ remove: [n - 1] })
      const processRemove = await this.process(f, f.commits.remove, f.commits.update, ctx)
      rows.push({
        protocol: this.id,
        op: 'remove',
        n,
        committerUs: commitRemove.medianUs,
        receiverUs: processRemove.medianUs,
        totalUs: commitRemove.medianUs + (n - 2) * processRemove.medianUs,
        bytes: f.removeCommit.length,
        method: 'committer and one receiver measured at n; receiver × (n-2)',
      })
    }
    rows.push({
      protocol: this.id,
      op: 'update',
      n,
      committerUs: commitUpdate.medianUs,
      receiverUs: processUpdate.medianUs,
      totalUs: commitUpdate.medianUs + (n - 1) * processUpdate.medianUs,
      bytes: f.updateCommit.length,
      method: 'committer and one receiver measured at n; receiver × (n-1)',
    })
    for (const r of rows) this.measured.set(`${r.op}/${n}`, r)
    progress(`mls n=${n} rekey: ${rows.map((r) => `${r.op} ${fmt(r.committerUs)} / ${fmt(r.receiverUs)}`).join(', ')}`)
    return rows
  }

  get(op: RekeyOp, n: number): RekeyRow | undefined {
    return this.measured.get(`${op}/${n}`)
  }

  release(): void {
    // bench/mls.ts owns the fixture cache (shared with the mls suite).
  }
}
