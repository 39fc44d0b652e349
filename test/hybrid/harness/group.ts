/**
 * A simulated group of HybridSessions over one MemoryTree, with a shared
 * manual clock, a wire recorder (every frame sent, in order), a log of every
 * rekey secret r (captured at the HPKE seal hook, for the deletion audit's
 * oracle) and, per member, the wire records it has processed.
 */
import type { CipherSuite } from '../../../src/crypto/index.js'
import { DEFAULT_DEPS, HybridSession, decodeFrame, type HybridOptions, type ReceiveResult } from '../../../src/hybrid/index.js'
import type { HybridPolicy } from '../../../src/hybrid/policy.js'
import type { HybridMessage } from '../../../src/proto/hybrid.js'
import { MemoryTree, type TreeSpec } from './memory-tree.js'

export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

export interface WireRecord {
  readonly index: number
  readonly sender: number
  readonly epoch: bigint
  readonly frame: Uint8Array
  readonly message: HybridMessage
  readonly label: string
  readonly plaintext: Uint8Array
}

export function parseMessage(frame: Uint8Array): HybridMessage {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('not a message')
  return d.message
}

/** (sender, step) of a RekeyContext (group_id<V> || uint64 epoch || uint32 sender || uint32 step || uint32 pn ...). */
function rekeyContextIds(ctx: Uint8Array): { sender: number; step: number } {
  const first = ctx[0]!
  const vlen = first >> 6 === 0 ? 1 : first >> 6 === 1 ? 2 : 4
  const glen = vlen === 1 ? first : vlen === 2 ? ((first & 0x3f) << 8) | ctx[1]! : 0
  const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength)
  const p = vlen + glen + 8
  return { sender: dv.getUint32(p), step: dv.getUint32(p + 4) }
}

export class SimGroup {
  readonly wire: WireRecord[] = []
  /** member -> wire indices it encrypted or decrypted. */
  readonly processed = new Map<number, Set<number>>()

  private constructor(
    readonly tree: MemoryTree,
    readonly clock: ManualClock,
    readonly sessions: Map<number, HybridSession>,
    readonly options: HybridOptions,
    /** `${sender}:${step}` -> r of that rekey (filled by the seal hook). */
    readonly rLog: Map<string, Uint8Array>,
  ) {}

  static async create(
    spec: TreeSpec,
    policy: Partial<HybridPolicy> = {},
    clock = new ManualClock(),
    wrapSuite?: (leaf: number, suite: CipherSuite) => CipherSuite,
  ): Promise<SimGroup> {
    const tree = await MemoryTree.build(spec)
    const rLog = new Map<string, Uint8Array>()
    const options: HybridOptions = {
      policy,
      deps: {
        now: clock.now,
        encryptWithLabel: async (suite, pk, label, ctx, pt) => {
          const id = rekeyContextIds(ctx)
          rLog.set(`${id.sender}:${id.step}`, pt.slice())
          return DEFAULT_DEPS.encryptWithLabel(suite, pk, label, ctx, pt)
        },
      },
    }
    const sessions = new Map<number, HybridSession>()
    for (const leaf of tree.memberList) {
      const suite = wrapSuite === undefined ? tree.suite : wrapSuite(leaf, tree.suite)
      sessions.set(leaf, HybridSession.create(tree.view(leaf, suite), options))
    }
    return new SimGroup(tree, clock, sessions, options, rLog)
  }

  member(leaf: number): HybridSession {
    const s = this.sessions.get(leaf)
    if (s === undefined) throw new Error(`no member ${leaf}`)
    return s
  }

  private mark(leaf: number, index: number): void {
    let s = this.processed.get(leaf)
    if (s === undefined) this.processed.set(leaf, (s = new Set()))
    s.add(index)
  }

  /** `from` encrypts; the frame is recorded but not delivered. */
  async send(from: number, text: string): Promise<WireRecord> {
    const plaintext = new TextEncoder().encode(text)
    const frame = await this.member(from).encrypt(plaintext)
    const rec = { index: this.wire.length, sender: from, epoch: this.tree.epoch, frame, message: parseMessage(frame), label: text, plaintext }
    this.wire.push(rec)
    this.mark(from, rec.index)
    return rec
  }

  async deliver(rec: WireRecord, to: number): Promise<ReceiveResult> {
    const r = await this.member(to).receive(rec.sender, rec.epoch, rec.frame)
    if (r.kind === 'messages') {
      for (const m of r.messages) {
        const w = this.wire.find((x) => x.sender === m.sender && x.epoch === m.epoch && x.message.step === m.step && x.message.n === m.n)
        if (w !== undefined) this.mark(to, w.index)
      }
    }
    return r
  }

  /** Sends and delivers to everyone else except `skip`. */
  async broadcast(from: number, text: string, skip: readonly number[] = []): Promise<WireRecord> {
    const rec = await this.send(from, text)
    for (const leaf of this.tree.memberList) {
      if (leaf === from || skip.includes(leaf)) continue
      const r = await this.deliver(rec, leaf)
      if (r.kind !== 'messages') throw new Error(`leaf ${leaf} did not decrypt ${text}: ${r.kind}`)
    }
    return rec
  }
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b)
