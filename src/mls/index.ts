/**
 * The public MLS API (RFC 9420) of talos-group.
 *
 * Members and keys
 *   basicCredential(did) -> Credential            (identity = "did:talos:...")
 *   generateKeyPackage({ cipherSuite, credential }) -> KeyPackageBundle
 *   keyPackageMessage(bundle.keyPackage) -> MLSMessage bytes to publish
 *   AuthenticationService = (credential, signatureKey, previous?) => boolean; didAuthenticationService(resolve?)
 *
 * Groups (MlsGroup: every operation either succeeds and replaces the state,
 * or throws a TalosError and changes nothing)
 *   MlsGroup.create({ cipherSuite, credential, config? })
 *   MlsGroup.join({ welcome, keyPackage, secrets, ratchetTree?, externalPsks?, previous? })
 *   MlsGroup.joinExternal({ groupInfo, credential, removeLeaf? }) -> { group, commit }
 *   MlsGroup.deserialize(bytes, { config? })      group.serialize()
 *   group.commit({ add?, remove?, proposals?, path?, rotateSignatureKey?, signatureKeyPair? })
 *     -> { commit, welcome?, groupInfo, pending, signatureKey? }
 *     then group.mergePendingCommit() once the Delivery Service accepted it
 *   group.propose(proposal) / proposeUpdate() -> { message, ref }
 *   group.processMessage(bytes) -> { content: application | proposal | commit }
 *   group.stageMessage(bytes) -> Incoming { content, accept(), reject() }
 *   group.send(data, authenticatedData?) -> PrivateMessage bytes
 *   group.exporter(label, context, length); group.safeExportSecret(componentId)
 *   group.epochAuthenticator(); group.groupInfo(); group.ratchetTree()
 *   group.resume('reinit' | 'branch', { keyPackages }) -> { group, welcome }
 *   createExternalProposal({ ... }) for external senders and new members
 *
 * Wire structures, cipher suites and lower layers stay importable from
 * their folders (src/mls/wire, src/crypto, ...).
 */
export {
  MlsGroup,
  resolveConfig,
  DEFAULT_CONFIG,
  MemoryPskStore,
  addProposal,
  removeProposal,
  externalPskProposal,
  resumptionPskProposal,
  reinitProposal,
  groupContextExtensionsProposal,
  createExternalProposal,
  type GroupConfig,
  type HandshakeFraming,
  type ExternalPskStore,
  type ForeignResumptionPsks,
  type ReceivedContent,
  type Incoming,
  type ProcessResult,
  type CreateGroupOptions,
  type JoinOptions,
  type ExternalJoinOptions,
  type CommitOptions,
  type CreatedCommit,
  type GroupInfoOptions,
  type ExternalProposalOptions,
} from './group/index.js'
export {
  acceptAllCredentials,
  basicCredential,
  didAuthenticationService,
  didOf,
  defaultCapabilities,
  generateKeyPackage,
  keyPackageMessage,
  keyPackageRef,
  validateKeyPackage,
  type AuthenticationService,
  type PreviousCredential,
  type KeyPackageBundle,
  type KeyPackageSecrets,
  type KeyPackageOptions,
} from './keys/index.js'
export { decodeMLSMessage, decodeMLSMessageKeyPackage, encodeMLSMessage, type MLSMessage } from './wire/index.js'
