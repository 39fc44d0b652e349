/**
 * The signed membership shared by the two protocols built on two-party
 * sessions ('sender-keys' and 'coordinator'): a Roster is the member list
 * (DIDs in join order, each with the Ed25519 identity key the group knows
 * it by) at an epoch, and the three signed messages that change or extend
 * it, each signed by a member's identity key:
 *
 *   SkCommit  added members with their keys, removed members; published
 *             with { kind: 'commit', epoch }, so at most one lands per epoch
 *   SkInvite  the members after the commit, for the invitees' mailboxes
 *   SkLeave   a member's request to be removed by the next commit
 *
 * What differs between the protocols stays with them: who may commit, how
 * an invitation is trusted, and what happens to keys and sessions on a
 * change.
 */
import { Writer } from '../../codec/tls.js'
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { sha256 } from '../../crypto/sodium.js'
import { ed25519 } from '../../crypto/signature/ed25519.js'
import { TalosError } from '../../errors.js'
import { isDid } from '../../delivery/index.js'
import type { PreKeyBundle } from '../../ratchet/prekeys.js'
import type { IdentityKeyPair } from '../../ratchet/identity.js'
import { SkAdopt, SkCommit, SkInvite, type SkLeave, type SkMember } from '../../proto/group.js'
import type { ClientPreKeys } from '../prekeys.js'
import { bytesEqual } from '../util.js'
import type { AddTicket, Received } from './types.js'

/** Members of a group with signed membership. */
export const MAX_SK_MEMBERS = 1000
export const MAX_STATE_BYTES = 64 * 1024 * 1024
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
const LABEL_COMMIT = 'talos sender-keys commit v1'
const LABEL_INVITE = 'talos sender-keys invite v1'
const LABEL_LEAVE = 'talos sender-keys leave v1'
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** What an engine with signed membership needs from its client. */
export interface SenderKeysDeps {
  readonly did: string
  readonly identity: IdentityKeyPair
  readonly preKeys: ClientPreKeys
  /** A verified prekey bundle of `did` from the directory. */
  claimBundle(did: string): Promise<PreKeyBundle>
  /**
   * Whether `identityKey` is acceptable as the key of `did`: the client's
   * AuthenticationService (RFC 9420 §5.3.1), asked for every member an
   * invitation or a commit names, as MLS asks it for every leaf.
   */
  acceptIdentity(did: string, identityKey: Uint8Array): boolean
}

/** Every member of `list` is acceptable to the AuthenticationService (GROUP_IDENTITY_REJECTED otherwise). */
export function checkIdentities(deps: Pick<SenderKeysDeps, 'acceptIdentity'>, list: readonly SkMember[]): void {
  for (const m of list) {
    if (!deps.acceptIdentity(m.did, m.identityKey)) {
      throw new TalosError('GROUP_IDENTITY_REJECTED', `the authentication service refuses the key given for ${m.did}`)
    }
  }
}

/** The add ticket of a group with signed membership: a verified bundle and the identity key it names. */
export interface SkTicket {
  readonly bundle: PreKeyBundle
  readonly identityKey: Uint8Array
}

export function malformed(what: string): TalosError {
  return new TalosError('GROUP_MALFORMED_ENVELOPE', what)
}

export function writeMembers(w: Writer, list: readonly SkMember[]): void {
  w.u32(list.length)
  for (const m of list) w.opaque(utf8(m.did)).opaque(m.identityKey)
}

/** SHA-256 over (group id, epoch, members with keys): equal values mean the same membership history applied. */
export function membershipAuthenticator(groupId: Uint8Array, epoch: bigint, list: readonly SkMember[]): Uint8Array {
  const w = new Writer(256).opaque(groupId).u64(epoch)
  writeMembers(w, list)
  return sha256(w.finish())
}

export function commitTbs(c: SkCommit): Uint8Array {
  const w = new Writer(256).opaque(utf8(LABEL_COMMIT)).opaque(c.groupId).u64(c.epoch)
  w.opaque(utf8(c.committer))
  writeMembers(w, c.added)
  w.u32(c.removed.length)
  for (const r of c.removed) w.opaque(utf8(r))
  return w.finish()
}

export function inviteTbs(i: SkInvite): Uint8Array {
  const w = new Writer(256).opaque(utf8(LABEL_INVITE)).opaque(i.groupId).u64(i.epoch)
  w.opaque(utf8(i.inviter))
  writeMembers(w, i.members)
  return w.finish()
}

export function leaveTbs(l: { groupId: Uint8Array; epoch: bigint; did: string }): Uint8Array {
  return new Writer(128).opaque(utf8(LABEL_LEAVE)).opaque(l.groupId).u64(l.epoch).opaque(utf8(l.did)).finish()
}

export function checkMembers(list: readonly SkMember[]): void {
  if (list.length > MAX_SK_MEMBERS) throw malformed('too many members')
  const seen = new Set<string>()
  for (const m of list) {
    if (!isDid(m.did) || m.identityKey.length !== 32 || seen.has(m.did)) throw malformed('bad member entry')
    seen.add(m.did)
  }
}

/** An invitation, decoded and its member list checked (the protocol checks who sent it and the signature). */
export function decodeInvite(bytes: Uint8Array, protocol: string): SkInvite {
  let inv: SkInvite
  try {
    inv = decodeProto(SkInvite, bytes, { maxBytes: MAX_PAYLOAD_BYTES })
  } catch (e) {
    throw new TalosError('GROUP_MALFORMED_INVITE', `undecodable ${protocol} invitation: ${(e as Error).message}`)
  }
  checkMembers(inv.members)
  return inv
}

export function decodeCommit(bytes: Uint8Array, protocol: string): SkCommit {
  try {
    return decodeProto(SkCommit, bytes, { maxBytes: MAX_PAYLOAD_BYTES })
  } catch (e) {
    throw malformed(`undecodable ${protocol} commit: ${(e as Error).message}`)
  }
}

/** Our own commit and its bundles from the write-ahead state, checked to be for `epoch`. */
export function readAdopt(merged: Uint8Array, epoch: bigint): { commit: SkCommit; adopt: SkAdopt } {
  const adopt = decodeProto(SkAdopt, merged, { maxBytes: MAX_STATE_BYTES })
  const commit = decodeProto(SkCommit, adopt.commit, { maxBytes: MAX_PAYLOAD_BYTES })
  if (commit.epoch !== epoch) throw new TalosError('GROUP_STATE_CORRUPT', 'the written-ahead commit is not for this epoch')
  return { commit, adopt }
}

export class Roster {
  constructor(
    readonly groupId: Uint8Array,
    private epochValue: bigint,
    private list: SkMember[],
  ) {}

  get epoch(): bigint {
    return this.epochValue
  }

  /** Members with their keys, in join order (what the state persists). */
  get entries(): SkMember[] {
    return this.list
  }

  members(): string[] {
    return this.list.map((m) => m.did)
  }

  isMember(did: string): boolean {
    return this.list.some((m) => m.did === did)
  }

  publicKeyOf(did: string): Uint8Array | undefined {
    return this.list.find((m) => m.did === did)?.identityKey
  }

  authenticator(): Uint8Array {
    return membershipAuthenticator(this.groupId, this.epochValue, this.list)
  }

  /** A leave request from `envelopeSender`, checked and verified. */
  checkLeave(l: SkLeave, envelopeSender: string): Received & { kind: 'proposal' } {
    const key = this.publicKeyOf(l.did)
    if (l.did !== envelopeSender || !bytesEqual(l.groupId, this.groupId) || l.epoch !== this.epochValue || key === undefined) {
      throw malformed('a leave request for another member, group or epoch')
    }
    if (!ed25519.verify(key, leaveTbs(l), l.signature)) throw new TalosError('GROUP_SENDER_MISMATCH', 'leave request signature does not verify')
    return { kind: 'proposal', sender: l.did, leaving: l.did }
  }

  /**
   * Checks a commit against this roster. `checkCommitter` raises if the
   * protocol does not let `c.committer` (sent by `envelopeSender`) commit;
   * it runs after the group and epoch checks and before the member checks.
   * `protected` members (the committer itself, or a hub) cannot be removed.
   */
  checkCommit(c: SkCommit, checkCommitter: () => void, isProtected: (did: string) => boolean, protectedName: string): void {
    if (!bytesEqual(c.groupId, this.groupId)) throw malformed('commit for another group')
    if (c.epoch !== this.epochValue) throw new TalosError('GROUP_WRONG_EPOCH', `commit for epoch ${c.epoch}, the group is at ${this.epochValue}`)
    checkCommitter()
    checkMembers(c.added)
    if (c.added.some((m) => this.isMember(m.did))) throw malformed('commit adds a member twice')
    if (new Set(c.removed).size !== c.removed.length || c.removed.some((d) => !this.isMember(d) || isProtected(d))) {
      throw malformed(`commit removes a non-member or ${protectedName}`)
    }
  }

  /** Verifies the committer's signature (after checkCommit). */
  verifyCommit(c: SkCommit, key: Uint8Array): void {
    if (!ed25519.verify(key, commitTbs(c), c.signature)) throw new TalosError('GROUP_SENDER_MISMATCH', 'commit signature does not verify')
  }

  /** Moves to the commit's next epoch; the member list changes only if `self` stays. */
  advance(c: SkCommit, self: string): void {
    const removed = new Set(c.removed)
    this.epochValue = c.epoch + 1n
    if (!removed.has(self)) this.list = [...this.list.filter((m) => !removed.has(m.did)), ...c.added]
  }

  /** Our signed commit for `change`, and the signed invitation for the members it adds (if any). */
  signCommit(deps: Pick<SenderKeysDeps, 'did' | 'identity'>, change: { add: AddTicket[]; remove: string[] }): { commit: Uint8Array; welcome: Uint8Array | undefined } {
    const added: SkMember[] = change.add.map((t) => ({ did: t.did, identityKey: (t.material as SkTicket).identityKey }))
    const unsigned: SkCommit = { groupId: this.groupId, epoch: this.epochValue, committer: deps.did, added, removed: [...change.remove], signature: new Uint8Array(0) }
    const commit: SkCommit = { ...unsigned, signature: ed25519.sign(deps.identity.signingPrivate, commitTbs(unsigned)) }
    const removed = new Set(change.remove)
    const invite: SkInvite = {
      groupId: this.groupId,
      epoch: this.epochValue + 1n,
      members: [...this.list.filter((m) => !removed.has(m.did)), ...added],
      inviter: deps.did,
      signature: new Uint8Array(0),
    }
    invite.signature = ed25519.sign(deps.identity.signingPrivate, inviteTbs(invite))
    return { commit: encodeProto(SkCommit, commit), welcome: added.length > 0 ? encodeProto(SkInvite, invite) : undefined }
  }

  /** Our signed request to leave at the current epoch. */
  signLeave(deps: Pick<SenderKeysDeps, 'did' | 'identity'>): SkLeave {
    const l = { groupId: this.groupId, epoch: this.epochValue, did: deps.did }
    return { ...l, signature: ed25519.sign(deps.identity.signingPrivate, leaveTbs(l)) }
  }
}
