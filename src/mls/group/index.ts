/**
 * The MLS group state machine (RFC 9420 §8-§12): group creation, joining by
 * Welcome and by external Commit, proposals, Commits, application messages,
 * exporters and persistence, built on src/mls/{wire,keys,schedule,tree,
 * treekem,framing}.
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
