/**
 * talos-group: end-to-end encrypted group messaging for agents.
 *
 * The agent-facing API is flat:
 *
 *   import { Client, MemoryDelivery, MemoryStore } from 'talos-group'
 *   const alice = await Client.create({ did: 'did:talos:alice', delivery: new MemoryDelivery(), store: new MemoryStore() })
 *   const group = await alice.createGroup({ name, members, protocol: 'hybrid' })
 *
 * together with what a deployment plugs in (delivery services, stores), the
 * one error type, and the pure verifiers an auditor runs (verifyAuditLog,
 * verifyGroupCapability). Every layer's full API is also available as a
 * namespace (mls, hybrid, ratchet, senderkeys, coordinator, delivery, store,
 * audit, capabilities), e.g. `mls.MlsGroup`, `hybrid.HybridSession`.
 */

// The agent-facing API (src/group)
export {
  Client,
  Group,
  GroupCapability,
  GROUP_PROTOCOLS,
  KEY_PACKAGE_KIND,
  IDENTITY_KIND,
  MAX_PLAINTEXT_BYTES,
  type ClientOptions,
  type CreateGroupOptions,
  type GroupMessage,
  type GroupProtocol,
  type GroupStatus,
  type CapabilityPolicy,
  type CapabilityRequest,
  type RejectedEntry,
  type IdleMember,
} from './group/index.js'

// Errors
export { TalosError, isTalosError, type TalosErrorCode, type ErrorArea } from './errors.js'

// What a deployment plugs in
export {
  MemoryDelivery,
  serveDelivery,
  connectDelivery,
  NatsDelivery,
  DeliveryConflictError,
  type DeliveryService,
  type DeliveryServer,
  type Directory,
  type Subscription,
} from './delivery/index.js'
export { MemoryStore, FileStore, type StateStore } from './store/index.js'

// Pure verifiers for auditors and relying parties
export { verifyAuditLog, verifyAuditLogBytes, type AuditVerification, type AuditCheckpoint } from './audit/index.js'
export { verifyGroupCapability, type CapabilityStatus } from './capabilities/index.js'

// Every layer, namespaced
export * as mls from './mls/index.js'
export * as hybrid from './hybrid/index.js'
export * as ratchet from './ratchet/index.js'
export * as senderkeys from './senderkeys/index.js'
export * as coordinator from './coordinator/index.js'
export * as delivery from './delivery/index.js'
export * as store from './store/index.js'
export * as audit from './audit/index.js'
export * as capabilities from './capabilities/index.js'
export * as group from './group/index.js'
