/** Group capabilities: grants, approvals and refusals, and their pure verification. */
export { GroupCapabilityGrant, GroupCapabilityApproval, CapabilityDecision } from '../proto/capability.js'
export { createGroupCapabilityGrant, answerGroupCapability, type CapabilitySigner, type GrantRequest } from './grant.js'
export { verifyGroupCapability, type CapabilityStatus, type GroupView, type IgnoredApproval } from './verify.js'
export { grantHash, MAX_MEMBERS, MAX_SCOPE_BYTES } from './canonical.js'
