/**
 * The internal interface every group protocol adapter implements. The Group
 * (src/group/group.ts) owns ordering, persistence, audit and capabilities; an
 * engine owns one protocol's cryptographic state for one member.
 *
 * Every method that receives or commits either succeeds and replaces the
 * engine's state, or throws a TalosError and leaves it as it was.
 */
export type GroupProtocol = 'sender-keys' | 'mls' | 'hybrid' | 'coordinator'

export const GROUP_PROTOCOLS: readonly GroupProtocol[] = ['sender-keys', 'mls', 'hybrid', 'coordinator']

export type Received =
  /** Plaintexts (GroupPayload bytes) from an authenticated member; `replies` are payloads to publish to the group. */
  | { readonly kind: 'application'; readonly sender: string; readonly epoch: bigint; readonly payloads: Uint8Array[]; readonly replies: Uint8Array[] }
  /** A membership or key change; `epoch` is the new epoch. */
  | {
      readonly kind: 'commit'
      readonly committer: string
      readonly epoch: bigint
      readonly added: string[]
      readonly removed: string[]
      readonly removedUs: boolean
      /** Payloads to publish to the group once this is persisted (e.g. sender-key distributions). */
      readonly replies: Uint8Array[]
    }
  /** A proposal cached for the next commit (a member asking to leave). */
  | { readonly kind: 'proposal'; readonly sender: string; readonly leaving: string | undefined }

export interface PreparedCommit {
  /** The epoch it was built in (what the delivery service orders commits by). */
  readonly epoch: bigint
  /** The envelope payload to publish. */
  readonly commit: Uint8Array
  /** This member's state once the commit is accepted (write-ahead). */
  readonly merged: Uint8Array
  /** The invitation payload for the added members (MLS Welcome, or the protocol's own). */
  readonly welcome: Uint8Array | undefined
}

/** What the directory gave for a member to add (a KeyPackage, a prekey bundle), checked by the client. */
export interface AddTicket {
  readonly did: string
  readonly material: unknown
}

export interface EngineState {
  readonly mls: Uint8Array
  readonly hybrid: Uint8Array
}

export interface ProtocolEngine {
  readonly protocol: GroupProtocol
  readonly epoch: bigint
  /** False once we were removed. */
  readonly active: boolean
  readonly groupId: Uint8Array
  /** Member DIDs (ourselves included), in leaf order. */
  members(): string[]
  isMember(did: string): boolean
  /** Ed25519 identity key of a current member, as the group authenticated it. */
  publicKeyOf(did: string): Uint8Array | undefined
  /** A value every member of the epoch agrees on (MLS epoch_authenticator, RFC 9420 §8.7): equal values, no fork. */
  epochAuthenticator(): Uint8Array
  /** The one member allowed to commit membership changes, if the protocol has one (the coordinator's hub). */
  soleCommitter?(): string
  /** Members whose removal is proposed and waits for a commit. */
  pendingRemovals(): string[]

  /** False while sending now would leave some member unable to read it (a sender key not yet handed over). */
  readyToSend?(): boolean
  encrypt(payload: Uint8Array): Promise<Uint8Array>
  /** Stages, checks `envelopeSender` against the authenticated sender, then accepts. */
  receive(kind: 'message' | 'commit', payload: Uint8Array, envelopeSender: string): Promise<Received>
  prepareCommit(change: { add: AddTicket[]; remove: string[] }): Promise<PreparedCommit>
  /** Adopts our own commit, accepted by the delivery service, from its write-ahead state. */
  adoptCommit(merged: Uint8Array, committedBy: string): Promise<Received & { kind: 'commit' }>
  /** A proposal to remove ourselves (leave), as an envelope payload. */
  proposeLeave(): Uint8Array
  /** The checkpoint body's protocol part. */
  serialize(): EngineState
  destroy(): void
}
