/**
 * An independent oracle for every hybrid secret of an epoch of a SimGroup,
 * computed from what the test knows and no member keeps: E_e (from the tree's
 * application_export_secret), the whole seed tree, and each rekey's r (from
 * the group's seal hook). Used by the deletion audit (audit.ts).
 */
import { ExporterTree } from '../../../src/mls/schedule/index.js'
import { left, right } from '../../../src/mls/treemath.js'
import {
  HYBRID_COMPONENT_ID,
  chainFromBase,
  encodeRekeyContext,
  hybExpand,
  messageKey,
  nextChainKey,
  rootStep,
} from '../../../src/hybrid/index.js'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import type { CipherSuite } from '../../../src/crypto/index.js'
import type { WireRecord } from './group.js'

/** What the oracle reads of a group in one epoch (a SimGroup is one; the real-MLS harness builds one per epoch). */
export interface OracleSource {
  readonly tree: {
    readonly suite: CipherSuite
    readonly leafWidth: number
    readonly groupId: Uint8Array
    readonly epoch: bigint
    /** Needed unless the oracle is given E_e directly. */
    readonly applicationExportSecret?: Uint8Array
  }
  /** Recorded messages of this epoch. */
  readonly wire: readonly Pick<WireRecord, 'sender' | 'message'>[]
  /** `${sender}:${step}` -> r of this epoch's rekeys. */
  readonly rLog: ReadonlyMap<string, Uint8Array>
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

export class Oracle {
  readonly epochSeed: Uint8Array
  private readonly seeds = new Map<number, Uint8Array>()
  private readonly roots = new Map<string, { rootKey: Uint8Array; chainKey: Uint8Array }>()

  /** `epochSeed`: E_e when the source has no application_export_secret (a real MLS epoch). */
  constructor(
    private readonly g: OracleSource,
    epochSeed?: Uint8Array,
  ) {
    const t = g.tree
    this.epochSeed = epochSeed ?? ExporterTree.create(t.suite, t.applicationExportSecret!.slice()).safeExportSecret(HYBRID_COMPONENT_ID)
    const fill = (x: number, s: Uint8Array): void => {
      this.seeds.set(x, s)
      if (x % 2 === 0) return
      fill(left(x), hybExpand(t.suite, s, 'tree', ascii('left'), t.suite.Nh))
      fill(right(x), hybExpand(t.suite, s, 'tree', ascii('right'), t.suite.Nh))
    }
    fill(t.leafWidth - 1, this.epochSeed)
  }

  seed(node: number): Uint8Array {
    return this.seeds.get(node)!
  }

  /** Nodes from the root down to leaf L's node, inclusive. */
  path(leaf: number): number[] {
    const out: number[] = []
    let x = this.g.tree.leafWidth - 1
    const target = 2 * leaf
    for (;;) {
      out.push(x)
      if (x === target) return out
      x = target < x ? left(x) : right(x)
    }
  }

  /** pn of the rekey that started chain `step` of `sender` (from the wire). */
  private pn(sender: number, step: number): number {
    const w = this.g.wire.find((x) => x.sender === sender && x.message.step === step && x.message.type === HybridMessageType.DATA_REKEY)
    if (w === undefined) throw new Error(`no rekey ${sender}:${step} on the wire`)
    return w.message.pn
  }

  rekeyContext(sender: number, step: number): Uint8Array {
    const t = this.g.tree
    return encodeRekeyContext({ groupId: t.groupId, epoch: t.epoch, senderLeaf: sender, step, pn: this.pn(sender, step) })
  }

  r(sender: number, step: number): Uint8Array {
    const r = this.g.rLog.get(`${sender}:${step}`)
    if (r === undefined) throw new Error(`no r for ${sender}:${step}`)
    return r
  }

  prk(sender: number, step: number): Uint8Array {
    return this.g.tree.suite.extract(this.chainStart(sender, step - 1).rootKey, this.r(sender, step))
  }

  chainStart(sender: number, step: number): { rootKey: Uint8Array; chainKey: Uint8Array } {
    const id = `${sender}:${step}`
    let c = this.roots.get(id)
    if (c === undefined) {
      const suite = this.g.tree.suite
      c = step === 0 ? chainFromBase(suite, this.seed(2 * sender)) : rootStep(suite, this.chainStart(sender, step - 1).rootKey, this.r(sender, step), this.rekeyContext(sender, step))
      this.roots.set(id, c)
    }
    return c
  }

  chainKey(sender: number, step: number, n: number): Uint8Array {
    let ck = this.chainStart(sender, step).chainKey
    for (let i = 0; i < n; i++) ck = nextChainKey(this.g.tree.suite, ck, i)
    return ck
  }

  messageKey(sender: number, step: number, n: number): { key: Uint8Array; nonce: Uint8Array } {
    return messageKey(this.g.tree.suite, this.chainKey(sender, step, n), n)
  }
}
