/**
 * fast-check generators for every RFC 9420 wire struct, covering every
 * branch of every select (all proposal types, sender types, content types,
 * leaf sources, credential kinds including unknown ones, both PSK types),
 * which the official vectors exercise only partly. Values are always
 * well-formed, so encoding them must succeed and decoding must give them back.
 */
import fc from 'fast-check'
import {
  ContentType,
  CredentialType,
  LeafNodeSource,
  MLS10,
  NodeType,
  ProposalOrRefType,
  ProposalType,
  PSKType,
  SenderType,
  WireFormat,
  type Commit,
  type Credential,
  type FramedContent,
  type FramedContentAuthData,
  type FramedContentBody,
  type GroupContext,
  type GroupInfo,
  type KeyPackage,
  type LeafNode,
  type MLSMessage,
  type Node,
  type PreSharedKeyID,
  type PrivateMessage,
  type PrivateMessageContent,
  type Proposal,
  type PublicMessage,
  type RatchetTree,
  type Sender,
  type UpdatePath,
  type Welcome,
  type GroupSecrets,
  type AuthenticatedContent,
} from '../../../src/mls/wire/index.js'

type Arb<T> = fc.Arbitrary<T>

export const bytes = (max = 24): Arb<Uint8Array> => fc.uint8Array({ maxLength: max })
export const u8 = fc.integer({ min: 0, max: 0xff })
export const u16 = fc.integer({ min: 0, max: 0xffff })
export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
const list = <T>(a: Arb<T>, max = 3) => fc.array(a, { maxLength: max })

export const extension = fc.record({ extensionType: u16, extensionData: bytes() })
const extensions = list(extension)

export const credential: Arb<Credential> = fc.oneof(
  fc.record({ credentialType: fc.constant(CredentialType.basic), identity: bytes() }),
  fc.record({ credentialType: fc.constant(CredentialType.x509), certificates: list(bytes(40)) }),
  fc.record({ credentialType: u16.filter((t) => t !== 1 && t !== 2), body: bytes() }),
)

export const capabilities = fc.record({
  versions: list(u16),
  cipherSuites: list(u16),
  extensions: list(u16),
  proposals: list(u16),
  credentials: list(u16),
})

export const leafNode: Arb<LeafNode> = fc
  .tuple(
    fc.record({
      encryptionKey: bytes(32),
      signatureKey: bytes(32),
      credential,
      capabilities,
      extensions,
      signature: bytes(64),
    }),
    fc.oneof(
      fc.record({
        leafNodeSource: fc.constant(LeafNodeSource.key_package),
        lifetime: fc.record({ notBefore: u64, notAfter: u64 }),
      }),
      fc.record({ leafNodeSource: fc.constant(LeafNodeSource.update) }),
      fc.record({ leafNodeSource: fc.constant(LeafNodeSource.commit), parentHash: bytes(32) }),
    ),
  )
  .map(([common, src]) => ({ ...common, ...src }) as LeafNode)

export const keyPackage: Arb<KeyPackage> = fc.record({
  version: u16,
  cipherSuite: u16,
  initKey: bytes(32),
  leafNode,
  extensions,
  signature: bytes(64),
})

export const parentNode = fc.record({ encryptionKey: bytes(32), parentHash: bytes(32), unmergedLeaves: list(u32) })

export const node: Arb<Node> = fc.oneof(
  fc.record({ nodeType: fc.constant(NodeType.leaf), leafNode }),
  fc.record({ nodeType: fc.constant(NodeType.parent), parentNode }),
)

export const ratchetTree: Arb<RatchetTree> = fc
  .tuple(list(fc.option(node, { nil: undefined }), 4), node)
  .map(([xs, last]) => [...xs, last])

export const hpkeCiphertext = fc.record({ kemOutput: bytes(32), ciphertext: bytes(48) })

export const updatePath: Arb<UpdatePath> = fc.record({
  leafNode,
  nodes: list(fc.record({ encryptionKey: bytes(32), encryptedPathSecret: list(hpkeCiphertext) })),
})

export const preSharedKeyId: Arb<PreSharedKeyID> = fc.oneof(
  fc.record({ psktype: fc.constant(PSKType.external), pskId: bytes(), pskNonce: bytes(32) }),
  fc.record({
    psktype: fc.constant(PSKType.resumption),
    usage: fc.constantFrom(1 as const, 2 as const, 3 as const),
    pskGroupId: bytes(),
    pskEpoch: u64,
    pskNonce: bytes(32),
  }),
)

export const proposal: Arb<Proposal> = fc.oneof(
  fc.record({ proposalType: fc.constant(ProposalType.add), add: fc.record({ keyPackage }) }),
  fc.record({ proposalType: fc.constant(ProposalType.update), update: fc.record({ leafNode }) }),
  fc.record({ proposalType: fc.constant(ProposalType.remove), remove: fc.record({ removed: u32 }) }),
  fc.record({ proposalType: fc.constant(ProposalType.psk), psk: fc.record({ psk: preSharedKeyId }) }),
  fc.record({
    proposalType: fc.constant(ProposalType.reinit),
    reinit: fc.record({ groupId: bytes(), version: u16, cipherSuite: u16, extensions }),
  }),
  fc.record({ proposalType: fc.constant(ProposalType.external_init), externalInit: fc.record({ kemOutput: bytes() }) }),
  fc.record({
    proposalType: fc.constant(ProposalType.group_context_extensions),
    groupContextExtensions: fc.record({ extensions }),
  }),
)

export const commit: Arb<Commit> = fc.record({
  proposals: list(
    fc.oneof(
      fc.record({ type: fc.constant(ProposalOrRefType.proposal), proposal }),
      fc.record({ type: fc.constant(ProposalOrRefType.reference), reference: bytes(32) }),
    ),
  ),
  path: fc.option(updatePath, { nil: undefined }),
})

export const sender: Arb<Sender> = fc.oneof(
  fc.record({ senderType: fc.constant(SenderType.member), leafIndex: u32 }),
  fc.record({ senderType: fc.constant(SenderType.external), senderIndex: u32 }),
  fc.record({ senderType: fc.constant(SenderType.new_member_proposal) }),
  fc.record({ senderType: fc.constant(SenderType.new_member_commit) }),
)

export const contentBody: Arb<FramedContentBody> = fc.oneof(
  fc.record({ contentType: fc.constant(ContentType.application), applicationData: bytes(40) }),
  fc.record({ contentType: fc.constant(ContentType.proposal), proposal }),
  fc.record({ contentType: fc.constant(ContentType.commit), commit }),
)

export const framedContent: Arb<FramedContent> = fc
  .tuple(fc.record({ groupId: bytes(), epoch: u64, sender, authenticatedData: bytes() }), contentBody)
  .map(([h, b]) => ({ ...h, ...b }))

const authFor = (contentType: ContentType): Arb<FramedContentAuthData> =>
  contentType === ContentType.commit
    ? fc.record({ signature: bytes(64), confirmationTag: bytes(32) })
    : fc.record({ signature: bytes(64) })

export const authenticatedContent: Arb<AuthenticatedContent> = framedContent.chain((content) =>
  fc.record({
    wireFormat: fc.constantFrom(WireFormat.mls_public_message, WireFormat.mls_private_message),
    content: fc.constant(content),
    auth: authFor(content.contentType),
  }),
)

export const publicMessage: Arb<PublicMessage> = framedContent.chain((content) =>
  fc
    .tuple(authFor(content.contentType), bytes(32))
    .map(([auth, tag]) =>
      content.sender.senderType === SenderType.member ? { content, auth, membershipTag: tag } : { content, auth },
    ),
)

export const privateMessage: Arb<PrivateMessage> = fc.record({
  groupId: bytes(),
  epoch: u64,
  contentType: fc.constantFrom(ContentType.application, ContentType.proposal, ContentType.commit),
  authenticatedData: bytes(),
  encryptedSenderData: bytes(),
  ciphertext: bytes(64),
})

export const privateMessageContent: Arb<PrivateMessageContent> = contentBody.chain((body) =>
  fc
    .tuple(authFor(body.contentType), fc.integer({ min: 0, max: 40 }))
    .map(([auth, paddingLength]) => ({ ...body, auth, paddingLength })),
)

export const groupContext: Arb<GroupContext> = fc.record({
  version: u16,
  cipherSuite: u16,
  groupId: bytes(),
  epoch: u64,
  treeHash: bytes(32),
  confirmedTranscriptHash: bytes(32),
  extensions,
})

export const groupInfo: Arb<GroupInfo> = fc.record({
  groupContext,
  extensions,
  confirmationTag: bytes(32),
  signer: u32,
  signature: bytes(64),
})

export const groupSecrets: Arb<GroupSecrets> = fc.record({
  joinerSecret: bytes(32),
  pathSecret: fc.option(fc.record({ pathSecret: bytes(32) }), { nil: undefined }),
  psks: list(preSharedKeyId),
})

export const welcome: Arb<Welcome> = fc.record({
  cipherSuite: u16,
  secrets: list(fc.record({ newMember: bytes(32), encryptedGroupSecrets: hpkeCiphertext })),
  encryptedGroupInfo: bytes(64),
})

export const mlsMessage: Arb<MLSMessage> = fc.oneof(
  publicMessage.map((publicMessage) => ({ version: MLS10, wireFormat: WireFormat.mls_public_message, publicMessage })),
  privateMessage.map((privateMessage) => ({ version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage })),
  welcome.map((welcome) => ({ version: MLS10, wireFormat: WireFormat.mls_welcome, welcome })),
  groupInfo.map((groupInfo) => ({ version: MLS10, wireFormat: WireFormat.mls_group_info, groupInfo })),
  keyPackage.map((keyPackage) => ({ version: MLS10, wireFormat: WireFormat.mls_key_package, keyPackage })),
) as Arb<MLSMessage>
