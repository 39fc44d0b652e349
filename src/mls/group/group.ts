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
import { memzero, constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'
import type { KeyPair } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { mlsExporter } from '../schedule/exporter.js'
import { encodeTree } from '../tree/codec.js'
import type { Credential } from '../wire/credential.js'
import type { Encoded } from '../wire/encoded.js'
import type { Extension } from '../wire/extension.js'
import type { GroupContext } from '../wire/group-context.js'
import type { KeyPackage } from '../wire/key-package.js'
import type { Proposal } from '../wire/proposal.js'
import { PSKType, ResumptionPSKUsage } from '../wire/psk.js'
import type { GroupConfig } from './config.js'
import { createGroup, type CreateGroupOptions } from './create.js'
import { createCommit, pendingCommit, type CommitOptions, type CreatedCommit, type PendingCommit } from './create-commit.js'
import { zeroEpoch, zeroRetired } from './epoch.js'
import { joinByExternalCommit, type ExternalJoinOptions } from './external-join.js'
import { buildGroupInfo, type GroupInfoOptions } from './group-info.js'
import { joinFromWelcome, type JoinOptions } from './join.js'
import { deserializeGroupHandle, serializeGroupHandle } from './persist.js'
import type { PskSources } from './process-commit.js'
import { addProposal, removeProposal, updateProposal } from './proposals.js'
import type { ExternalPskStore, ForeignResumptionPsks } from './psk.js'
import { receive, type Incoming, type ReceivedContent } from './receive.js'
import { checkResumptionWelcome, planResumption } from './reinit.js'
import { sendApplication, sendProposal } from './send.js'
import { contextOf, type GroupState } from './state.js'

export interface ProcessResult {
  readonly content: ReceivedContent
}

/**
 * Hostile input may only ever surface as a TalosError: anything else escaping
 * the layers below is a bug, reported under one code rather than as a
 * TypeError the caller cannot branch on.
 */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof TalosError) throw e
    throw new TalosError('MLS_MALFORMED_MESSAGE', `unexpected failure on input: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

export class MlsGroup {
  private psks: PskSources
  private pending: PendingCommit | undefined
  private pendingBytes: Uint8Array | undefined

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

  /**
   * Joins from a Welcome. When the Welcome continues another group (ReInit
   * or branch, §11.2-§11.3), pass that group as `previous`: its resumption
   * PSK is used and the new group is checked against it.
   */
  static async join(opts: JoinOptions & { previous?: MlsGroup }): Promise<MlsGroup> {
    return guard(() => MlsGroup.joinUnguarded(opts))
  }

  private static async joinUnguarded(opts: JoinOptions & { previous?: MlsGroup }): Promise<MlsGroup> {
    const prev = opts.previous?.state
    const resumptionPsks: ForeignResumptionPsks | undefined =
      prev === undefined
        ? opts.resumptionPsks
        : (gid, e) =>
            bytesEqual(gid, contextOf(prev).groupId) ? prev.resumptionPsks.get(e) : opts.resumptionPsks?.(gid, e)
    const { state, resumption } = await joinFromWelcome({ ...opts, resumptionPsks })
    if (resumption !== undefined) {
      if (prev === undefined || resumption.psktype !== PSKType.resumption) {
        throw new TalosError('MLS_INVALID_PSK_USAGE', 'a reinit/branch Welcome needs the previous group')
      }
      checkResumptionWelcome(contextOf(state), resumption, prev)
    }
    return new MlsGroup(state, { externalPsks: opts.externalPsks, resumptionPsks: opts.resumptionPsks })
  }

  /**
   * After a Commit with a ReInit (usage 'reinit') or at any time (usage
   * 'branch'): creates the new group with us as creator, adds the members of
   * `keyPackages` and returns the Welcome for them (§11.2, §11.3).
   */
  async resume(
    usage: 'reinit' | 'branch',
    opts: { keyPackages: Uint8Array[]; credential?: Credential; signatureKeyPair?: KeyPair; config?: Partial<GroupConfig> },
  ): Promise<{ group: MlsGroup; welcome: Uint8Array | undefined }> {
    const plan = planResumption(this.state, usage, opts.keyPackages)
    const ownLeaf = this.state.tree.leaf(this.state.ownLeaf)
    const group = await MlsGroup.create({
      cipherSuite: plan.cipherSuite,
      groupId: plan.groupId,
      extensions: plan.extensions,
      credential: opts.credential ?? ownLeaf!.credential,
      signatureKeyPair: opts.signatureKeyPair,
      config: opts.config ?? this.state.config,
    })
    const old = contextOf(this.state)
    group.setPskSources(this.psks.externalPsks, (gid, e) =>
      bytesEqual(gid, old.groupId) && e === old.epoch ? plan.resumptionPsk : this.psks.resumptionPsks?.(gid, e),
    )
    const created = await group.commit({
      proposals: plan.proposals,
      resumptionUsage: usage === 'reinit' ? ResumptionPSKUsage.reinit : ResumptionPSKUsage.branch,
    })
    group.mergePendingCommit()
    return { group, welcome: created.welcome }
  }

  /**
   * Joins by external Commit (§12.4.3.2) from a GroupInfo with external_pub.
   * Send `commit` to the group; the returned handle is already in the new epoch.
   */
  static async joinExternal(opts: ExternalJoinOptions): Promise<{ group: MlsGroup; commit: Uint8Array }> {
    const { state, commit } = await guard(() => joinByExternalCommit(opts))
    return { group: new MlsGroup(state, { externalPsks: opts.externalPsks, resumptionPsks: opts.resumptionPsks }), commit }
  }

  /**
   * Restores a handle from serialize() output. `config` supplies what is not
   * stored (the AuthenticationService) and may change policy. A pending
   * Commit of ours is restored too: merge or discard it as usual.
   */
  static deserialize(
    bytes: Uint8Array,
    opts: { config?: Partial<GroupConfig>; externalPsks?: ExternalPskStore; resumptionPsks?: ForeignResumptionPsks } = {},
  ): MlsGroup {
    const { state, pending } = deserializeGroupHandle(bytes, opts.config)
    const group = new MlsGroup(state, { externalPsks: opts.externalPsks, resumptionPsks: opts.resumptionPsks })
    if (pending !== undefined) {
      group.pending = pendingCommit(state, pending.next)
      group.pendingBytes = pending.commit
    }
    return group
  }

  /**
   * The canonical record of this handle: the state and any pending Commit of
   * ours (secret: encrypt it at rest). Equal states give equal bytes.
   */
  serialize(): Uint8Array {
    const pending = this.pending && this.pendingBytes && { next: this.pending.next, commit: this.pendingBytes }
    return serializeGroupHandle(this.state, pending)
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

  /** The current members: leaf index, credential and signature key. O(n). */
  members(): { leafIndex: number; credential: Credential; signatureKey: Uint8Array }[] {
    const tree = this.state.tree
    return tree.memberIndices().map((i) => {
      const leaf = tree.leaf(i)!
      return { leafIndex: i, credential: leaf.credential, signatureKey: leaf.signatureKey }
    })
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

  /**
   * Verifies and stages a message; nothing changes until accept(), which
   * adopts it into this handle (and drops our own pending Commit when the
   * message is another member's Commit for the same epoch).
   */
  async stageMessage(bytes: Uint8Array): Promise<Incoming> {
    const echo = this.ownCommitEcho(bytes)
    if (echo !== undefined) return echo
    const incoming = await guard(() => receive(this.state, bytes, this.psks))
    const base = this.state
    let done = false
    return {
      content: incoming.content,
      accept: () => {
        if (done || this.state !== base) throw new TalosError('MLS_STALE_STAGE', 'the group changed since this message was staged')
        done = true
        // Discard before adopting: the pending commit shares key buffers with the state both came from.
        if (incoming.content.kind === 'commit') this.discardPendingCommit()
        this.state = incoming.accept()
        return this.state
      },
      reject: () => {
        if (done) return
        done = true
        incoming.reject()
      },
    }
  }

  /**
   * Our own pending Commit coming back from the Delivery Service (byte for
   * byte what commit() returned): accepting it merges the pending commit.
   */
  private ownCommitEcho(bytes: Uint8Array): Incoming | undefined {
    const p = this.pending
    if (p === undefined || this.pendingBytes === undefined || !bytesEqual(bytes, this.pendingBytes)) return undefined
    const self = { senderType: 1, leafIndex: this.state.ownLeaf } as const
    return {
      content: { kind: 'commit', sender: self, committer: this.state.ownLeaf, removedUs: false, epoch: p.epoch },
      accept: () => {
        this.mergePendingCommit()
        return this.state
      },
      reject: () => {},
    }
  }

  /**
   * Verifies and applies a message in one step: stageMessage then accept,
   * without the staging handle's wrapper (the per-message path).
   */
  async processMessage(bytes: Uint8Array): Promise<ProcessResult> {
    const echo = this.ownCommitEcho(bytes)
    if (echo !== undefined) {
      echo.accept()
      return { content: echo.content }
    }
    const base = this.state
    const incoming = await guard(() => receive(base, bytes, this.psks))
    if (this.state !== base) {
      // Another call changed the group while this one was staged (only a Commit's staging awaits).
      incoming.reject()
      throw new TalosError('MLS_STALE_STAGE', 'the group changed since this message was staged')
    }
    // Discard before adopting: the pending commit shares key buffers with the state both came from.
    if (incoming.content.kind === 'commit') this.discardPendingCommit()
    this.state = incoming.accept()
    return { content: incoming.content }
  }

  /** Replaces the state with one staged from it (used by sibling modules). @internal */
  adoptState(next: GroupState): void {
    this.state = next
  }

  // --- sending ---

  /** Encrypts application data as a PrivateMessage (MLSMessage bytes). */
  send(data: Uint8Array, authenticatedData?: Uint8Array): Uint8Array {
    return sendApplication(this.state, data, authenticatedData)
  }

  /** Sends a proposal (framed per config) and caches it; returns the MLSMessage and its ProposalRef. */
  propose(proposal: Proposal, authenticatedData?: Uint8Array): { message: Uint8Array; ref: Uint8Array } {
    const r = sendProposal(this.state, proposal, authenticatedData)
    this.state = r.state
    return { message: r.message, ref: r.ref }
  }

  /** Proposes a fresh key for our own leaf (§12.1.2). */
  async proposeUpdate(extensions?: Extension[]): Promise<{ message: Uint8Array; ref: Uint8Array }> {
    const u = await updateProposal(this.state, extensions)
    let r: ReturnType<typeof sendProposal>
    try {
      r = sendProposal(this.state, u.proposal)
    } catch (e) {
      memzero(u.encryptionPriv)
      throw e
    }
    const updateKeys = new Map(this.state.updateKeys)
    updateKeys.set(Buffer.from(u.encryptionPub).toString('hex'), u.encryptionPriv)
    this.state = { ...r.state, updateKeys }
    return { message: r.message, ref: r.ref }
  }

  /**
   * Creates a Commit of the pending proposals plus `add`/`remove`/`proposals`
   * by value. The new epoch is adopted by mergePendingCommit() once the
   * Delivery Service accepted the Commit (or dropped by discardPendingCommit).
   *
   * Signature key rotation: `rotateSignatureKey: true` generates a fresh
   * signature key pair for our leaf, `signatureKeyPair` takes one (see
   * CommitOptions.signatureKeyPair); the result's `signatureKey` is the new
   * public key (to register with the AuthenticationService's directory), and
   * after mergePendingCommit the group signs with the new private key, which
   * serialize() persists.
   *
   * Creating a Commit awaits: a message processed (or destroy()) meanwhile
   * ends the epoch it was made for, and the call fails with MLS_STALE_STAGE
   * (nothing becomes pending); of overlapping commit() calls, the last to
   * finish is the pending one.
   */
  async commit(
    opts: CommitOptions & { add?: (Uint8Array | Encoded<KeyPackage>)[]; remove?: number[]; rotateSignatureKey?: boolean } = {},
  ): Promise<CreatedCommit> {
    const byValue: Proposal[] = [
      ...(opts.add ?? []).map((kp) => addProposal(kp)),
      ...(opts.remove ?? []).map((leaf) => removeProposal(this.state, leaf)),
      ...(opts.proposals ?? []),
    ]
    this.pending?.discard()
    this.pending = undefined
    // createCommit keeps its own copy of the private key.
    const generated = opts.rotateSignatureKey && opts.signatureKeyPair === undefined ? this.state.suite.generateSignatureKeyPair() : undefined
    const base = this.state
    let created: CreatedCommit
    try {
      created = await createCommit(base, { ...opts, proposals: byValue, signatureKeyPair: opts.signatureKeyPair ?? generated }, this.psks)
    } finally {
      memzero(generated?.privateKey)
    }
    if (this.state !== base) {
      // A message was processed (or the handle destroyed) while this Commit was being created: it
      // belongs to an epoch that is gone, and merging it would silently fork the group.
      created.pending.discard()
      throw new TalosError('MLS_STALE_STAGE', 'the group changed while this commit was created')
    }
    // Another commit() that finished first is superseded, as if this call had come after it
    // (the cast: TypeScript keeps the narrowing to undefined from before the await).
    ;(this.pending as PendingCommit | undefined)?.discard()
    this.pending = created.pending
    this.pendingBytes = created.commit
    return created
  }

  /** True while a Commit we created awaits merge or discard. */
  get hasPendingCommit(): boolean {
    return this.pending !== undefined
  }

  mergePendingCommit(): void {
    if (this.pending === undefined) throw new TalosError('MLS_NO_PENDING_COMMIT', 'there is no pending commit to merge')
    this.state = this.pending.merge()
    this.pending = undefined
    this.pendingBytes = undefined
  }

  discardPendingCommit(): void {
    this.pending?.discard()
    this.pending = undefined
    this.pendingBytes = undefined
  }

  /** A signed GroupInfo of the current epoch (MLSMessage), e.g. for external joins. */
  async groupInfo(opts: GroupInfoOptions = {}): Promise<Uint8Array> {
    const s = this.state
    const gi = await buildGroupInfo(
      {
        suite: s.suite,
        groupContext: contextOf(s),
        tree: s.tree,
        confirmationTag: s.epoch.confirmationTag,
        externalSecret: s.epoch.keys.externalSecret,
        signer: s.ownLeaf,
        signaturePriv: s.signaturePriv,
      },
      opts,
    )
    return gi.message
  }

  /** The ratchet_tree extension body of the current tree (to hand a joiner out of band). */
  ratchetTree(): Uint8Array {
    return encodeTree(this.state.tree)
  }

  /** Zeroes every secret this handle holds; the handle is unusable afterwards. */
  destroy(): void {
    const s = this.state
    this.discardPendingCommit()
    s.privateKeys.dispose()
    memzero(s.signaturePriv)
    for (const psk of s.resumptionPsks.values()) memzero(psk)
    for (const k of s.updateKeys.values()) memzero(k)
    for (const r of s.retired) zeroRetired(r)
    zeroEpoch(s.epoch, s.tree)
    this.state = { ...s, removed: true }
  }
}
