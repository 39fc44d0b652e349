/**
 * The 'mls' protocol adapter: RFC 9420 through src/mls, one MlsGroup per
 * member per group.
 *
 *   application message   PrivateMessage whose application_data is the GroupPayload
 *   add / remove          one Commit (with path), ordered by the delivery service;
 *                         joiners get the Welcome through their mailbox
 *   leave                 a Remove proposal for our own leaf (§12.1.3); the next
 *                         commit by any member includes it by reference
 *
 * The envelope's sender_did is routing metadata: every message is staged
 * first, and accepted only when the MLS-authenticated sender's credential
 * names that same DID (otherwise it is rejected and nothing changes).
 *
 * A commit of our own is prepared on a copy of the state (serialize /
 * deserialize), merged there, and the merged state written ahead: the live
 * handle adopts it only once the delivery service accepted the commit, and a
 * restart between the two still finds it (src/group/group.ts).
 */
import { TalosError } from '../../errors.js'
import {
  MlsGroup,
  basicCredential,
  didOf,
  removeProposal,
  type GroupConfig,
  type KeyPackageSecrets,
} from '../../mls/index.js'
import type { KeyPair } from '../../crypto/suite.js'
import type { Encoded } from '../../mls/wire/encoded.js'
import type { KeyPackage } from '../../mls/wire/key-package.js'
import { ProposalType } from '../../mls/wire/proposal.js'
import { SenderType } from '../../mls/wire/framing.js'
import { decodeMLSMessage } from '../../mls/wire/message.js'
import { WireFormat } from '../../mls/wire/framing.js'
import type { AddTicket, EngineState, GroupProtocol, PreparedCommit, ProtocolEngine, Received } from './types.js'

interface Roster {
  readonly state: object
  readonly byDid: Map<string, number>
  readonly dids: string[]
}

export interface MlsEngineOptions {
  readonly did: string
  readonly config: Partial<GroupConfig>
}

const MAX_TRACKED = 10_000

function malformed(what: string): TalosError {
  return new TalosError('GROUP_MALFORMED_ENVELOPE', what)
}

export class MlsEngine implements ProtocolEngine {
  readonly protocol: GroupProtocol = 'mls'
  private roster: Roster | undefined
  /**
   * Application messages processed by the live state after a commit of ours
   * was prepared on a copy: the copy's retired epoch still holds their keys,
   * so adoptCommit consumes them there too (no replay, no key left behind).
   */
  private sincePrepare: Uint8Array[] | undefined

  protected constructor(
    protected group: MlsGroup,
    protected readonly opts: MlsEngineOptions,
  ) {}

  static async createGroup(opts: MlsEngineOptions & { cipherSuite: number; signatureKeyPair: KeyPair }): Promise<MlsGroup> {
    return MlsGroup.create({
      cipherSuite: opts.cipherSuite,
      credential: basicCredential(opts.did),
      signatureKeyPair: opts.signatureKeyPair,
      config: opts.config,
    })
  }

  static async joinGroup(
    opts: MlsEngineOptions & { welcome: Uint8Array; keyPackage: Encoded<KeyPackage>; secrets: KeyPackageSecrets },
  ): Promise<MlsGroup> {
    const m = decodeMLSMessage(opts.welcome)
    if (m.wireFormat !== WireFormat.mls_welcome) throw malformed('an invitation must carry an MLS Welcome')
    return MlsGroup.join({ welcome: m.welcome, keyPackage: opts.keyPackage, secrets: opts.secrets, config: opts.config })
  }

  static async open(group: MlsGroup, opts: MlsEngineOptions): Promise<MlsEngine> {
    return new MlsEngine(group, opts)
  }

  static restore(state: EngineState, opts: MlsEngineOptions): MlsEngine {
    return new MlsEngine(MlsGroup.deserialize(state.mls, { config: opts.config }), opts)
  }

  get epoch(): bigint {
    return this.group.epoch
  }

  get active(): boolean {
    return this.group.active
  }

  get groupId(): Uint8Array {
    return this.group.groupId
  }

  /** Members by DID, recomputed once per state (O(n) per epoch, O(1) per lookup). */
  private current(): Roster {
    const state = this.group.currentState
    if (this.roster?.state === state) return this.roster
    const byDid = new Map<string, number>()
    const dids: string[] = []
    for (const leaf of state.tree.memberIndices()) {
      const did = didOf(state.tree.leaf(leaf)!.credential)
      if (did === undefined) continue
      byDid.set(did, leaf)
      dids.push(did)
    }
    this.roster = { state, byDid, dids }
    return this.roster
  }

  members(): string[] {
    return [...this.current().dids]
  }

  isMember(did: string): boolean {
    return this.current().byDid.has(did)
  }

  protected didOfLeaf(leaf: number): string | undefined {
    const n = this.group.currentState.tree
    const l = Number.isInteger(leaf) && leaf >= 0 && leaf < n.leafCount ? n.leaf(leaf) : undefined
    return l === undefined ? undefined : didOf(l.credential)
  }

  publicKeyOf(did: string): Uint8Array | undefined {
    const leaf = this.current().byDid.get(did)
    return leaf === undefined ? undefined : this.group.currentState.tree.leaf(leaf)!.signatureKey
  }

  epochAuthenticator(): Uint8Array {
    return this.group.epochAuthenticator()
  }

  pendingRemovals(): string[] {
    const out: string[] = []
    for (const p of this.group.currentState.proposals.list()) {
      if (p.proposal.proposalType === ProposalType.remove) {
        const did = this.didOfLeaf(p.proposal.remove.removed)
        if (did !== undefined) out.push(did)
      }
    }
    return out
  }

  async encrypt(payload: Uint8Array): Promise<Uint8Array> {
    return this.group.send(payload)
  }

  /** Hook for subclasses: a new epoch was adopted. */
  protected async enteredEpoch(): Promise<void> {}

  /** Hook for subclasses: the application data of an accepted message. */
  protected async application(sender: string, leaf: number, epoch: bigint, data: Uint8Array): Promise<Received> {
    return { kind: 'application', sender, epoch, payloads: [data], replies: [] }
  }

  async receive(kind: 'message' | 'commit', payload: Uint8Array, envelopeSender: string): Promise<Received> {
    const incoming = await this.group.stageMessage(payload)
    const c = incoming.content
    let sender: string | undefined
    let leaving: string | undefined
    try {
      if (kind === 'commit' && c.kind !== 'commit') throw malformed('a commit entry does not carry an MLS Commit')
      if (kind === 'message' && c.kind === 'commit') throw malformed('an MLS Commit published outside the commit order')
      if (c.kind === 'application') sender = this.didOfLeaf(c.sender)
      else if (c.kind === 'commit') sender = this.didOfLeaf(c.committer)
      else if (c.sender.senderType === SenderType.member) sender = this.didOfLeaf(c.sender.leafIndex)
      if (sender === undefined || sender !== envelopeSender) {
        throw new TalosError('GROUP_SENDER_MISMATCH', 'the envelope names another sender than the one MLS authenticated')
      }
      if (c.kind === 'proposal') {
        const p = c.proposal
        const self = c.sender.senderType === SenderType.member && p.proposalType === ProposalType.remove && p.remove.removed === c.sender.leafIndex
        if (!self) throw new TalosError('GROUP_UNSUPPORTED_PROPOSAL', 'only a member proposing its own removal (leaving) is accepted')
        leaving = sender
      }
    } catch (e) {
      incoming.reject()
      throw e
    }
    const before = c.kind === 'commit' ? this.members() : undefined
    const epochBefore = this.group.epoch
    incoming.accept()
    if (c.kind === 'application') {
      if (this.sincePrepare !== undefined) {
        if (this.sincePrepare.length < MAX_TRACKED) this.sincePrepare.push(payload)
        else this.sincePrepare = undefined
      }
      return this.application(sender, c.sender, c.epoch, c.data)
    }
    this.sincePrepare = undefined
    if (c.kind === 'proposal') return { kind: 'proposal', sender, leaving }
    // A commit that removes us ends the group for us: there is no next epoch to enter.
    if (c.removedUs || !this.group.active) {
      const r = this.commitResult(sender, before!, true)
      return { ...r, epoch: c.epoch > epochBefore ? c.epoch : epochBefore + 1n, removed: r.removed.includes(this.opts.did) ? r.removed : [...r.removed, this.opts.did] }
    }
    await this.enteredEpoch()
    return this.commitResult(sender, before!, false)
  }

  private commitResult(committer: string, before: string[], removedUs: boolean): Received & { kind: 'commit' } {
    const after = new Set(this.members())
    const was = new Set(before)
    return {
      kind: 'commit',
      committer,
      epoch: this.group.epoch,
      added: [...after].filter((d) => !was.has(d)),
      removed: before.filter((d) => !after.has(d)),
      removedUs: removedUs || !this.group.active,
      replies: [],
    }
  }

  async prepareCommit(change: { add: AddTicket[]; remove: string[] }): Promise<PreparedCommit> {
    const state = this.group.currentState
    const alreadyProposed = new Set(this.pendingRemovals())
    const remove: number[] = []
    for (const did of change.remove) {
      if (alreadyProposed.has(did)) continue
      const leaf = this.current().byDid.get(did)
      if (leaf === undefined) throw new TalosError('GROUP_NOT_A_MEMBER', `${did} is not a member`)
      if (leaf === state.ownLeaf) throw new TalosError('GROUP_INVALID_ARGUMENT', 'a member cannot commit its own removal: use leave()')
      remove.push(leaf)
    }
    const copy = MlsGroup.deserialize(this.group.serialize(), { config: this.opts.config })
    try {
      const epoch = copy.epoch
      const created = await copy.commit({ add: change.add.map((t) => t.material as Encoded<KeyPackage>), proposals: remove.map((leaf) => removeProposal(copy.currentState, leaf)) })
      copy.mergePendingCommit()
      this.sincePrepare = []
      return { epoch, commit: created.commit, merged: copy.serialize(), welcome: created.welcome }
    } finally {
      copy.destroy()
    }
  }

  async adoptCommit(merged: Uint8Array, committedBy: string): Promise<Received & { kind: 'commit' }> {
    const before = this.members()
    const next = MlsGroup.deserialize(merged, { config: this.opts.config })
    if (next.epoch !== this.group.epoch + 1n) {
      next.destroy()
      throw new TalosError('GROUP_STATE_CORRUPT', 'the written-ahead commit is not for the next epoch')
    }
    for (const p of this.sincePrepare ?? []) {
      try {
        await next.processMessage(p)
      } catch {
        // Only consuming keys: a message the copy cannot open has nothing to consume.
      }
    }
    this.sincePrepare = undefined
    const old = this.group
    this.group = next
    old.destroy()
    await this.enteredEpoch()
    return this.commitResult(committedBy, before, false)
  }

  proposeLeave(): Uint8Array {
    const s = this.group.currentState
    return this.group.propose(removeProposal(s, s.ownLeaf)).message
  }

  serialize(): EngineState {
    return { mls: this.group.serialize(), hybrid: new Uint8Array(0) }
  }

  destroy(): void {
    this.group.destroy()
  }
}
