/**
 * Hybrid (src/hybrid on MLS, /work/shared/design/HYBRID.md), one driver per
 * rekey mode (copath, pairwise).
 *
 * The hybrid layer runs on the in-memory ratchet tree of the hybrid tests
 * (test/hybrid/harness/memory-tree.ts: real HPKE keys, a real exporter tree)
 * of n members; the MLS layer underneath is the MLS driver's group of n.
 *
 *   message  HybridSession.encrypt, then the MLS send of that frame (sender);
 *            MLS processMessage, then HybridSession.receive (one receiver):
 *            one live message through both layers, in order. Policy: no
 *            time- or count-triggered rekey (rekeys are measured apart); in
 *            pairwise mode the receive-key announcements every 50 messages
 *            stay in, amortized. The same loop also sends and receives the
 *            same plaintext over plain MLS (the MLS driver's fixture, separate
 *            copies of the same states), alternating with the hybrid message
 *            every round, so the overhead over MLS (hybrid - MLS medians,
 *            reported in the method line) compares like with like: same n,
 *            message, heap and load. The rows keep the hybrid medians.
 *   update   one rekey (DATA_REKEY carrying a 64-byte message): the sender
 *            draws r, seals it to log2 n copath nodes (copath) or to the n-1
 *            members (pairwise), steps its root; one receiver opens one entry
 *            and steps. Staged and discarded, so each sample starts from the
 *            same state. bytes = the DATA_REKEY frame minus a DATA frame.
 *   add, remove  the MLS commit (MLS driver's rows at n) plus entering the new
 *            epoch's hybrid state: new epoch state from SafeExportSecret, the
 *            seed-tree path and the first message (measured at n), paid by
 *            every member of the new epoch.
 */
import { resolveDeps } from '../../src/hybrid/deps.js'
import { HybridSession } from '../../src/hybrid/index.js'
import { decodeFrame } from '../../src/hybrid/message.js'
import { resolvePolicy } from '../../src/hybrid/policy.js'
import { stageReceive } from '../../src/hybrid/receive.js'
import { stageSend } from '../../src/hybrid/send.js'
import { newEpochState } from '../../src/hybrid/state.js'
import { MlsGroup } from '../../src/mls/index.js'
import { MemoryTree } from '../../test/hybrid/harness/memory-tree.js'
import type { MessageRow, RekeyRow } from '../report/model.js'
import { fmt, progress, sample, sampleParts } from './measure.js'
import type { MlsDriver } from './mls.js'
import { fanOutRow, plaintexts, randomPlaintext, type DriverContext, type ProtocolDriver } from './types.js'

const QUIET = { rekeyAfterMessages: 2 ** 31, rekeyAfterMs: 2 ** 40 }
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, n)))

const trees = new Map<number, Promise<MemoryTree>>()
function tree(n: number): Promise<MemoryTree> {
  let t = trees.get(n)
  if (t === undefined) {
    t = MemoryTree.build({ leafWidth: pow2(n), members: [...Array(n).keys()], seed: `bench ${n}` })
    trees.set(n, t)
  }
  return t
}

function messageOf(frame: Uint8Array) {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('hybrid bench: not a message frame')
  return d.message
}

export class HybridDriver implements ProtocolDriver {
  readonly id: 'hybrid-copath' | 'hybrid-pairwise'
  readonly methods: { -readonly [K in keyof ProtocolDriver['methods']]: ProtocolDriver['methods'][K] }
  /** Overhead over plain MLS measured in the same loop, µs, by `${n}/${size}`. */
  private readonly paired = new Map<string, { send: number; receive: number }>()
  private readonly messageMethod: string

  constructor(
    readonly kind: 'copath' | 'pairwise',
    private readonly mls: MlsDriver,
  ) {
    this.id = kind === 'copath' ? 'hybrid-copath' : 'hybrid-pairwise'
    const seals = kind === 'copath' ? 'one HPKE seal per copath node (log2 n in a full tree)' : 'one HPKE seal per other member (n-1)'
    this.messageMethod = 'both layers (hybrid frame inside an MLS PrivateMessage); whole group = send + (n-1) × receive.'
    this.methods = {
      message: this.messageMethod,
      add: 'the MLS add (commit, n-1 processes, join) + hybrid epoch entry for each of the n+1 members of the new epoch.',
      remove: 'the MLS remove (commit, n-2 processes) + hybrid epoch entry for each of the n-1 remaining members.',
      update: `a hybrid rekey inside the epoch (no MLS commit): ${seals}; each receiver opens one; whole group = sender + (n-1) × receiver.`,
    }
  }

  /** The message method line, with the paired overhead over plain MLS measured so far. */
  private updateMessageMethod(): void {
    // 1 KiB only (the headline size), one entry per n.
    const parts = [...this.paired].filter(([key]) => key.endsWith('/1024')).map(([key, o]) => `n = ${key.split('/')[0]}: send +${fmt(o.send)}, receive +${fmt(o.receive)}`)
    if (parts.length === 0) return
    this.methods.message =
      `${this.messageMethod} Overhead over plain MLS, measured in the same loop (plain MLS send and receive of the same plaintext on copies ` +
      `of the same MLS states, alternating with the hybrid message every round; hybrid - MLS medians), 1 KiB: ${parts.join('; ')}.`
  }

  private policy() {
    return { ...QUIET, rekeyMode: this.kind }
  }

  async messages(n: number, sizes: readonly number[], ctx: DriverContext): Promise<MessageRow[]> {
    const t = await tree(n)
    const f = await this.mls.fixture(n)
    const out: MessageRow[] = []
    for (const size of sizes) {
      const pt = plaintexts(size)
      const a = HybridSession.create(t.view(0), { policy: this.policy() })
      const b = HybridSession.create(t.view(1), { policy: this.policy() })
      const s = MlsGroup.deserialize(f.alice.serialize())
      const r = MlsGroup.deserialize(f.bobState)
      const ps = MlsGroup.deserialize(f.alice.serialize())
      const pr = MlsGroup.deserialize(f.bobState)
      let overhead = 0
      let round = 0
      const [send, recv, plainSend, plainRecv] = await sampleParts(async () => {
        const hybrid = async (): Promise<[number, number]> => {
          const t0 = performance.now()
          const m = s.send(await a.encrypt(pt()))
          const t1 = performance.now()
          const got = await r.processMessage(m)
          if (got.content.kind !== 'application') throw new Error('hybrid bench: not application data')
          const res = await b.receive(0, t.epoch, got.content.data)
          const t2 = performance.now()
          if (res.kind !== 'messages' || res.messages.length !== 1) throw new Error(`hybrid bench: receive gave ${res.kind}`)
          overhead = m.length - size
          return [t1 - t0, t2 - t1]
        }
        const plain = async (): Promise<[number, number]> => {
          const t0 = performance.now()
          const m = ps.send(pt())
          const t1 = performance.now()
          await pr.processMessage(m)
          return [t1 - t0, performance.now() - t1]
        }
        // Alternate which protocol goes first, so neither always runs right after the other's GC.
        if (round++ % 2 === 0) {
          const h = await hybrid()
          return [...h, ...(await plain())]
        }
        const p = await plain()
        return [...(await hybrid()), ...p]
      }, ctx.budget(n))
      a.close()
      b.close()
      for (const g of [s, r, ps, pr]) g.destroy()
      this.paired.set(`${n}/${size}`, { send: send!.medianUs - plainSend!.medianUs, receive: recv!.medianUs - plainRecv!.medianUs })
      this.updateMessageMethod()
      const row = fanOutRow(this.id, n, size, send!.medianUs, recv!.medianUs, overhead)
      out.push(row)
      progress(
        `${this.id} n=${n} message ${size} B: send ${fmt(row.sendUs)}, receive ${fmt(row.receiveUs)}, +${overhead} B; ` +
          `over plain MLS in the same loop: send +${fmt(send!.medianUs - plainSend!.medianUs)}, receive +${fmt(recv!.medianUs - plainRecv!.medianUs)}`,
      )
    }
    return out
  }

  async rekey(n: number, ctx: DriverContext): Promise<RekeyRow[]> {
    const t = await tree(n)
    const b = ctx.budget(n)
    const deps = resolveDeps()
    const pt = randomPlaintext(64)
    const rekeyPolicy = resolvePolicy({ rekeyMode: this.kind, rekeyAfterMessages: 1, minRekeyIntervalMs: 0 })
    const quiet = resolvePolicy({ ...QUIET, rekeyMode: this.kind })
    const sender = newEpochState(t.view(0), deps.now())
    const receiver = newEpochState(t.view(n - 1), deps.now())
    // One DATA message first: both sides hold chain 0, the state a rekey starts from.
    const first = await stageSend(sender, quiet, deps, pt)
    first.apply()
    ;(await stageReceive(receiver, rekeyPolicy, 0, messageOf(first.frame), first.frame, deps.now())).apply()
    const sampleRekey = await stageSend(sender, rekeyPolicy, deps, pt)
    sampleRekey.discard()
    const rekeyMsg = messageOf(sampleRekey.frame)
    if (rekeyMsg.copath.length + rekeyMsg.pairwise.length === 0) throw new Error('hybrid bench: rekey without entries')
    const create = await sample(async () => {
      const t0 = performance.now()
      const st = await stageSend(sender, rekeyPolicy, deps, pt)
      const d = performance.now() - t0
      st.discard()
      return d
    }, b)
    const process = await sample(async () => {
      const t0 = performance.now()
      const st = await stageReceive(receiver, rekeyPolicy, 0, rekeyMsg, sampleRekey.frame, deps.now())
      const d = performance.now() - t0
      st.discard()
      return d
    }, b)
    // Entering an epoch: state from SafeExportSecret, then the first message (seed-tree path, chain).
    let leaf = 0
    const entry = await sample(async () => {
      const view = t.view(leaf)
      leaf = (leaf + 1) % n
      const t0 = performance.now()
      const s = HybridSession.create(view, { policy: this.policy() })
      await s.encrypt(pt)
      const d = performance.now() - t0
      s.close()
      return d
    }, b)
    const e = entry.medianUs
    const rows: RekeyRow[] = [
      {
        protocol: this.id,
        op: 'update',
        n,
        committerUs: create.medianUs,
        receiverUs: process.medianUs,
        totalUs: create.medianUs + (n - 1) * process.medianUs,
        bytes: sampleRekey.frame.length - first.frame.length,
        method: 'sender and one receiver measured at n; receiver × (n-1)',
      },
    ]
    const add = this.mls.get('add', n)
    if (add !== undefined) {
      rows.push({
        protocol: this.id,
        op: 'add',
        n,
        committerUs: add.committerUs + e,
        receiverUs: add.receiverUs + e,
        joinerUs: (add.joinerUs ?? 0) + e,
        totalUs: add.totalUs + (n + 1) * e,
        ...(add.bytes === undefined ? {} : { bytes: add.bytes }),
        method: 'MLS rows + epoch entry (measured at n) × (n+1)',
      })
    }
    const remove = this.mls.get('remove', n)
    if (remove !== undefined) {
      rows.push({
        protocol: this.id,
        op: 'remove',
        n,
        committerUs: remove.committerUs + e,
        receiverUs: remove.receiverUs + e,
        totalUs: remove.totalUs + (n - 1) * e,
        ...(remove.bytes === undefined ? {} : { bytes: remove.bytes }),
        method: 'MLS rows + epoch entry (measured at n) × (n-1)',
      })
    }
    progress(`${this.id} n=${n} rekey: create ${fmt(create.medianUs)}, process ${fmt(process.medianUs)}, epoch entry ${fmt(e)}`)
    return rows
  }

  release(n: number): void {
    trees.delete(n)
  }
}
