/**
 * Test double for the MLS group: a plain in-memory ratchet tree implementing
 * HybridGroupView (src/hybrid/group-view.ts) for every member, with real
 * HPKE key pairs (deterministic: DeriveKeyPair(SHA-256(seed || node))) and a
 * real ExporterTree for SafeExportSecret(0xF001).
 *
 * Tree rules follow RFC 9420 §4.1 and §7.5: a parent is blank if listed in
 * `blankParents` or if every leaf below it is blank; resolution(x) is [x] plus
 * x's unmerged leaves for a non-blank node, the concatenated resolutions of
 * its children for a blank parent, [] for a blank leaf; a member holds the
 * private key of its leaf and of every non-blank parent on its direct path
 * that does not list it as unmerged.
 */
import { getCipherSuite, type CipherSuite } from '../../../src/crypto/index.js'
import { ExporterTree } from '../../../src/mls/schedule/index.js'
import { directPath, left, level, right } from '../../../src/mls/treemath.js'
import type { HybridGroupView } from '../../../src/hybrid/group-view.js'

export interface TreeSpec {
  readonly suiteId?: number
  /** Power of two. */
  readonly leafWidth: number
  /** Member leaves (default: all). */
  readonly members?: readonly number[]
  readonly blankParents?: readonly number[]
  /** parent node -> unmerged leaves (leaf indices). */
  readonly unmerged?: Readonly<Record<number, readonly number[]>>
  readonly epoch?: bigint
  readonly groupId?: Uint8Array
  /** Seeds node keys and application_export_secret. */
  readonly seed?: string
}

interface NodeKeys {
  readonly publicKey: Uint8Array
  readonly privateKey: Uint8Array
}

const enc = new TextEncoder()

export class MemoryTree {
  private readonly resolutions = new Map<number, readonly number[]>()
  private readonly fdp = new Map<number, readonly number[]>()
  readonly memberSet: ReadonlySet<number>
  readonly memberList: readonly number[]

  private constructor(
    readonly suite: CipherSuite,
    readonly leafWidth: number,
    readonly epoch: bigint,
    readonly groupId: Uint8Array,
    readonly applicationExportSecret: Uint8Array,
    private readonly keys: (NodeKeys | undefined)[],
    private readonly unmerged: ReadonlyMap<number, readonly number[]>,
    members: readonly number[],
  ) {
    this.memberList = [...members].sort((a, b) => a - b)
    this.memberSet = new Set(members)
  }

  static async build(spec: TreeSpec): Promise<MemoryTree> {
    const suite = getCipherSuite(spec.suiteId ?? 3)
    const w = spec.leafWidth
    const members = spec.members ?? [...Array(w).keys()]
    const memberSet = new Set(members)
    const blank = new Set(spec.blankParents ?? [])
    const seed = spec.seed ?? 'talos hybrid test tree'
    const keys: (NodeKeys | undefined)[] = new Array(2 * w - 1).fill(undefined)
    const hasMemberBelow = (x: number): boolean => {
      const half = 2 ** level(x) - 1
      for (let y = x - half; y <= x + half; y += 2) if (memberSet.has(y / 2)) return true
      return false
    }
    for (let x = 0; x < 2 * w - 1; x++) {
      const isLeaf = x % 2 === 0
      const present = isLeaf ? memberSet.has(x / 2) : !blank.has(x) && hasMemberBelow(x)
      if (!present) continue
      const kp = await suite.deriveHpkeKeyPair(suite.hash(enc.encode(`${seed}/node/${x}`)))
      keys[x] = kp
    }
    const unmerged = new Map<number, readonly number[]>()
    for (const [p, leaves] of Object.entries(spec.unmerged ?? {})) unmerged.set(Number(p), [...leaves])
    const aes = suite.hash(enc.encode(`${seed}/application_export_secret/${spec.epoch ?? 1n}`)).slice(0, suite.Nh)
    return new MemoryTree(suite, w, spec.epoch ?? 1n, spec.groupId ?? enc.encode('talos-hybrid-test-group'), aes, keys, unmerged, members)
  }

  resolution(x: number): readonly number[] {
    let r = this.resolutions.get(x)
    if (r !== undefined) return r
    if (this.keys[x] !== undefined) r = [x, ...(this.unmerged.get(x) ?? []).map((l) => 2 * l)]
    else if (x % 2 === 0) r = []
    else r = [...this.resolution(left(x)), ...this.resolution(right(x))]
    this.resolutions.set(x, r)
    return r
  }

  filteredDirectPath(leaf: number): readonly number[] {
    let r = this.fdp.get(leaf)
    if (r !== undefined) return r
    const s = 2 * leaf
    r = directPath(s, this.leafWidth).filter((p) => this.resolution(s < p ? right(p) : left(p)).length > 0)
    this.fdp.set(leaf, r)
    return r
  }

  publicKey(x: number): Uint8Array {
    const k = this.keys[x]
    if (k === undefined) throw new Error(`node ${x} is blank`)
    return k.publicKey
  }

  /** Whether `leaf` holds node x's private key. */
  holds(leaf: number, x: number): boolean {
    if (this.keys[x] === undefined || !this.memberSet.has(leaf)) return false
    if (x === 2 * leaf) return true
    if (x % 2 === 0) return false
    if ((this.unmerged.get(x) ?? []).includes(leaf)) return false
    return directPath(2 * leaf, this.leafWidth).includes(x)
  }

  privateKeyOf(x: number): Uint8Array {
    return this.keys[x]!.privateKey
  }

  /** A member's view. `suite` lets tests pass a counting wrapper. Each view has its own exporter tree. */
  view(leaf: number, suite: CipherSuite = this.suite): HybridGroupView {
    if (!this.memberSet.has(leaf)) throw new Error(`leaf ${leaf} is not a member`)
    const exporter = ExporterTree.create(this.suite, this.applicationExportSecret.slice())
    const tree = this
    // The nodes this member holds, computed once (the MLS adapter keeps the same set).
    const held = new Set([2 * leaf, ...directPath(2 * leaf, this.leafWidth)].filter((x) => this.holds(leaf, x)))
    return {
      suite,
      groupId: this.groupId,
      epoch: this.epoch,
      ownLeaf: leaf,
      leafWidth: this.leafWidth,
      memberCount: this.memberList.length,
      isMember: (l) => tree.memberSet.has(l),
      memberLeaves: () => tree.memberList,
      safeExportSecret: (id) => exporter.safeExportSecret(id),
      filteredDirectPath: (l) => tree.filteredDirectPath(l),
      resolution: (x) => tree.resolution(x),
      encryptionKey: (x) => tree.publicKey(x),
      privateKey: (x) => (held.has(x) ? tree.keys[x]!.privateKey : undefined),
    }
  }
}
