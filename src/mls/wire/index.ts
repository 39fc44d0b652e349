/**
 * RFC 9420 wire structures: types and TLS codecs (§2.1 presentation language).
 *
 * Conventions every module follows
 * - A struct `Foo` has `interface Foo` (RFC field names in camelCase) and
 *   `fooCodec: Codec<Foo>` beside it; encode(fooCodec, v) / decode(fooCodec, bytes)
 *   from src/codec/tls.ts do whole-message work (decode rejects trailing bytes).
 * - opaque<V> fields are Uint8Array (decoded values are copies, never views
 *   into the input); uint8/16/32 are number; uint64 is bigint (epoch,
 *   lifetime). Enums are `const` objects of their wire values plus a type of
 *   the same name: `ProposalType.add === 1`.
 * - A `select` becomes a discriminated union on the selector field, with the
 *   selected body under the RFC case/field name:
 *     Proposal       { proposalType: ProposalType.add, add: Add } | { proposalType: .update, update: Update } | ...
 *                    (remove, psk, reinit, externalInit, groupContextExtensions)
 *     ProposalOrRef  { type: 1, proposal: Proposal } | { type: 2, reference: Uint8Array }
 *     Sender         { senderType: 1, leafIndex } | { senderType: 2, senderIndex } | { senderType: 3 } | { senderType: 4 }
 *     FramedContent  { groupId, epoch, sender, authenticatedData } &
 *                    ({ contentType: 1, applicationData } | { contentType: 2, proposal } | { contentType: 3, commit })
 *     LeafNode       { encryptionKey, signatureKey, credential, capabilities, extensions, signature } &
 *                    ({ leafNodeSource: 1, lifetime } | { leafNodeSource: 2 } | { leafNodeSource: 3, parentHash })
 *     Node           { nodeType: 1, leafNode } | { nodeType: 2, parentNode }
 *     PreSharedKeyID { psktype: 1, pskId, pskNonce } | { psktype: 2, usage, pskGroupId, pskEpoch, pskNonce }
 *     MLSMessage     { version: 1 } & ({ wireFormat: 1, publicMessage } | { wireFormat: 2, privateMessage }
 *                    | { wireFormat: 3, welcome } | { wireFormat: 4, groupInfo } | { wireFormat: 5, keyPackage })
 *     Credential     BasicCredential { credentialType: 1, identity } | X509Credential { credentialType: 2,
 *                    certificates: Uint8Array[] } | OtherCredential { credentialType, body } — narrow with
 *                    isBasicCredential / isX509Credential (unknown types are kept, see credential.ts).
 * - A select keyed on a field *outside* the struct is an optional field that is
 *   present exactly when the RFC says (encoders check, MLS_INVALID_STRUCTURE):
 *   FramedContentAuthData.confirmationTag (commit), PublicMessage.membershipTag
 *   (member sender), FramedContentTBS.context (member / new_member_commit),
 *   LeafNodeTBS groupId+leafIndex (update / commit), Commit.path and
 *   GroupSecrets.pathSecret are plain optionals. Their codecs take the key:
 *   framedContentAuthDataCodec(contentType), privateMessageContentCodec(contentType).
 * - PrivateMessageContent padding is kept as `paddingLength` (it must be zero;
 *   non-zero padding is DECODE_INVALID_PADDING).
 * - Ratchet tree: RatchetTree = (Node | undefined)[] in array order; the codec
 *   refuses an empty tree or a trailing blank (DECODE_INVALID_TREE).
 *
 * Exact bytes: withBytes(codec) decodes to { value, bytes } (and encodes the
 * bytes verbatim), so LeafNode / KeyPackage encodings can be kept for tree
 * hashes and KeyPackageRefs; leafNodeTbsBytes / keyPackageTbsBytes /
 * groupInfoTbsBytes derive the to-be-signed bytes from them without
 * re-encoding; leafTreeHashInput / parentTreeHashInput accept encoded nodes.
 *
 * Errors: decoders raise only TalosError. Closed enums (ContentType,
 * SenderType, LeafNodeSource, NodeType, ProposalOrRefType, PSKType,
 * ResumptionPSKUsage, and WireFormat/ProtocolVersion where the layout depends
 * on them) reject unknown values with DECODE_INVALID_VALUE, as do proposal
 * types outside RFC 9420's seven (their bodies cannot be framed). Open
 * registries whose values are just carried (extension types, cipher suites,
 * capabilities lists, credential types) are kept as numbers.
 */
export * from './capabilities.js'
export * from './commit.js'
export * from './credential.js'
export * from './encoded.js'
export * from './extension.js'
export * from './framing.js'
export * from './group-context.js'
export * from './group-info.js'
export * from './hpke.js'
export * from './key-package.js'
export * from './leaf-node.js'
export * from './lifetime.js'
export * from './message.js'
export * from './private-message.js'
export * from './proposal.js'
export * from './psk.js'
export * from './public-message.js'
export * from './ratchet-tree.js'
export * from './transcript.js'
export * from './tree-hash-input.js'
export * from './welcome.js'
