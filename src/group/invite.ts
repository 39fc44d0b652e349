/**
 * The inviter's signature on a GroupInvite. The Welcome (MLS) or SkInvite
 * inside it is authenticated by its protocol, but the invitation's own
 * fields (the group's name, the seq of the commit to read the log after,
 * the next commit's delivery-service epoch) are not: the inviter signs all
 * of them with its identity key, and the invitee checks the signature with
 * the key the group binds to the inviter (the MLS credential's signature
 * key, the SkMember identity key) once it has joined, before it keeps
 * anything.
 *
 *   struct {
 *     opaque label<V> = "talos group invite v1";
 *     uint32 protocol;
 *     opaque group_id<V>;
 *     opaque name<V>;               // UTF-8
 *     opaque inviter<V>;
 *     uint64 commit_seq;
 *     opaque welcome_hash<V>;       // SHA-256(welcome)
 *     uint64 next_commit_epoch;
 *   } GroupInviteTBS;
 */
import { Writer } from '../codec/tls.js'
import { ed25519 } from '../crypto/signature/ed25519.js'
import { sha256 } from '../crypto/sodium.js'
import type { CapabilitySigner } from '../capabilities/index.js'
import type { GroupInvite } from '../proto/group.js'

const LABEL = new TextEncoder().encode('talos group invite v1')
const utf8 = new TextEncoder()

function inviteTbs(inv: GroupInvite): Uint8Array {
  return new Writer(256)
    .opaque(LABEL)
    .u32(inv.protocol)
    .opaque(inv.groupId)
    .opaque(utf8.encode(inv.name))
    .opaque(utf8.encode(inv.inviter))
    .u64(inv.commitSeq)
    .opaque(sha256(inv.welcome))
    .u64(inv.nextCommitEpoch)
    .finish()
}

/** `inv` with the inviter's signature over its other fields. */
export function signInvite(inv: GroupInvite, signer: CapabilitySigner): GroupInvite {
  return { ...inv, signature: signer.sign(inviteTbs(inv)) }
}

/** Whether `inviterKey` (Ed25519) signed every field of `inv`. */
export function inviteSignatureValid(inv: GroupInvite, inviterKey: Uint8Array | undefined): boolean {
  return inviterKey !== undefined && ed25519.verify(inviterKey, inviteTbs(inv), inv.signature)
}
