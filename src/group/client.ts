/**
 * Client: what an agent framework holds. One per agent (DID), over a
 * DeliveryService and a StateStore it is given (ARCHITECTURE.md: src/group
 * depends on those interfaces only).
 *
 *   const alice = await Client.create({ did: 'did:talos:alice', delivery, store })
 *   const group = await alice.createGroup({ name, members: ['did:talos:bob'], protocol: 'hybrid' })
 *
 * Identity: one Ed25519 key per client, generated on first use and kept in the
 * store. It is the MLS signature key in every group (so the group's ratchet
 * tree binds DID -> key for everyone), the audit-log signer and the
 * capability signer.
 *
 * Directory (DeliveryService.directory, keyed by DID): on first use the client
 * publishes its identity key (kind "identity"), a batch of one-time
 * KeyPackages and one last-resort KeyPackage (kind "mls-keypackage", RFC 9420
 * §16.8). The private keys are persisted before anything is published;
 * createGroup / addMember claim one per invitee (handed out once); a one-time
 * KeyPackage's keys are deleted when its Welcome is used, and the batch is
 * topped up when it runs low.
 *
 * Mailbox: invitations (MLS Welcome + the seq of the commit that added us)
 * arrive in our direct mailbox and are processed in order with the same
 * persist-then-ack rule as group logs; joining is idempotent (an invitation
 * for a group we already hold is skipped).
 *
 * Layout in the store (all keys under "c/<token of DID>/"):
 *   client        ClientRecord (identity key, KeyPackage secrets)
 *   inbox         mailbox checkpoint
 *   g/<token>     one checkpoint per group (src/group/checkpoint.ts)
 *   a/<seq>       audit entries (src/group/audit-storage.ts)
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { getCipherSuite } from '../crypto/index.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { TalosError, isTalosError } from '../errors.js'
import { isDid, type DeliveryService, type Delivery, type Subscription } from '../delivery/index.js'
import type { StateStore } from '../store/types.js'
import {
  AuditLog,
  ed25519AuditSigner,
  verifyAuditLog,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditVerification,
} from '../audit/index.js'
import { memberAddedEvent } from '../audit/index.js'
import { grantHash, type CapabilitySigner } from '../capabilities/index.js'
import {
  basicCredential,
  decodeMLSMessage,
  decodeMLSMessageKeyPackage,
  didAuthenticationService,
  didOf,
  generateKeyPackage,
  keyPackageMessage,
  keyPackageRef,
  validateKeyPackage,
  MlsGroup,
  type AuthenticationService,
  type GroupConfig,
} from '../mls/index.js'
import { isTalosDid } from '../mls/keys/credential.js'
import { WireFormat } from '../mls/wire/framing.js'
import type { Encoded } from '../mls/wire/encoded.js'
import type { KeyPackage } from '../mls/wire/key-package.js'
import type { HybridPolicy } from '../hybrid/index.js'
import { Protocol } from '../proto/envelope.js'
import { ClientRecord, DirectMessage, type GroupInvite, type KeyPackageSecret } from '../proto/group.js'
import { StoreAuditStorage } from './audit-storage.js'
import { Checkpoint } from './checkpoint.js'
import { Group, MAX_NAME_BYTES, checkDid, type CapabilityPolicy, type GroupCapability, type GroupDeps, type RejectedEntry } from './group.js'
import { HybridEngine } from './protocols/hybrid.js'
import { SenderKeysEngine } from './protocols/sender-keys.js'
import { inviteSignatureValid } from './invite.js'
import { decodeInvite, type SenderKeysDeps, type SkTicket } from './protocols/roster.js'
import { CoordinatorEngine } from './protocols/coordinator.js'
import { ClientPreKeys, PREKEY_BUNDLE_KIND } from './prekeys.js'
import { decodePreKeyBundle, encodePreKeyBundle, type PreKeyBundle } from '../ratchet/prekeys.js'
import { randomBytes } from '../crypto/sodium.js'
import { MlsEngine } from './protocols/mls.js'
import { GROUP_PROTOCOLS, type AddTicket, type GroupProtocol, type ProtocolEngine } from './protocols/types.js'
import { Mutex, bytesEqual, checkListener, toHex, token } from './util.js'
import { checkEvictIdleAfterMs } from './idle.js'

export interface ClientOptions {
  readonly did: string
  readonly delivery: DeliveryService
  readonly store: StateStore
  /** MLS cipher suite of groups this client creates (default 3: X25519, ChaCha20-Poly1305, SHA-256, Ed25519). */
  readonly cipherSuite?: number
  /** One-time KeyPackages kept published (default 8; 1..100). */
  readonly keyPackages?: number
  /**
   * Decides whether a credential and key are acceptable (RFC 9420 §5.3.1), in every protocol: MLS leaves,
   * and the DID-to-identity-key bindings of sender-keys and coordinator invitations, commits and prekey
   * bundles (as a basic credential and the Ed25519 identity key). Default: any well-formed did:talos.
   */
  readonly authService?: AuthenticationService
  /** How this member answers capability grants; default: not automatically (group.answerCapability). */
  readonly capabilityPolicy?: CapabilityPolicy
  readonly hybridPolicy?: Partial<HybridPolicy>
  /**
   * Remove group members idle (no message, commit, proposal or capability answer
   * of theirs in the log) for this many ms, in every group of this client
   * (src/group/idle.ts, HYBRID.md §9). Only the designated member of a group
   * (the first non-idle one in the protocol's order; the coordinator's hub)
   * commits the removal. Default: undefined, never (disabled).
   */
  readonly evictIdleAfterMs?: number
  /** Clock for member activity and audit timestamps, ms since the Unix epoch (default Date.now). */
  readonly now?: () => number
}

export interface CreateGroupOptions {
  readonly name: string
  /** DIDs to add besides ourselves (their KeyPackages are claimed from the directory). */
  readonly members: readonly string[]
  readonly protocol: GroupProtocol
}

/** The protocols createGroup accepts (GROUP_PROTOCOLS names all four). */
export const SUPPORTED_PROTOCOLS: readonly GroupProtocol[] = ['mls', 'hybrid', 'sender-keys', 'coordinator']
export const KEY_PACKAGE_KIND = 'mls-keypackage'
export const IDENTITY_KIND = 'identity'
/** Members named in one createGroup. */
export const MAX_INITIAL_MEMBERS = 1000
const DEFAULT_SUITE = 3
const DEFAULT_KEY_PACKAGES = 8
const MAX_GROUP_ID_BYTES = 64

const WIRE_PROTOCOL = new Map<Protocol, GroupProtocol>([
  [Protocol.MLS, 'mls'],
  [Protocol.HYBRID, 'hybrid'],
  [Protocol.SENDER_KEYS, 'sender-keys'],
  [Protocol.COORDINATOR, 'coordinator'],
])

interface HeldKeyPackage {
  readonly secret: KeyPackageSecret
  readonly encoded: Encoded<KeyPackage>
}

export class Client {
  private readonly groupsById = new Map<string, Group>()
  private readonly mutex = new Mutex()
  private readonly held = new Map<string, HeldKeyPackage>()
  private recordVersion = 0
  private readonly recordMutex = new Mutex()
  private preKeys!: ClientPreKeys
  private mailbox: Subscription | undefined
  private mailboxLoop: Promise<void> | undefined
  private inboxCheckpoint!: Checkpoint
  private closed = false
  private groupWaiters: { id: string; resolve: (g: Group) => void; reject: (e: unknown) => void }[] = []
  private readonly listeners = { joined: [] as ((g: Group) => void)[], rejected: [] as ((r: RejectedEntry) => void)[] }
  private readonly config: Partial<GroupConfig>
  /** ClientOptions.now, checked on every reading (read outside an entry's processing: a broken clock stops the group, it rejects no entry). */
  private readonly clock = (): number => {
    const t: unknown = (this.opts.now ?? Date.now)()
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > Number.MAX_SAFE_INTEGER) {
      throw new TalosError('GROUP_INVALID_ARGUMENT', `the clock returned ${String(t)}`)
    }
    return Math.floor(t)
  }

  private constructor(
    readonly did: string,
    private readonly delivery: DeliveryService,
    private readonly store: StateStore,
    private record: ClientRecord,
    private readonly opts: ClientOptions,
    private audit: AuditLog,
  ) {
    this.config = { authService: opts.authService ?? didAuthenticationService(), handshake: 'private' }
  }

  /** Opens the client of `did` from `store`, creating and publishing its keys on first use, and resumes its groups. */
  static async create(opts: ClientOptions): Promise<Client> {
    if (opts === null || typeof opts !== 'object') throw new TalosError('GROUP_INVALID_ARGUMENT', 'Client.create takes options')
    const { did, delivery, store } = opts
    if (typeof did !== 'string' || !isTalosDid(did) || !isDid(did)) {
      throw new TalosError('GROUP_INVALID_DID', `${typeof did === 'string' ? JSON.stringify(did.slice(0, 64)) : typeof did} is not a did:talos DID`)
    }
    if (delivery === null || typeof delivery !== 'object' || typeof delivery.publish !== 'function') {
      throw new TalosError('GROUP_INVALID_ARGUMENT', 'delivery must be a DeliveryService')
    }
    if (store === null || typeof store !== 'object' || typeof store.put !== 'function') {
      throw new TalosError('GROUP_INVALID_ARGUMENT', 'store must be a StateStore')
    }
    const batch = opts.keyPackages ?? DEFAULT_KEY_PACKAGES
    if (!Number.isInteger(batch) || batch < 1 || batch > 100) throw new TalosError('GROUP_INVALID_ARGUMENT', 'keyPackages must be 1..100')
    checkEvictIdleAfterMs(opts.evictIdleAfterMs)
    if (opts.now !== undefined && typeof opts.now !== 'function') throw new TalosError('GROUP_INVALID_ARGUMENT', 'now must be a function')
    const suiteId = opts.cipherSuite ?? DEFAULT_SUITE
    const suite = getCipherSuite(suiteId)
    const prefix = `c/${token(did)}/`

    const stored = await store.get(prefix + 'client')
    let record: ClientRecord
    let version = 0
    let fresh = false
    if (stored === undefined) {
      const kp = suite.generateSignatureKeyPair()
      record = ClientRecord.create({ did, cipherSuite: suiteId, signaturePrivate: kp.privateKey, signaturePublic: kp.publicKey, keyPackages: [] })
      fresh = true
    } else {
      try {
        record = decodeProto(ClientRecord, stored.bytes, { maxBytes: 16 * 1024 * 1024 })
      } catch (e) {
        throw new TalosError('GROUP_STATE_CORRUPT', `client record does not decode: ${(e as Error).message}`)
      }
      if (record.did !== did) throw new TalosError('GROUP_STATE_CORRUPT', 'the stored client record is for another DID')
      version = stored.version
    }
    const audit = await AuditLog.open(
      await StoreAuditStorage.open(store, prefix + 'a/'),
      ed25519AuditSigner(did, record.signaturePrivate),
      opts.now === undefined ? {} : { now: opts.now },
    )
    const client = new Client(did, delivery, store, record, opts, audit)
    client.recordVersion = version
    for (const s of record.keyPackages) client.hold(s)
    client.preKeys = ClientPreKeys.open(record)
    if (fresh) {
      await client.saveRecord()
      await delivery.directory.setLastResort(did, IDENTITY_KIND, record.signaturePublic)
    }
    await client.topUpKeyPackages(batch, fresh)
    await client.topUpPreKeys(batch, fresh)
    await client.restoreGroups()
    await client.startMailbox()
    return client
  }

  private get prefix(): string {
    return `c/${token(this.did)}/`
  }

  /** This client's Ed25519 identity key (MLS signature key, audit and capability signer). */
  get publicKey(): Uint8Array {
    return this.record.signaturePublic.slice()
  }

  private signer(): CapabilitySigner {
    const priv = this.record.signaturePrivate
    return { did: this.did, sign: (m) => ed25519.sign(priv, m) }
  }

  private saveRecord(): Promise<void> {
    return this.recordMutex.run(async () => {
      this.recordVersion = await this.store.put(this.prefix + 'client', encodeProto(ClientRecord, this.record), this.recordVersion)
    })
  }

  /** Saves the client record if a session consumed one of our one-time prekeys (after the group state that used it). */
  private async flushPreKeys(): Promise<void> {
    if (this.preKeys.takeDirty()) await this.saveRecord()
  }

  /** Keeps `batch` one-time prekey bundles published, and a last-resort bundle. */
  private async topUpPreKeys(batch: number, fresh: boolean): Promise<void> {
    const published = fresh ? 0 : await this.delivery.directory.countOneTime(this.did, PREKEY_BUNDLE_KIND)
    const missing = Math.max(0, batch - published)
    if (missing === 0 && !fresh) return
    const { oneTime, lastResort } = this.preKeys.newBundles(missing)
    await this.saveRecord()
    if (oneTime.length > 0) await this.delivery.directory.addOneTime(this.did, PREKEY_BUNDLE_KIND, oneTime.map(encodePreKeyBundle))
    await this.delivery.directory.setLastResort(this.did, PREKEY_BUNDLE_KIND, encodePreKeyBundle(lastResort))
  }

  private skDeps(): SenderKeysDeps {
    return {
      did: this.did,
      identity: this.preKeys.identity,
      preKeys: this.preKeys,
      claimBundle: async (did) => ((await this.claim(did, 'sender-keys')).material as SkTicket).bundle,
      acceptIdentity: (did, identityKey) => this.config.authService!(basicCredential(did), identityKey),
    }
  }

  private hold(s: KeyPackageSecret): void {
    const encoded = decodeMLSMessageKeyPackage(s.keyPackage)
    const ref = keyPackageRef(getCipherSuite(encoded.value.cipherSuite), encoded.bytes)
    this.held.set(toHex(ref), { secret: s, encoded })
  }

  private async newKeyPackage(lastResort: boolean): Promise<KeyPackageSecret> {
    const b = await generateKeyPackage({
      cipherSuite: this.record.cipherSuite,
      credential: basicCredential(this.did),
      signatureKeyPair: { privateKey: this.record.signaturePrivate.slice(), publicKey: this.record.signaturePublic },
    })
    return { keyPackage: keyPackageMessage(b.keyPackage), initPrivate: b.initPriv, encryptionPrivate: b.encryptionPriv, lastResort }
  }

  /** Keeps `batch` one-time KeyPackages published (and one last-resort); private keys are stored first. */
  private async topUpKeyPackages(batch: number, fresh: boolean): Promise<void> {
    const published = fresh ? 0 : await this.delivery.directory.countOneTime(this.did, KEY_PACKAGE_KIND)
    const needLastResort = !this.record.keyPackages.some((k) => k.lastResort)
    const missing = Math.max(0, batch - published)
    if (missing === 0 && !needLastResort) return
    const fresh1: KeyPackageSecret[] = []
    for (let i = 0; i < missing; i++) fresh1.push(await this.newKeyPackage(false))
    const last = needLastResort ? await this.newKeyPackage(true) : undefined
    this.record.keyPackages.push(...fresh1, ...(last ? [last] : []))
    for (const s of [...fresh1, ...(last ? [last] : [])]) this.hold(s)
    await this.saveRecord()
    if (fresh1.length > 0) await this.delivery.directory.addOneTime(this.did, KEY_PACKAGE_KIND, fresh1.map((s) => s.keyPackage))
    if (last) await this.delivery.directory.setLastResort(this.did, KEY_PACKAGE_KIND, last.keyPackage)
  }

  private engineOptions() {
    return { did: this.did, config: this.config, hybridPolicy: this.opts.hybridPolicy }
  }

  private deps(): GroupDeps {
    return {
      did: this.did,
      delivery: this.delivery,
      store: this.store,
      audit: this.audit,
      signer: this.signer(),
      capabilityPolicy: this.opts.capabilityPolicy,
      now: this.clock,
      evictIdleAfterMs: this.opts.evictIdleAfterMs,
      claim: (did, protocol) => this.claim(did, protocol),
      afterPersist: () => this.flushPreKeys(),
      forget: (g) => {
        this.groupsById.delete(g.id)
      },
    }
  }

  /** What adding `did` to a `protocol` group takes from the directory, verified. */
  private async claim(did: string, protocol: GroupProtocol): Promise<AddTicket> {
    checkDid(did)
    if (protocol === 'mls' || protocol === 'hybrid') return { did, material: await this.claimKeyPackage(did) }
    const claimed = await this.delivery.directory.claim(did, PREKEY_BUNDLE_KIND)
    if (claimed === undefined) throw new TalosError('GROUP_UNKNOWN_DID', `${did} has published no prekey bundle`)
    let bundle: PreKeyBundle
    try {
      bundle = decodePreKeyBundle(claimed.item)
    } catch (e) {
      throw new TalosError('GROUP_INVALID_KEY_PACKAGE', `the prekey bundle published for ${did} is not usable: ${(e as Error).message}`)
    }
    const ticket: SkTicket = { bundle, identityKey: bundle.identity!.signingKey }
    // The directory's word binds the bundle to `did`; the AuthenticationService decides whether that binding is acceptable, as for a KeyPackage.
    if (!this.config.authService!(basicCredential(did), ticket.identityKey)) {
      throw new TalosError('GROUP_IDENTITY_REJECTED', `the authentication service refuses the identity key published for ${did}`)
    }
    return { did, material: ticket }
  }

  /** A verified KeyPackage of `did` from the directory (one-time ones are handed out once). */
  async claimKeyPackage(did: string): Promise<Encoded<KeyPackage>> {
    checkDid(did)
    const claimed = await this.delivery.directory.claim(did, KEY_PACKAGE_KIND)
    if (claimed === undefined) throw new TalosError('GROUP_UNKNOWN_DID', `${did} has published no KeyPackage`)
    let kp: Encoded<KeyPackage>
    try {
      kp = decodeMLSMessageKeyPackage(claimed.item)
      validateKeyPackage(kp, { authService: this.config.authService!, cipherSuite: this.record.cipherSuite })
    } catch (e) {
      throw new TalosError('GROUP_INVALID_KEY_PACKAGE', `the KeyPackage published for ${did} is not usable: ${(e as Error).message}`)
    }
    if (didOf(kp.value.leafNode.credential) !== did) {
      throw new TalosError('GROUP_INVALID_KEY_PACKAGE', `the KeyPackage published for ${did} names another identity`)
    }
    return kp
  }

  // --- groups --------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new TalosError('GROUP_CLOSED', 'the client is closed')
  }

  async createGroup(options: CreateGroupOptions): Promise<Group> {
    this.ensureOpen()
    if (options === null || typeof options !== 'object') throw new TalosError('GROUP_INVALID_ARGUMENT', 'createGroup takes options')
    const { name, members, protocol } = options
    if (!GROUP_PROTOCOLS.includes(protocol)) throw new TalosError('GROUP_INVALID_PROTOCOL', `protocol must be one of ${GROUP_PROTOCOLS.join(', ')}`)
    if (!SUPPORTED_PROTOCOLS.includes(protocol)) {
      throw new TalosError('GROUP_UNSUPPORTED_PROTOCOL', `protocol '${protocol}' is not available through the Client yet`)
    }
    if (typeof name !== 'string' || new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
      throw new TalosError('GROUP_INVALID_ARGUMENT', `name must be a string of at most ${MAX_NAME_BYTES} bytes`)
    }
    if (!Array.isArray(members) || members.length > MAX_INITIAL_MEMBERS) {
      throw new TalosError('GROUP_INVALID_ARGUMENT', `members must be an array of at most ${MAX_INITIAL_MEMBERS} DIDs`)
    }
    const unique = new Set<string>()
    for (const m of members) {
      checkDid(m)
      if (m === this.did) continue
      if (unique.has(m)) throw new TalosError('GROUP_INVALID_ARGUMENT', `${m} is listed twice`)
      unique.add(m)
    }
    const claimed: AddTicket[] = []
    for (const did of unique) claimed.push(await this.claim(did, protocol))

    let engine: ProtocolEngine
    if (protocol === 'sender-keys') {
      engine = SenderKeysEngine.create(this.skDeps(), randomBytes(16))
    } else if (protocol === 'coordinator') {
      engine = CoordinatorEngine.create(this.skDeps(), randomBytes(16))
    } else {
      const mls = await MlsEngine.createGroup({
        ...this.engineOptions(),
        cipherSuite: this.record.cipherSuite,
        signatureKeyPair: { privateKey: this.record.signaturePrivate.slice(), publicKey: this.record.signaturePublic },
      })
      engine = protocol === 'hybrid' ? await HybridEngine.open(mls, this.engineOptions()) : await MlsEngine.open(mls, this.engineOptions())
    }
    const group = await this.register(engine, name, 0, engine.epoch, 0n)
    await group.addInitial(claimed)
    return group
  }

  private async register(
    engine: ProtocolEngine,
    name: string,
    lastSeq: number,
    membershipEpoch: bigint,
    nextCommitEpoch: bigint,
    beforeStart?: (g: Group) => Promise<void>,
    pendingPublish: Uint8Array[] = [],
  ): Promise<Group> {
    const fields = {
      protocol: engine.protocol,
      engine,
      name,
      membershipEpoch,
      pending: undefined,
      inbox: [],
      outbox: [],
      capabilities: new Map(),
      consumedSeq: 0,
      leaving: new Set<string>(),
      nextCommitEpoch,
      pendingPublish,
    }
    const cp = await Checkpoint.create(this.store, this.groupKey(engine.groupId), lastSeq, Group.encodeRecordOf(fields))
    const group = new Group(this.deps(), engine, cp, name, membershipEpoch, undefined, [], [], new Map(), 0, new Set(), nextCommitEpoch, [...pendingPublish])
    await beforeStart?.(group)
    this.adopt(group)
    return group
  }

  private groupKey(groupId: Uint8Array): string {
    return `${this.prefix}g/${token(groupId)}`
  }

  private adopt(group: Group): void {
    this.groupsById.set(group.id, group)
    group.on('rejected', (r) => this.emitRejected(r))
    group.start()
    for (const l of this.listeners.joined) {
      try {
        l(group)
      } catch {
        // The application's listener: its failure must not undo or break the join.
      }
    }
    const ready = this.groupWaiters.filter((w) => w.id === group.id)
    this.groupWaiters = this.groupWaiters.filter((w) => w.id !== group.id)
    for (const w of ready) w.resolve(group)
  }

  private async restoreGroups(): Promise<void> {
    for (const key of await this.store.list(this.prefix + 'g/')) {
      const loaded = await Checkpoint.load(this.store, key)
      if (loaded === undefined) continue
      const r = Group.decodeRecord(loaded.value.record)
      const protocol = WIRE_PROTOCOL.get(r.protocol)
      if (protocol === undefined) throw new TalosError('GROUP_STATE_CORRUPT', `${key}: unknown protocol`)
      const state = { mls: r.mlsState, hybrid: r.hybridState }
      const engine =
        protocol === 'sender-keys'
          ? SenderKeysEngine.restore(this.skDeps(), state)
          : protocol === 'coordinator'
            ? CoordinatorEngine.restore(this.skDeps(), state)
            : protocol === 'hybrid'
            ? HybridEngine.restore(state, this.engineOptions())
            : MlsEngine.restore(state, this.engineOptions())
      const caps = new Map(r.capabilities.filter((c) => c.grant !== undefined).map((c) => [toHex(grantHash(c.grant!)), c]))
      const group = new Group(
        this.deps(),
        engine,
        loaded.checkpoint,
        r.name,
        r.membershipEpoch,
        r.pending,
        r.inbox,
        r.outbox,
        caps,
        Number(r.consumedSeq),
        new Set(r.leaving),
        r.nextCommitEpoch,
        r.pendingPublish,
        r.activity,
      )
      this.adopt(group)
    }
  }

  /** The group with this id (hex), if this client is a member. */
  group(id: string): Group | undefined {
    return this.groupsById.get(id)
  }

  groups(): Group[] {
    return [...this.groupsById.values()]
  }

  /** Resolves once this client holds group `id` (created, joined through an invitation, or restored). */
  waitForGroup(id: string): Promise<Group> {
    // Any other type could never match an id: the promise would never settle.
    if (typeof id !== 'string') return Promise.reject(new TalosError('GROUP_INVALID_ARGUMENT', 'a group id is a hex string'))
    const g = this.groupsById.get(id)
    if (g !== undefined) return Promise.resolve(g)
    this.ensureOpen()
    return new Promise((resolve, reject) => this.groupWaiters.push({ id, resolve, reject }))
  }

  on(event: 'joined', listener: (g: Group) => void): void
  on(event: 'rejected', listener: (r: RejectedEntry) => void): void
  on(event: 'joined' | 'rejected', listener: ((g: Group) => void) | ((r: RejectedEntry) => void)): void {
    checkListener(this.listeners, event, listener)
    ;(this.listeners[event] as unknown[]).push(listener)
  }

  private emitRejected(r: RejectedEntry): void {
    for (const l of this.listeners.rejected) {
      try {
        l(r)
      } catch {
        // the application's listener
      }
    }
  }

  // --- mailbox -------------------------------------------------------------

  private async startMailbox(): Promise<void> {
    const key = this.prefix + 'inbox'
    const loaded = await Checkpoint.load(this.store, key)
    this.inboxCheckpoint = loaded?.checkpoint ?? (await Checkpoint.create(this.store, key, 0, new Uint8Array(0)))
    this.mailbox = await this.delivery.subscribeDirect(this.did, { after: this.inboxCheckpoint.lastSeq })
    this.mailboxLoop = this.readMailbox(this.mailbox)
  }

  private async readMailbox(sub: Subscription): Promise<void> {
    try {
      for await (const d of sub) {
        if (this.closed) break
        await this.mutex.run(() => this.handleDirect(d))
      }
    } catch (e) {
      if (!this.closed) this.emitRejected({ seq: -1, error: isTalosError(e) ? e : new TalosError('GROUP_INTERNAL', String(e)) })
    }
  }

  private async handleDirect(d: Delivery): Promise<void> {
    if (d.seq <= this.inboxCheckpoint.lastSeq) {
      await d.ack()
      return
    }
    let rejected: TalosError | undefined
    try {
      let msg: DirectMessage
      try {
        msg = decodeProto(DirectMessage, d.bytes, { maxBytes: this.delivery.maxEnvelopeBytes })
      } catch (e) {
        throw new TalosError('GROUP_MALFORMED_ENVELOPE', `undecodable mailbox entry: ${(e as Error).message}`)
      }
      if (msg.body?.case !== 'invite') throw new TalosError('GROUP_MALFORMED_ENVELOPE', 'empty mailbox entry')
      await this.acceptInvite(msg.body.value)
    } catch (e) {
      if (!isTalosError(e) || e.code.startsWith('STORE_')) throw e
      rejected = e
    }
    await this.inboxCheckpoint.advance(d.seq, new Uint8Array(0))
    if (rejected !== undefined) this.emitRejected({ seq: d.seq, error: rejected })
    await d.ack()
  }

  private async acceptInvite(inv: GroupInvite): Promise<void> {
    const protocol = WIRE_PROTOCOL.get(inv.protocol)
    if (protocol === undefined) throw new TalosError('GROUP_UNSUPPORTED_PROTOCOL', 'invitation for an unsupported protocol')
    if (inv.groupId.length === 0 || inv.groupId.length > MAX_GROUP_ID_BYTES) throw new TalosError('GROUP_MALFORMED_INVITE', 'bad group id')
    if (new TextEncoder().encode(inv.name).length > MAX_NAME_BYTES) throw new TalosError('GROUP_MALFORMED_INVITE', 'group name too long')
    if (inv.commitSeq > BigInt(Number.MAX_SAFE_INTEGER)) throw new TalosError('GROUP_MALFORMED_INVITE', 'bad commit seq')
    if (!isDid(inv.inviter)) throw new TalosError('GROUP_MALFORMED_INVITE', 'inviter is not a DID')
    const id = toHex(inv.groupId)
    if (this.groupsById.has(id) || (await this.store.get(this.groupKey(inv.groupId))) !== undefined) return
    if (protocol === 'sender-keys' || protocol === 'coordinator') {
      // Checked before joining, which claims other members' prekey bundles: the key is the
      // one the SkInvite gives the inviter (join then checks the SkInvite's own signature with it).
      const inviterKey = decodeInvite(inv.welcome, protocol).members.find((m) => m.did === inv.inviter)?.identityKey
      if (!inviteSignatureValid(inv, inviterKey)) throw badInviteSignature()
      const join = protocol === 'sender-keys' ? SenderKeysEngine.join : CoordinatorEngine.join
      const { engine, replies } = await join(this.skDeps(), inv.groupId, inv.welcome, inv.inviter)
      // Our first protocol messages go out before the application can send anything in the group.
      await this.register(
        engine,
        inv.name,
        Number(inv.commitSeq),
        engine.epoch,
        inv.nextCommitEpoch,
        async (g) => {
          await this.audit.append(memberAddedEvent({ groupId: g.idBytes, sender: inv.inviter, epoch: g.epoch, member: this.did }))
          await g.publishReplies()
        },
        replies,
      )
      await this.flushPreKeys()
      return
    }
    let welcome
    try {
      const m = decodeMLSMessage(inv.welcome)
      if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
      welcome = m.welcome
    } catch (e) {
      throw new TalosError('GROUP_MALFORMED_INVITE', `invitation without a Welcome: ${(e as Error).message}`)
    }
    let held: HeldKeyPackage | undefined
    let heldRef = ''
    for (const s of welcome.secrets) {
      heldRef = toHex(s.newMember)
      held = this.held.get(heldRef)
      if (held !== undefined) break
    }
    if (held === undefined) throw new TalosError('GROUP_NO_KEY_PACKAGE', 'the Welcome is for none of our KeyPackages')
    const mls = await MlsGroup.join({
      welcome,
      keyPackage: held.encoded,
      secrets: {
        initPriv: held.secret.initPrivate.slice(),
        encryptionPriv: held.secret.encryptionPrivate.slice(),
        signaturePriv: this.record.signaturePrivate.slice(),
      },
      config: this.config,
    })
    if (!bytesEqual(mls.groupId, inv.groupId)) {
      mls.destroy()
      throw new TalosError('GROUP_MALFORMED_INVITE', 'the Welcome is for another group than the invitation names')
    }
    const engine = protocol === 'hybrid' ? await HybridEngine.open(mls, this.engineOptions()) : await MlsEngine.open(mls, this.engineOptions())
    if (!engine.isMember(inv.inviter)) {
      engine.destroy()
      throw new TalosError('GROUP_MALFORMED_INVITE', 'the inviter is not a member of the group')
    }
    // The inviter's key is the one the Welcome's tree binds to it; nothing is kept before this check.
    if (!inviteSignatureValid(inv, engine.publicKeyOf(inv.inviter))) {
      engine.destroy()
      throw badInviteSignature()
    }
    // Our join is the first entry this group adds to our audit log (before anything we send in it).
    await this.register(engine, inv.name, Number(inv.commitSeq), engine.epoch, inv.nextCommitEpoch, (g) =>
      this.audit.append(memberAddedEvent({ groupId: g.idBytes, sender: inv.inviter, epoch: g.epoch, member: this.did })).then(() => undefined),
    )
    if (!held.secret.lastResort) {
      this.record.keyPackages = this.record.keyPackages.filter((k) => k !== held!.secret)
      this.held.delete(heldRef)
      await this.saveRecord()
      await this.topUpKeyPackages(this.opts.keyPackages ?? DEFAULT_KEY_PACKAGES, false).catch(() => undefined)
    }
  }

  // --- capabilities and audit ---------------------------------------------

  /**
   * Grants group `groupId` the capability `scope`. With requireConsensus the
   * grant is valid once every current member approved it through the group;
   * a membership change first makes it void. `status()` is the pure check.
   */
  async grantGroupCapability(options: { groupId: string | Uint8Array; scope: string; requireConsensus: boolean }): Promise<GroupCapability> {
    this.ensureOpen()
    if (options === null || typeof options !== 'object') throw new TalosError('GROUP_INVALID_ARGUMENT', 'grantGroupCapability takes options')
    const id = options.groupId instanceof Uint8Array ? toHex(options.groupId) : options.groupId
    const group = typeof id === 'string' ? this.groupsById.get(id) : undefined
    if (group === undefined) throw new TalosError('GROUP_NOT_A_MEMBER', `${this.did} is not a member of that group`)
    return group.grantCapability(options.scope, options.requireConsensus)
  }

  /** This client's audit entries, oldest first. */
  auditEntries(): Promise<AuditEntry[]> {
    return this.audit.entries()
  }

  /** The newest (seq, hash) of the audit log: hand it to whoever must later detect truncation or rewrites. */
  auditHead(): AuditCheckpoint | undefined {
    return this.audit.head()
  }

  /** verifyAuditLog over this client's stored log with its own key (and optional checkpoints). */
  async verifyAudit(checkpoints: readonly AuditCheckpoint[] = []): Promise<AuditVerification> {
    const pub = this.record.signaturePublic
    let entries: AuditEntry[]
    try {
      entries = await this.audit.entries()
    } catch (e) {
      return { ok: false, index: 0, reason: 'malformed', message: (e as Error).message }
    }
    return verifyAuditLog(entries, (d) => (d === this.did ? pub : undefined), { checkpoints })
  }

  /** Stops every loop; state stays in the store (Client.create resumes). Does not close the delivery service. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const w of this.groupWaiters) w.reject(new TalosError('GROUP_CLOSED', 'the client is closed'))
    this.groupWaiters = []
    await this.mailbox?.close().catch(() => undefined)
    await this.mutex.run(async () => undefined)
    await Promise.all([...this.groupsById.values()].map((g) => g.close()))
    await this.mailboxLoop?.catch(() => undefined)
  }
}

function badInviteSignature(): TalosError {
  return new TalosError('GROUP_MALFORMED_INVITE', "the inviter's signature on the invitation does not verify")
}
