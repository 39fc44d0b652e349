/**
 * The agent-facing API (ARCHITECTURE.md "The agent-facing API"):
 *
 *   Client.create({ did, delivery, store })        keys, directory, mailbox, resumes groups
 *   client.createGroup({ name, members, protocol }) -> Group
 *   group.send(bytes) / group.messages()            { sender, plaintext, epoch, protocol, seq, index }
 *   group.addMember(did) / removeMember(did) / update() / leave() / members()
 *   group.idleMembers(afterMs?)                    ClientOptions.evictIdleAfterMs (off by default)
 *   client.grantGroupCapability({ groupId, scope, requireConsensus }) -> GroupCapability
 *   client.auditEntries() / auditHead() / verifyAudit()
 *
 * Protocols (one adapter each, src/group/protocols/): 'mls' (RFC 9420),
 * 'hybrid' (HYBRID.md: MLS epochs seeding per-sender double ratchets),
 * 'sender-keys' (Signal-style sender keys over X3DH/Double Ratchet sessions),
 * 'coordinator' (the hub-and-spoke baseline; the creator's client is the hub).
 *
 * Guarantees, whatever the protocol:
 *   - one total order per group (the delivery service's log); commits are
 *     exclusive per delivery-service epoch, the loser of a race processes the
 *     winner and retries (bounded), so members never fork
 *   - every log entry is applied, persisted (state + seq, CAS), then acked:
 *     a crash anywhere loses nothing and applies nothing twice; our own
 *     commits are written ahead, sends persist the ratchet before the
 *     ciphertext leaves, and protocol payloads owed to the log (sender-key
 *     distributions, hub relays, hybrid rekey requests) and invitations are
 *     persisted with the state that produced them and sent at least once
 *   - decrypted messages wait in the persisted inbox until the application
 *     takes the next one (or leaves the loop); `messages({ after: seq })`
 *     makes the hand-off exactly once for an application that records seq
 *   - hostile entries (log or mailbox) are 'rejected' events with a
 *     TalosError; state does not move and the log goes on
 *   - every send, add, remove and epoch change is an audit event, signed and
 *     hash-chained, in the client's store
 *   - with ClientOptions.evictIdleAfterMs, members idle that long are removed
 *     by one designated member through an ordinary commit (src/group/idle.ts)
 *
 * Known limits: the DID -> key binding is whatever the AuthenticationService
 * decides (default: any well-formed did:talos); a hybrid member restored
 * from its store continues in the current epoch only (the previous epoch's
 * hybrid state needs that epoch's tree, which is not kept); a junk commit
 * from a member or the delivery service burns one delivery-service epoch
 * (skipped by everyone, never a fork).
 */
export { Client, SUPPORTED_PROTOCOLS, KEY_PACKAGE_KIND, IDENTITY_KIND, MAX_INITIAL_MEMBERS, type ClientOptions, type CreateGroupOptions } from './client.js'
export {
  Group,
  GroupCapability,
  MAX_PLAINTEXT_BYTES,
  MAX_INBOX,
  MAX_COMMIT_ATTEMPTS,
  MAX_CAPABILITIES,
  MAX_NAME_BYTES,
  type GroupMessage,
  type GroupStatus,
  type CapabilityPolicy,
  type CapabilityRequest,
  type RejectedEntry,
} from './group.js'
export { GROUP_PROTOCOLS, type GroupProtocol } from './protocols/types.js'
export { MIN_EVICT_IDLE_AFTER_MS, MAX_EVICT_IDLE_AFTER_MS, type IdleMember } from './idle.js'
export { mlsHybridView, type DisposableView } from './hybrid-adapter.js'
