/**
 * Persistence of a member's group state (ARCHITECTURE.md "Secrets", libsignal
 * style records): one canonical TLS-encoded record, so equal states give
 * equal bytes (how "a rejected message leaves the state byte-identical" is
 * tested) and consumed secrets are absent from the bytes.
 *
 *   struct {
 *     uint8 format = 2; uint16 cipher_suite;
 *     Config config;                           // policy (authService is supplied on load)
 *     opaque tree<V>;                          // ratchet_tree form (src/mls/tree/codec.ts)
 *     opaque private_keys<V>;                  // TreePrivateKeys
 *     uint32 own_leaf; opaque signature_priv<V>;
 *     GroupContext context; opaque epoch_keys<V>[8];
 *     opaque secret_tree<V>; opaque exporter_tree<V>;
 *     opaque interim_transcript_hash<V>; opaque confirmation_tag<V>;
 *     struct { opaque ref<V>; Sender sender; Proposal proposal; } proposals<V>;   // arrival order
 *     struct { opaque pub<V>; opaque priv<V>; } update_keys<V>;                  // by pub
 *     struct { uint64 epoch; opaque psk<V>; } resumption_psks<V>;               // ascending
 *     struct { GroupContext context; TreeDiff tree; opaque sender_data_secret<V>;
 *              opaque membership_key<V>; opaque secret_tree<V>; } retired<V>;    // newest first
 *     optional<ReInit> reinit; uint8 removed;
 *   } GroupStateRecord;
 *
 * A retired epoch's tree is stored as a TreeDiff (src/mls/tree/diff.ts)
 * against the next newer tree (the current one for retired[0]): it differs
 * from it by one Commit, and whole it doubled the record of a large group and
 * the cost of loading it. Format 1 records (retired trees whole, `opaque
 * tree<V>`) still load.
 *
 * MlsGroup.serialize() wraps it in a GroupHandleRecord (below) that also
 * carries a pending Commit of ours. The record holds secret keys: the store
 * must encrypt it at rest. Loading
 * checks every length, bound and the tree hash against the GroupContext,
 * and raises only TalosError.
 */
import { Reader, Writer } from '../../codec/tls.js'
import { getCipherSuite } from '../../crypto/index.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError, wrapErrors } from '../../errors.js'
import { createFramingContext } from '../framing/context.js'
import { ExporterTree } from '../schedule/exporter-tree.js'
import { deserializeSecretTree, serializeSecretTree } from '../schedule/secret-tree-codec.js'
import { decodeTree, encodeTree } from '../tree/codec.js'
import { readTreeDiff, writeTreeDiff } from '../tree/diff.js'
import { deserializeTreePrivateKeys } from '../treekem/private-keys.js'
import { senderCodec } from '../wire/framing.js'
import { groupContextCodec, type GroupContext } from '../wire/group-context.js'
import { proposalCodec, reInitCodec } from '../wire/proposal.js'
import { MAX_PAST_EPOCHS, MAX_RESUMPTION_PSKS, resolveConfig, type GroupConfig } from './config.js'
import type { EpochKeys, RetiredEpoch } from './epoch.js'
import { ProposalCache, type CachedProposal } from './proposal-cache.js'
import type { GroupState } from './state.js'
import type { StagedState } from './merge.js'

const FORMAT = 2
/** Format 1: retired trees stored whole. */
const FORMAT_FULL_RETIRED_TREES = 1
const KEY_NAMES = [
  'senderDataSecret',
  'exporterSecret',
  'externalSecret',
  'confirmationKey',
  'membershipKey',
  'resumptionPsk',
  'epochAuthenticator',
  'initSecret',
] as const

function writeConfig(w: Writer, c: GroupConfig): void {
  w.u8(c.handshake === 'public' ? 1 : 2)
  w.u32(c.maxOutOfOrder).u32(c.maxForwardDistance).u16(c.pastEpochRetention).u16(c.resumptionPskRetention).u32(c.paddingBlock)
  w.u8(c.ratchetTreeInWelcome ? 1 : 0).u8(c.checkReceivedLifetimes ? 1 : 0)
  w.optional(c.maxLifetimeSeconds, (ww, v) => ww.u64(v))
}

function readConfig(r: Reader, overrides: Partial<GroupConfig>): GroupConfig {
  const hs = r.u8()
  if (hs !== 1 && hs !== 2) throw new TalosError('DECODE_INVALID_VALUE', `handshake framing ${hs}`)
  const c: Partial<GroupConfig> = {
    handshake: hs === 1 ? 'public' : 'private',
    maxOutOfOrder: r.u32(),
    maxForwardDistance: r.u32(),
    pastEpochRetention: r.u16(),
    resumptionPskRetention: r.u16(),
    paddingBlock: r.u32(),
    ratchetTreeInWelcome: readBool(r),
    checkReceivedLifetimes: readBool(r),
    maxLifetimeSeconds: r.optional((rr) => rr.u64()),
  }
  return resolveConfig({ ...c, ...overrides })
}

function readBool(r: Reader): boolean {
  const b = r.u8()
  if (b > 1) throw new TalosError('DECODE_INVALID_VALUE', `boolean ${b}`)
  return b === 1
}

function secret(r: Reader, suite: CipherSuite, what: string): Uint8Array {
  const s = r.opaque()
  if (s.length !== suite.Nh) throw new TalosError('MLS_INVALID_STATE', `${what} must be ${suite.Nh} bytes`)
  return s
}

export function serializeGroupState(s: GroupState): Uint8Array {
  const w = new Writer(4096)
  w.u8(FORMAT).u16(s.suite.id)
  writeConfig(w, s.config)
  w.opaque(encodeTree(s.tree))
  w.opaque(s.privateKeys.serialize())
  w.u32(s.ownLeaf).opaque(s.signaturePriv)
  groupContextCodec.encode(w, s.epoch.framing.groupContext)
  for (const k of KEY_NAMES) w.opaque(s.epoch.keys[k])
  w.opaque(serializeSecretTree(s.epoch.secretTree))
  w.opaque(s.epoch.exporterTree.serialize())
  w.opaque(s.epoch.interimTranscriptHash).opaque(s.epoch.confirmationTag)
  w.list(s.proposals.list(), (lw, p) => {
    lw.opaque(p.ref)
    senderCodec.encode(lw, p.sender)
    proposalCodec.encode(lw, p.proposal)
  })
  const updates = [...s.updateKeys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  w.list(updates, (lw, [pub, priv]) => lw.opaque(Buffer.from(pub, 'hex')).opaque(priv))
  const psks = [...s.resumptionPsks.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  w.list(psks, (lw, [epoch, psk]) => lw.u64(epoch).opaque(psk))
  let newer = s.tree
  w.list(s.retired, (lw, r) => {
    groupContextCodec.encode(lw, r.framing.groupContext)
    writeTreeDiff(lw, newer, r.tree)
    newer = r.tree
    lw.opaque(r.senderDataSecret).opaque(r.membershipKey).opaque(serializeSecretTree(r.secretTree))
  })
  w.optional(s.reinit, (ow, v) => reInitCodec.encode(ow, v))
  w.u8(s.removed ? 1 : 0)
  return w.finish()
}

function checkTreeHash(tree: ReturnType<typeof decodeTree>, gc: GroupContext, what: string): void {
  const h = tree.treeHash()
  if (h.length !== gc.treeHash.length || h.some((b, i) => b !== gc.treeHash[i])) {
    throw new TalosError('MLS_INVALID_STATE', `${what}: tree does not match its GroupContext tree_hash`)
  }
}

/** Restores a state; `overrides` supplies what is not stored (the AuthenticationService) or changes policy. */
export function deserializeGroupState(bytes: Uint8Array, overrides: Partial<GroupConfig> = {}): GroupState {
  return wrapErrors('DECODE_INVALID', 'group state', () => {
    const r = new Reader(bytes)
    const format = r.u8()
    if (format !== FORMAT && format !== FORMAT_FULL_RETIRED_TREES) throw new TalosError('MLS_INVALID_STATE', `unknown group state format ${format}`)
    const suite = getCipherSuite(r.u16())
    const config = readConfig(r, overrides)
    const tree = decodeTree(suite, r.opaque())
    const privateKeys = deserializeTreePrivateKeys(r.opaque())
    const ownLeaf = r.u32()
    if (privateKeys.leafIndex !== ownLeaf || ownLeaf >= tree.leafCount) throw new TalosError('MLS_INVALID_STATE', 'own leaf index is inconsistent')
    const signaturePriv = r.opaque()
    const gc = groupContextCodec.decode(r)
    if (gc.cipherSuite !== suite.id) throw new TalosError('MLS_INVALID_STATE', 'GroupContext suite differs from the state suite')
    checkTreeHash(tree, gc, 'current epoch')
    const keys = {} as Record<(typeof KEY_NAMES)[number], Uint8Array>
    for (const k of KEY_NAMES) keys[k] = secret(r, suite, k)
    const secretTree = deserializeSecretTree(suite, r.opaque())
    if (secretTree.nLeaves !== tree.leafCount) throw new TalosError('MLS_INVALID_STATE', 'secret tree size differs from the ratchet tree')
    const exporterTree = ExporterTree.deserialize(suite, r.opaque())
    const interimTranscriptHash = secret(r, suite, 'interim transcript hash')
    const confirmationTag = secret(r, suite, 'confirmation tag')
    const proposals: CachedProposal[] = r.list((lr) => {
      const ref = lr.opaque()
      const sender = senderCodec.decode(lr)
      return { ref, sender, proposal: proposalCodec.decode(lr) }
    })
    const updateKeys = new Map<string, Uint8Array>()
    r.list((lr) => {
      const pub = lr.opaque()
      updateKeys.set(Buffer.from(pub).toString('hex'), lr.opaque())
    })
    const resumptionPsks = new Map<bigint, Uint8Array>()
    r.list((lr) => {
      const epoch = lr.u64()
      resumptionPsks.set(epoch, secret(lr, suite, 'resumption psk'))
    })
    if (resumptionPsks.size > MAX_RESUMPTION_PSKS) throw new TalosError('MLS_INVALID_STATE', 'too many resumption PSKs')
    let newer = tree
    const retired: RetiredEpoch[] = r.list((lr) => {
      const rgc = groupContextCodec.decode(lr)
      const rtree = format === FORMAT ? readTreeDiff(lr, newer, config.maxTreeLeaves) : decodeTree(suite, lr.opaque())
      checkTreeHash(rtree, rgc, 'retired epoch')
      newer = rtree
      return {
        framing: createFramingContext(suite, rgc),
        tree: rtree,
        senderDataSecret: secret(lr, suite, 'sender data secret'),
        membershipKey: secret(lr, suite, 'membership key'),
        secretTree: deserializeSecretTree(suite, lr.opaque()),
      }
    })
    if (retired.length > MAX_PAST_EPOCHS) throw new TalosError('MLS_INVALID_STATE', 'too many retired epochs')
    const reinit = r.optional((rr) => reInitCodec.decode(rr))
    const removed = readBool(r)
    r.assertDone('group state')
    if (!removed && tree.leaf(ownLeaf) === undefined) throw new TalosError('MLS_INVALID_STATE', 'our leaf is blank')
    const epochKeys: EpochKeys = keys
    return {
      suite,
      config,
      tree,
      privateKeys,
      ownLeaf,
      signaturePriv,
      epoch: { framing: createFramingContext(suite, gc), keys: epochKeys, secretTree, exporterTree, interimTranscriptHash, confirmationTag },
      proposals: ProposalCache.of(proposals),
      updateKeys,
      resumptionPsks,
      retired,
      reinit,
      removed,
    }
  })
}

/**
 * The record of a group handle: the live state and, when a Commit of ours
 * awaits the Delivery Service, its staged next state and bytes, so a member
 * that restarts in between can still merge it (or discard it).
 *
 *   struct {
 *     uint8 format = 1;
 *     opaque state<V>;                                             // GroupStateRecord
 *     optional<struct { opaque next<V>; opaque commit<V>; }> pending;
 *   } GroupHandleRecord;
 */
export interface PersistedPending {
  readonly next: StagedState
  readonly commit: Uint8Array
}

const HANDLE_FORMAT = 1

export function serializeGroupHandle(state: GroupState, pending?: PersistedPending): Uint8Array {
  const w = new Writer(8192)
  w.u8(HANDLE_FORMAT).opaque(serializeGroupState(state))
  w.optional(pending, (pw, p) => {
    pw.opaque(serializeGroupState({ ...p.next, retired: [], resumptionPsks: new Map() })).opaque(p.commit)
  })
  return w.finish()
}

export function deserializeGroupHandle(
  bytes: Uint8Array,
  overrides: Partial<GroupConfig> = {},
): { state: GroupState; pending?: PersistedPending | undefined } {
  return wrapErrors('DECODE_INVALID', 'group record', () => {
    const r = new Reader(bytes)
    const format = r.u8()
    if (format !== HANDLE_FORMAT) throw new TalosError('MLS_INVALID_STATE', `unknown group record format ${format}`)
    const state = deserializeGroupState(r.opaque(), overrides)
    const pending = r.optional((pr) => {
      const { retired: _r, resumptionPsks: _p, ...next } = deserializeGroupState(pr.opaque(), overrides)
      return { next, commit: pr.opaque() }
    })
    r.assertDone('group record')
    if (pending !== undefined && pending.next.epoch.framing.groupContext.epoch !== state.epoch.framing.groupContext.epoch + 1n) {
      throw new TalosError('MLS_INVALID_STATE', 'the pending commit is not for the next epoch')
    }
    return { state, pending }
  })
}
