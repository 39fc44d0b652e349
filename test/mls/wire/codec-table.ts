/**
 * The top-level decoders under test, each with a generator of valid values
 * (arbitraries.ts) and the official samples of that struct, used by the
 * round-trip properties and by the fuzzer.
 */
import type fc from 'fast-check'
import type { Codec } from '../../../src/codec/tls.js'
import * as W from '../../../src/mls/wire/index.js'
import { hex, loadVectors } from '../../helpers/vectors.js'
import * as A from './arbitraries.js'

export interface Entry {
  codec: Codec<any>
  arb: fc.Arbitrary<any>
  samples: Uint8Array[]
}

const messages = loadVectors<Record<string, string>>('messages.json').slice(0, 20)
const field = (f: string, skip = 0) => messages.map((c) => hex(c[f]!).subarray(skip))
const treekem = loadVectors<any>('treekem.json').slice(0, 5)
const transcript = loadVectors<any>('transcript-hashes.json')

const pmc = (ct: W.ContentType): Entry => ({
  codec: W.privateMessageContentCodec(ct),
  arb: A.privateMessageContent.filter((v) => v.contentType === ct),
  samples: [],
})

export const ENTRIES: Record<string, Entry> = {
  MLSMessage: {
    codec: W.mlsMessageCodec,
    arb: A.mlsMessage,
    samples: [
      'mls_welcome',
      'mls_group_info',
      'mls_key_package',
      'public_message_application',
      'public_message_proposal',
      'public_message_commit',
      'private_message',
    ].flatMap((f) => field(f)),
  },
  KeyPackage: { codec: W.keyPackageCodec, arb: A.keyPackage, samples: field('mls_key_package', 4) },
  GroupInfo: { codec: W.groupInfoCodec, arb: A.groupInfo, samples: field('mls_group_info', 4) },
  Welcome: { codec: W.welcomeCodec, arb: A.welcome, samples: field('mls_welcome', 4) },
  PublicMessage: { codec: W.publicMessageCodec, arb: A.publicMessage, samples: field('public_message_commit', 4) },
  PrivateMessage: { codec: W.privateMessageCodec, arb: A.privateMessage, samples: field('private_message', 4) },
  LeafNode: { codec: W.leafNodeCodec, arb: A.leafNode, samples: field('update_proposal') },
  RatchetTree: { codec: W.ratchetTreeCodec, arb: A.ratchetTree, samples: field('ratchet_tree') },
  GroupSecrets: { codec: W.groupSecretsCodec, arb: A.groupSecrets, samples: field('group_secrets') },
  Add: { codec: W.addCodec, arb: A.keyPackage.map((keyPackage) => ({ keyPackage })), samples: field('add_proposal') },
  Update: { codec: W.updateCodec, arb: A.leafNode.map((leafNode) => ({ leafNode })), samples: field('update_proposal') },
  PreSharedKey: {
    codec: W.preSharedKeyCodec,
    arb: A.preSharedKeyId.map((psk) => ({ psk })),
    samples: field('pre_shared_key_proposal'),
  },
  ReInit: {
    codec: W.reInitCodec,
    arb: A.proposal.filter((p) => p.proposalType === W.ProposalType.reinit).map((p) => (p as any).reinit),
    samples: field('re_init_proposal'),
  },
  Proposal: { codec: W.proposalCodec, arb: A.proposal, samples: [] },
  Commit: { codec: W.commitCodec, arb: A.commit, samples: field('commit') },
  UpdatePath: {
    codec: W.updatePathCodec,
    arb: A.updatePath,
    samples: treekem.flatMap((v) => v.update_paths.map((u: any) => hex(u.update_path))),
  },
  AuthenticatedContent: {
    codec: W.authenticatedContentCodec,
    arb: A.authenticatedContent,
    samples: transcript.map((v) => hex(v.authenticated_content)),
  },
  PrivateMessageContent_application: pmc(W.ContentType.application),
  PrivateMessageContent_proposal: pmc(W.ContentType.proposal),
  PrivateMessageContent_commit: pmc(W.ContentType.commit),
  SenderData: {
    codec: W.senderDataCodec,
    arb: A.u32.chain((leafIndex) =>
      A.u32.chain((generation) =>
        A.bytes(4)
          .filter((b) => b.length === 4)
          .map((reuseGuard) => ({ leafIndex, generation, reuseGuard })),
      ),
    ),
    samples: [],
  },
  Credential: { codec: W.credentialCodec, arb: A.credential, samples: [] },
  GroupContext: { codec: W.groupContextCodec, arb: A.groupContext, samples: [] },
  ExternalSenders: {
    codec: W.externalSendersCodec,
    arb: A.credential.chain((credential) => A.bytes(32).map((signatureKey) => [{ signatureKey, credential }])),
    samples: [],
  },
}
