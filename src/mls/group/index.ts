/**
 * The MLS group state machine (RFC 9420 §8-§12): group creation, joining by
 * Welcome and by external Commit, proposals, Commits, application messages,
 * exporters and persistence, built on src/mls/{wire,keys,schedule,tree,
 * treekem,framing}.
 *
 * Files: state.ts (GroupState), config.ts, epoch.ts (per-epoch secrets),
 * create.ts (§11), join.ts + welcome.ts (§12.4.3.1), external-join.ts
 * (§12.4.3.2), external-proposal.ts (§12.1.8), proposals.ts (builders),
 * receive.ts (dispatch, receipt rules), proposal-cache.ts (ProposalRef),
 * proposal-list.ts (§12.2), proposal-select.ts (committer's choice),
 * apply-proposals.ts (§12.3), process-commit.ts (§12.4.2), create-commit.ts
 * (§12.4.1), advance.ts (transcript + key schedule), merge.ts (adoption and
 * deletion), psk.ts, reinit.ts (§11.2-§11.3), group-info.ts, send.ts,
 * persist.ts (state record), group.ts (MlsGroup).
 *
 * Error codes raised here name the broken rule, e.g.
 *   framing/epoch   MLS_WRONG_EPOCH, MLS_INVALID_SIGNATURE, MLS_BAD_MEMBERSHIP_TAG,
 *                   MLS_BAD_CONFIRMATION_TAG, MLS_GENERATION_REUSED, MLS_GENERATION_TOO_FAR,
 *                   MLS_OWN_MESSAGE (our own message echoed back, other than the pending Commit)
 *   §12.2 list      MLS_DUPLICATE_ADD, MLS_MEMBER_ALREADY_IN_GROUP, MLS_REMOVE_BLANK_LEAF,
 *                   MLS_COMMITTER_UPDATE, MLS_COMMITTER_REMOVED, MLS_DUPLICATE_LEAF_CHANGE,
 *                   MLS_DUPLICATE_PSK, MLS_MULTIPLE_GROUP_CONTEXT_EXTENSIONS, MLS_REINIT_NOT_ALONE,
 *                   MLS_EXTERNAL_INIT_IN_MEMBER_COMMIT, MLS_EXTERNAL_COMMIT_INVALID_PROPOSALS,
 *                   MLS_EXTERNAL_COMMIT_BY_REFERENCE, MLS_MISSING_PATH, MLS_UNKNOWN_PROPOSAL_REF
 *   proposals       MLS_UPDATE_SAME_ENCRYPTION_KEY, MLS_INVALID_PSK_NONCE, MLS_INVALID_PSK_USAGE,
 *                   MLS_PSK_NOT_FOUND, MLS_REINIT_VERSION_DOWNGRADE, MLS_INVALID_PROPOSAL
 *   capabilities    MLS_REQUIRED_CAPABILITIES_UNSUPPORTED, MLS_GROUP_CONTEXT_EXTENSIONS_UNSUPPORTED,
 *                   MLS_UNSUPPORTED_EXTENSION, MLS_UNSUPPORTED_CREDENTIAL_TYPE, MLS_DUPLICATE_EXTENSION
 *   Welcome/join    MLS_WELCOME_NOT_FOR_US, MLS_WELCOME_DECRYPT_FAILED, MLS_INVALID_GROUP_INFO_SIGNATURE,
 *                   MLS_INVALID_GROUP_INFO_SIGNER, MLS_WELCOME_NO_MATCHING_LEAF, MLS_MISSING_RATCHET_TREE,
 *                   MLS_TREE_HASH_MISMATCH, MLS_BAD_PARENT_HASH, MLS_PATH_KEY_MISMATCH, MLS_MISSING_EXTERNAL_PUB
 *   group status    MLS_GROUP_INACTIVE, MLS_GROUP_REINITIALIZED, MLS_PENDING_PROPOSALS, MLS_STALE_STAGE
 * plus the leaf (§7.3) and KeyPackage (§10.1) codes of src/mls/keys.
 */
export { MlsGroup, type ProcessResult } from './group.js'
export { resolveConfig, DEFAULT_CONFIG, type GroupConfig, type HandshakeFraming } from './config.js'
export { MemoryPskStore, type ExternalPskStore, type ForeignResumptionPsks } from './psk.js'
export type { ReceivedContent, Incoming } from './receive.js'
export type { CreateGroupOptions } from './create.js'
export type { JoinOptions } from './join.js'
export type { ExternalJoinOptions } from './external-join.js'
export type { CommitOptions, CreatedCommit } from './create-commit.js'
export type { GroupInfoOptions } from './group-info.js'
export {
  addProposal,
  removeProposal,
  externalPskProposal,
  resumptionPskProposal,
  reinitProposal,
  groupContextExtensionsProposal,
} from './proposals.js'
export { createExternalProposal, type ExternalProposalOptions } from './external-proposal.js'
