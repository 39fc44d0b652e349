/**
 * The agent-facing API (ARCHITECTURE.md "The agent-facing API"):
 *
 *   Client.create({ did, delivery, store })        keys, directory, mailbox, resumes groups
 *   client.createGroup({ name, members, protocol }) -> Group
 *   group.send(bytes) / group.messages()            { sender, plaintext, epoch, protocol, seq, index }
 *   group.addMember(did) / removeMember(did) / update() / leave() / members()
 *   client.grantGroupCapability({ groupId, scope, requireConsensus }) -> GroupCapability
 *   client.auditEntries() / auditHead() / verifyAudit()
 *
 * Protocols: 'mls' and 'hybrid' (HYBRID.md). 'sender-keys' and 'coordinator'
 * are refused with GROUP_UNSUPPORTED_PROTOCOL until their adapters exist.
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
export { mlsHybridView } from './hybrid-adapter.js'
