/**
 * MlsGroup: one member's handle on one MLS group (RFC 9420).
 *
 * The handle holds a GroupState and replaces it wholesale when an operation
 * succeeds; an operation that fails leaves it exactly as it was (compare
 * `serialize()` before and after). Operations that produce a new epoch are
 * staged: `stageMessage` / `commit` return an object whose merge adopts it,
 * and `processMessage` is stage-then-merge in one call.
 *
 *   const alice = await MlsGroup.create({ cipherSuite: 1, credential })
 *   const { commit, welcome } = await alice.commit({ add: [bobKeyPackage] }); alice.mergePendingCommit()
 *   const bob = await MlsGroup.join({ welcome, keyPackage, secrets })
 *   const ct = alice.send(bytes); (await bob.processMessage(ct)).content
 */
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import { mlsExporter } from '../schedule/exporter.js'
import type { GroupContext } from '../wire/group-context.js'
import { createGroup, type CreateGroupOptions } from './create.js'
import { joinFromWelcome, type JoinOptions } from './join.js'
import type { PskSources } from './process-commit.js'
import { receive, type Incoming, type ReceivedContent } from './receive.js'
import { contextOf, type GroupState } from './state.js'
import type { ExternalPskStore, ForeignResumptionPsks } from './psk.js'

export interface ProcessResult {
  readonly content: ReceivedContent
}

export class MlsGroup {
  private psks: PskSources

  /** @internal use create / join / deserialize. */
  constructor(
    private state: GroupState,
    psks: PskSources = {},
  ) {
    this.psks = psks
  }

  static async create(opts: CreateGroupOptions & { externalPsks?: ExternalPskStore }): Promise<MlsGroup> {
    return new MlsGroup(await createGroup(opts), { externalPsks: opts.externalPsks })
  }

  static async join(opts: JoinOptions): Promise<MlsGroup> {
    const { state } = await joinFromWelcome(opts)
    return new MlsGroup(state, { externalPsks: opts.externalPsks, resumptionPsks: opts.resumptionPsks })
  }

  /** Where PSKs named by future Commits are looked up. */
  setPskSources(externalPsks?: ExternalPskStore, resumptionPsks?: ForeignResumptionPsks): void {
    this.psks = { externalPsks, resumptionPsks }
  }

  // --- reading ---

  get groupContext(): GroupContext {
    return contextOf(this.state)
  }

  get groupId(): Uint8Array {
    return this.groupContext.groupId
  }

  get epoch(): bigint {
    return this.groupContext.epoch
  }

  get ownLeafIndex(): number {
    return this.state.ownLeaf
  }

  get cipherSuite(): number {
    return this.state.suite.id
  }

  /** False once we were removed or the group was reinitialized. */
  get active(): boolean {
    return !this.state.removed && this.state.reinit === undefined
  }

  /** The ReInit this group was closed by, if any. */
  get reinit() {
    return this.state.reinit
  }

  /** Leaf indices of the current members, in order. O(n). */
  memberLeaves(): number[] {
    return this.state.tree.memberIndices()
  }

  /** The epoch_authenticator (§8.7): a copy. */
  epochAuthenticator(): Uint8Array {
    return this.state.epoch.keys.epochAuthenticator.slice()
  }

  /** MLS-Exporter(label, context, length) of the current epoch (§8.5). */
  exporter(label: string, context: Uint8Array, length: number): Uint8Array {
    return mlsExporter(this.state.suite, this.state.epoch.keys.exporterSecret, label, context, length)
  }

  /**
   * SafeExportSecret(componentId) (draft-ietf-mls-extensions): forward-secure,
   * so each component's secret can be exported once per epoch.
   */
  safeExportSecret(componentId: number): Uint8Array {
    return this.state.epoch.exporterTree.safeExportSecret(componentId)
  }

  /** @internal the live state (read-only use: tests, persistence, sibling modules). */
  get currentState(): GroupState {
    return this.state
  }

  // --- receiving ---

  /** Verifies and stages a message; nothing changes until accept(). */
  async stageMessage(bytes: Uint8Array): Promise<Incoming> {
    return receive(this.state, bytes, this.psks)
  }

  /** Verifies and applies a message in one step. */
  async processMessage(bytes: Uint8Array): Promise<ProcessResult> {
    const incoming = await receive(this.state, bytes, this.psks)
    this.state = incoming.accept()
    return { content: incoming.content }
  }

  /** Replaces the state with one staged from it (used by sibling modules). @internal */
  adoptState(next: GroupState): void {
    this.state = next
  }

  /** Zeroes every secret this handle holds; the handle is unusable afterwards. */
  destroy(): void {
    const s = this.state
    s.privateKeys.dispose()
    memzero(s.signaturePriv)
    for (const psk of s.resumptionPsks.values()) memzero(psk)
    this.state = { ...s, removed: true }
    throw new TalosError('MLS_GROUP_INACTIVE', 'destroyed')
  }
}
