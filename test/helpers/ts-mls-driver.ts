/**
 * A thin driver over ts-mls 1.6.4, the peer MLS implementation used by the
 * interop tests (test/interop) and the peer benchmark (bench/peers/ts-mls.ts).
 *
 * Everything that crosses the driver boundary is RFC 9420 wire bytes (an
 * encoded MLSMessage): KeyPackages, Welcomes, commits and application messages
 * go in and come out as `Uint8Array`, so the same bytes can be handed to our
 * implementation unchanged.
 *
 * ts-mls states are immutable values: every operation returns a new
 * ClientState and leaves the old one intact. A `TsMlsMember` holds the current
 * state and replaces it after each operation; `fork()` returns a second member
 * sharing the same (immutable) state, which lets a benchmark repeat an
 * operation from one fixed starting point.
 *
 * Suites: 1 (X25519 / AES-128-GCM / SHA-256 / Ed25519) and 3 (X25519 /
 * ChaCha20-Poly1305 / SHA-256 / Ed25519). Any RFC 9420 suite id ts-mls knows
 * also works, given the extra packages ts-mls needs for it.
 */
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createProposal,
  createGroupInfoWithExternalPubAndRatchetTree,
  joinGroupExternal,
  createGroup as tsCreateGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  makePskIndex,
  mlsExporter,
  nobleCryptoProvider,
  processMessage,
  processPrivateMessage,
  type Capabilities,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
  type Credential,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  type RatchetTree,
} from 'ts-mls'
import { createGroupInfo } from 'ts-mls/createCommit.js'
import { encodeRatchetTree } from 'ts-mls/ratchetTree.js'

const SUITE_NAMES: Record<number, CiphersuiteName> = {
  1: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  2: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
  3: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
  4: 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
  5: 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
  6: 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
  7: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
}

/**
 * ts-mls's two crypto providers: 'default' (WebCrypto for hashes, HMAC and
 * Ed25519 where the runtime has them, @hpke/core for HPKE) and 'noble'
 * (pure-JS @noble for everything).
 */
export type TsMlsProvider = 'default' | 'noble'

const impls = new Map<string, Promise<CiphersuiteImpl>>()

/** ts-mls's cipher suite implementation for an RFC 9420 suite id, cached per provider. */
export function tsMlsSuite(suite: number, provider: TsMlsProvider = 'default'): Promise<CiphersuiteImpl> {
  const name = SUITE_NAMES[suite]
  if (name === undefined) throw new Error(`ts-mls driver: unknown cipher suite ${suite}`)
  const key = `${suite}/${provider}`
  let p = impls.get(key)
  if (p === undefined) {
    const cs = getCiphersuiteFromName(name)
    p = provider === 'noble' ? getCiphersuiteImpl(cs, nobleCryptoProvider) : getCiphersuiteImpl(cs)
    impls.set(key, p)
  }
  return p
}

const utf8 = new TextEncoder()

/** RFC 9420 §2.1.2 variable-length vector: a QUIC-style varint length, then the bytes. */
function withVarintLength(b: Uint8Array): Uint8Array {
  const n = b.length
  const head = n < 0x40 ? [n] : n < 0x4000 ? [0x40 | (n >> 8), n & 0xff] : [0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
  const out = new Uint8Array(head.length + n)
  out.set(head)
  out.set(b, head.length)
  return out
}

export interface TsMlsKeyPackage {
  readonly suite: number
  readonly provider: TsMlsProvider
  readonly identity: Uint8Array
  readonly publicPackage: KeyPackage
  readonly privatePackage: PrivateKeyPackage
  /** The KeyPackage as an encoded MLSMessage (wire_format mls_key_package). */
  readonly bytes: Uint8Array
}

export interface KeyPackageOptions {
  /** Capabilities of the leaf; ts-mls's default lists every suite it knows plus GREASE values. */
  readonly capabilities?: Capabilities
  /** ts-mls crypto provider (default 'default'). */
  readonly provider?: TsMlsProvider
}

/** A fresh KeyPackage with a basic credential holding `identity` (a string is UTF-8 encoded). */
export async function createKeyPackage(
  suite: number,
  identity: string | Uint8Array,
  opts: KeyPackageOptions = {},
): Promise<TsMlsKeyPackage> {
  const provider = opts.provider ?? 'default'
  const impl = await tsMlsSuite(suite, provider)
  const id = typeof identity === 'string' ? utf8.encode(identity) : identity
  const credential: Credential = { credentialType: 'basic', identity: id }
  const kp = await generateKeyPackage(credential, opts.capabilities ?? defaultCapabilities(), defaultLifetime, [], impl)
  const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage })
  return { suite, provider, identity: id, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage, bytes }
}

/** Decodes one whole MLSMessage; throws on trailing bytes or a decode failure. */
export function decodeMessage(bytes: Uint8Array): MLSMessage {
  const r = decodeMlsMessage(bytes, 0)
  if (r === undefined) throw new Error('ts-mls driver: MLSMessage does not decode')
  const [msg, used] = r
  if (used !== bytes.length) throw new Error(`ts-mls driver: ${bytes.length - used} trailing bytes after the MLSMessage`)
  return msg
}

export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const m = decodeMessage(bytes)
  if (m.wireformat !== 'mls_key_package') throw new Error(`ts-mls driver: expected a KeyPackage, got ${m.wireformat}`)
  return m.keyPackage
}

export interface CommitOptions {
  /** Send the commit as a PublicMessage (default: PrivateMessage, ts-mls's default). */
  readonly publicMessage?: boolean
  /** Put the ratchet tree in the Welcome's GroupInfo (default true, so joiners need nothing out of band). */
  readonly ratchetTreeExtension?: boolean
}

export interface CommitOutput {
  /** The commit as an encoded MLSMessage, to be processed by every other member. */
  readonly commit: Uint8Array
  /** The Welcome as an encoded MLSMessage when the commit added members. */
  readonly welcome?: Uint8Array
}

export interface Received {
  readonly kind: 'application' | 'commit' | 'proposal'
  /** The plaintext, for an application message. */
  readonly data?: Uint8Array
}

/** One ts-mls group member: the current ClientState plus the suite it runs. */
export class TsMlsMember {
  /** External PSKs this member knows, by base64 of the psk_id (ts-mls's PskIndex convention). */
  readonly externalPsks: Record<string, Uint8Array> = {}

  constructor(
    public state: ClientState,
    readonly impl: CiphersuiteImpl,
    readonly suite: number,
  ) {}

  /** A second member over the same immutable state: both can advance independently. */
  fork(): TsMlsMember {
    const f = new TsMlsMember(this.state, this.impl, this.suite)
    Object.assign(f.externalPsks, this.externalPsks)
    return f
  }

  /** Makes an external PSK known to this member (for commits that name it). */
  addExternalPsk(pskId: Uint8Array, psk: Uint8Array): void {
    this.externalPsks[Buffer.from(pskId).toString('base64')] = psk
  }

  /** Our external PSKs and this group's resumption PSKs (current and retained epochs). */
  private pskIndex() {
    return makePskIndex(this.state, this.externalPsks)
  }

  /** Commits a PreSharedKey proposal for an external PSK (known to every member) by value. */
  commitExternalPsk(pskId: Uint8Array, opts: CommitOptions = {}): Promise<CommitOutput> {
    return this.commit(
      [{ proposalType: 'psk', psk: { preSharedKeyId: { psktype: 'external', pskId, pskNonce: crypto.getRandomValues(new Uint8Array(this.impl.kdf.size)) } } }],
      opts,
    )
  }

  /** Commits a PreSharedKey proposal for this group's resumption PSK of `epoch` (usage application) by value. */
  commitResumptionPsk(epoch: bigint, opts: CommitOptions = {}): Promise<CommitOutput> {
    return this.commit(
      [
        {
          proposalType: 'psk',
          psk: {
            preSharedKeyId: {
              psktype: 'resumption',
              usage: 'application',
              pskGroupId: this.state.groupContext.groupId,
              pskEpoch: epoch,
              pskNonce: crypto.getRandomValues(new Uint8Array(this.impl.kdf.size)),
            },
          },
        },
      ],
      opts,
    )
  }

  get epoch(): bigint {
    return this.state.groupContext.epoch
  }

  get groupId(): Uint8Array {
    return this.state.groupContext.groupId
  }

  get epochAuthenticator(): Uint8Array {
    return this.state.keySchedule.epochAuthenticator
  }

  get leafIndex(): number {
    return this.state.privatePath.leafIndex
  }

  /** False once a processed commit removed this member. */
  get active(): boolean {
    return this.state.groupActiveState.kind === 'active'
  }

  get ratchetTree(): RatchetTree {
    return this.state.ratchetTree
  }

  /** Identities of the current members by leaf index (undefined for a blank leaf). */
  members(): (Uint8Array | undefined)[] {
    const out: (Uint8Array | undefined)[] = []
    const tree = this.state.ratchetTree
    for (let i = 0; i < tree.length; i += 2) {
      const n = tree[i]
      if (n === undefined || n.nodeType !== 'leaf') {
        out.push(undefined)
        continue
      }
      const c = n.leaf.credential
      out.push(c.credentialType === 'basic' ? c.identity : new Uint8Array(0))
    }
    return out
  }

  /** The leaf index of the member whose basic credential holds `identity`, or throws. */
  leafOf(identity: string | Uint8Array): number {
    const id = typeof identity === 'string' ? utf8.encode(identity) : identity
    const i = this.members().findIndex((m) => m !== undefined && Buffer.from(m).equals(Buffer.from(id)))
    if (i < 0) throw new Error('ts-mls driver: no member with that identity')
    return i
  }

  /**
   * The state that another member, at `leaf` and holding `keyPackage`'s
   * private keys, has in this epoch, provided it joined by that KeyPackage and
   * has not committed or been updated since: the same public group state with
   * only its own leaf key and signature key. For benchmark set-up (driving a
   * member that never joined for real); it cannot decrypt path secrets sent to
   * its ancestors, so use it to commit, not to process commits.
   */
  asMember(leaf: number, keyPackage: TsMlsKeyPackage): TsMlsMember {
    const state: ClientState = {
      ...this.state,
      privatePath: { leafIndex: leaf, privateKeys: { [2 * leaf]: keyPackage.privatePackage.hpkePrivateKey } },
      signaturePrivateKey: keyPackage.privatePackage.signaturePrivateKey,
      unappliedProposals: {},
    }
    return new TsMlsMember(state, this.impl, this.suite)
  }

  /**
   * A signed GroupInfo of this epoch with external_pub and the ratchet tree
   * (MLSMessage), for external joiners. ts-mls 1.6.4 writes the external_pub
   * extension_data as the bare public key, where RFC 9420 §12.4.3.2 has
   * `struct { HPKEPublicKey external_pub; }` (HPKEPublicKey is opaque<V>, so a
   * length prefix). `rfcExternalPub` builds the GroupInfo with the RFC
   * encoding instead (signed by this member with ts-mls's own GroupInfo code).
   */
  async groupInfo(opts: { rfcExternalPub?: boolean } = {}): Promise<Uint8Array> {
    if (!opts.rfcExternalPub) {
      const gi = await createGroupInfoWithExternalPubAndRatchetTree(this.state, [], this.impl)
      return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo: gi })
    }
    const kp = await this.impl.hpke.deriveKeyPair(this.state.keySchedule.externalSecret)
    const pub = await this.impl.hpke.exportPublicKey(kp.publicKey)
    const gi = await createGroupInfo(
      this.state.groupContext,
      this.state.confirmationTag,
      this.state,
      [
        { extensionType: 'external_pub', extensionData: withVarintLength(pub) },
        { extensionType: 'ratchet_tree', extensionData: encodeRatchetTree(this.state.ratchetTree) },
      ],
      this.impl,
    )
    return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo: gi })
  }

  /** MLS-Exporter(label, context, length) of the current epoch. */
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    return mlsExporter(this.state.keySchedule.exporterSecret, label, context, length, this.impl)
  }

  /** Sends a proposal (PrivateMessage unless `publicMessage`) and caches it for our next commit; returns the MLSMessage. */
  async propose(proposal: Proposal, opts: { publicMessage?: boolean } = {}): Promise<Uint8Array> {
    const r = await createProposal(this.state, opts.publicMessage ?? false, proposal, this.impl)
    this.state = r.newState
    return encodeMlsMessage(r.message)
  }

  /** Proposes the removal of `leaf`. */
  proposeRemove(leaf: number, opts: { publicMessage?: boolean } = {}): Promise<Uint8Array> {
    return this.propose({ proposalType: 'remove', remove: { removed: leaf } }, opts)
  }

  /** Proposes adding the member of `keyPackage` (an encoded MLSMessage). */
  proposeAdd(keyPackage: Uint8Array, opts: { publicMessage?: boolean } = {}): Promise<Uint8Array> {
    return this.propose({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(keyPackage) } }, opts)
  }

  /** Commits Add proposals for every KeyPackage (encoded MLSMessages); returns the commit and the Welcome. */
  async add(keyPackages: readonly Uint8Array[], opts: CommitOptions = {}): Promise<CommitOutput> {
    const proposals: Proposal[] = keyPackages.map((b) => ({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(b) } }))
    return this.commit(proposals, opts)
  }

  /** Commits a Remove of each leaf index (the commit carries a path). */
  async remove(leafIndices: readonly number[], opts: CommitOptions = {}): Promise<CommitOutput> {
    const proposals: Proposal[] = leafIndices.map((removed) => ({ proposalType: 'remove', remove: { removed } }))
    return this.commit(proposals, opts)
  }

  /** An empty commit with a path: rotates the committer's leaf and path keys (what "update" means here). */
  async update(opts: CommitOptions = {}): Promise<CommitOutput> {
    return this.commit([], opts)
  }

  /** Commits `proposals` (plus any pending ones received by reference) and moves to the new epoch. */
  async commit(proposals: Proposal[], opts: CommitOptions = {}): Promise<CommitOutput> {
    const r = await createCommit(
      { state: this.state, cipherSuite: this.impl, pskIndex: this.pskIndex() },
      {
        extraProposals: proposals,
        wireAsPublicMessage: opts.publicMessage ?? false,
        ratchetTreeExtension: opts.ratchetTreeExtension ?? true,
      },
    )
    this.state = r.newState
    const out: { commit: Uint8Array; welcome?: Uint8Array } = { commit: encodeMlsMessage(r.commit) }
    if (r.welcome !== undefined) {
      out.welcome = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: r.welcome })
    }
    return out
  }

  /** Encrypts an application message (with optional authenticated_data); returns the encoded MLSMessage (PrivateMessage). */
  async send(plaintext: Uint8Array, authenticatedData?: Uint8Array): Promise<Uint8Array> {
    const r = await createApplicationMessage(this.state, plaintext, this.impl, authenticatedData)
    this.state = r.newState
    return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage })
  }

  /** Processes one encoded MLSMessage (PrivateMessage or PublicMessage) from another member. */
  async receive(bytes: Uint8Array): Promise<Received> {
    const m = decodeMessage(bytes)
    if (m.wireformat !== 'mls_private_message' && m.wireformat !== 'mls_public_message') {
      throw new Error(`ts-mls driver: cannot process a ${m.wireformat} as a group message`)
    }
    const contentType = m.wireformat === 'mls_private_message' ? m.privateMessage.contentType : m.publicMessage.content.contentType
    // ts-mls 1.6.4's processMessage drops the PskIndex for PrivateMessages (it passes emptyPskIndex),
    // so a PrivateMessage goes to processPrivateMessage directly.
    const r =
      m.wireformat === 'mls_private_message'
        ? await processPrivateMessage(this.state, m.privateMessage, this.pskIndex(), this.impl, acceptAll)
        : await processMessage(m, this.state, this.pskIndex(), acceptAll, this.impl)
    this.state = r.newState
    if (r.kind === 'applicationMessage') return { kind: 'application', data: r.message }
    // A commit that removes us leaves ts-mls at the old epoch (inactive): the content type tells.
    return { kind: contentType === 'commit' ? 'commit' : 'proposal' }
  }
}

/** A new one-member group (epoch 0) created by `identity`. */
export async function createGroup(
  suite: number,
  identity: string | Uint8Array,
  groupId: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
  opts: KeyPackageOptions = {},
): Promise<TsMlsMember> {
  const impl = await tsMlsSuite(suite, opts.provider)
  const kp = await createKeyPackage(suite, identity, opts)
  const state = await tsCreateGroup(groupId, kp.publicPackage, kp.privatePackage, [], impl)
  return new TsMlsMember(state, impl, suite)
}

/**
 * Joins from a Welcome (an encoded MLSMessage) with the KeyPackage it was
 * made for. The ratchet tree comes from the GroupInfo's ratchet_tree extension
 * unless `ratchetTree` is given (out of band).
 */
export async function joinFromWelcome(
  welcome: Uint8Array,
  keyPackage: TsMlsKeyPackage,
  ratchetTree?: RatchetTree,
): Promise<TsMlsMember> {
  const m = decodeMessage(welcome)
  if (m.wireformat !== 'mls_welcome') throw new Error(`ts-mls driver: expected a Welcome, got ${m.wireformat}`)
  const impl = await tsMlsSuite(keyPackage.suite, keyPackage.provider)
  const state = await joinGroup(m.welcome, keyPackage.publicPackage, keyPackage.privatePackage, emptyPskIndex, impl, ratchetTree)
  return new TsMlsMember(state, impl, keyPackage.suite)
}

/**
 * Joins by external Commit (RFC 9420 §12.4.3.2) from a GroupInfo MLSMessage
 * carrying external_pub (and the ratchet_tree extension unless `ratchetTree`
 * is given). Returns the new member and the Commit (a PublicMessage) for the group.
 */
export async function joinExternal(
  suite: number,
  groupInfo: Uint8Array,
  identity: string | Uint8Array,
  opts: KeyPackageOptions & { ratchetTree?: RatchetTree } = {},
): Promise<{ member: TsMlsMember; commit: Uint8Array }> {
  const m = decodeMessage(groupInfo)
  if (m.wireformat !== 'mls_group_info') throw new Error(`ts-mls driver: expected a GroupInfo, got ${m.wireformat}`)
  const kp = await createKeyPackage(suite, identity, opts)
  const impl = await tsMlsSuite(suite, kp.provider)
  const r = await joinGroupExternal(m.groupInfo, kp.publicPackage, kp.privatePackage, false, impl, opts.ratchetTree)
  const commit = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage: r.publicMessage })
  return { member: new TsMlsMember(r.newState, impl, suite), commit }
}
