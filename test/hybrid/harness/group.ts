/**
 * A simulated group of HybridSessions over one MemoryTree, with a shared
 * manual clock and a wire recorder (every frame sent, in order), for the
 * session tests and the compromise scenarios.
 */
import { HybridSession, type HybridOptions, type ReceiveResult } from '../../../src/hybrid/index.js'
import type { HybridPolicy } from '../../../src/hybrid/policy.js'
import { MemoryTree, type TreeSpec } from './memory-tree.js'

export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

export interface WireRecord {
  readonly sender: number
  readonly epoch: bigint
  readonly frame: Uint8Array
  readonly label: string
  readonly plaintext: Uint8Array
}

export class SimGroup {
  readonly wire: WireRecord[] = []
  private constructor(
    readonly tree: MemoryTree,
    readonly clock: ManualClock,
    readonly sessions: Map<number, HybridSession>,
    readonly options: HybridOptions,
  ) {}

  static async create(spec: TreeSpec, policy: Partial<HybridPolicy> = {}, clock = new ManualClock()): Promise<SimGroup> {
    const tree = await MemoryTree.build(spec)
    const options: HybridOptions = { policy, deps: { now: clock.now } }
    const sessions = new Map<number, HybridSession>()
    for (const leaf of tree.memberList) sessions.set(leaf, HybridSession.create(tree.view(leaf), options))
    return new SimGroup(tree, clock, sessions, options)
  }

  member(leaf: number): HybridSession {
    const s = this.sessions.get(leaf)
    if (s === undefined) throw new Error(`no member ${leaf}`)
    return s
  }

  /** `from` encrypts; the frame is recorded but not delivered. */
  async send(from: number, text: string): Promise<WireRecord> {
    const plaintext = new TextEncoder().encode(text)
    const frame = await this.member(from).encrypt(plaintext)
    const rec = { sender: from, epoch: this.tree.epoch, frame, label: text, plaintext }
    this.wire.push(rec)
    return rec
  }

  deliver(rec: WireRecord, to: number): Promise<ReceiveResult> {
    return this.member(to).receive(rec.sender, rec.epoch, rec.frame)
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
