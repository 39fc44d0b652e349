/** Audit: hash-chained, signed audit log of sends and membership changes. */
export { AuditEvent, AuditEventType, AuditEntry, RemovalReason } from '../proto/audit.js'
export { AuditLog, ed25519AuditSigner, type AuditSigner, type AuditLogOptions } from './log.js'
export { groupMessageEvent, memberAddedEvent, memberRemovedEvent, epochChangedEvent, type EventBase } from './events.js'
export { MemoryAuditStorage, FileAuditStorage, type AuditStorage, type RecoveredTail } from './storage.js'
export {
  verifyAuditLog,
  verifyAuditLogBytes,
  MAX_ENTRY_BYTES,
  type AuditCheckpoint,
  type AuditFailure,
  type AuditVerification,
  type PublicKeyOf,
  type VerifyAuditOptions,
} from './verify.js'
export { entryHash, MAX_RECIPIENTS } from './canonical.js'
