/**
 * A synthetic epoch for the framing tests: a GroupContext, per-leaf signature
 * keys (leaf 2 is blank), an external sender, the epoch secrets framing uses,
 * and fresh secret trees from the same encryption_secret for the sender and
 * each receiver. Also a forge helper that encrypts an arbitrary plaintext the
 * way a (malicious) member holding the keys could.
 */
import { decode } from '../../../src/codec/tls.js'
import { getCipherSuite, randomBytes } from '../../../src/crypto/index.js'
import type { CipherSuite, KeyPair } from '../../../src/crypto/suite.js'
import {
  createFramingContext,
  encryptSenderData,
  type FramingContext,
  type PrivateMessageKeys,
  type SenderKeyLookup,
} from '../../../src/mls/framing/index.js'
import { SecretTree, serializeSecretTree, type SecretTreeOptions } from '../../../src/mls/schedule/index.js'
import {
  addCodec,
  MLS10,
  privateContentAadBytes,
  senderDataAadBytes,
  type ContentType,
  type GroupContext,
  type KeyPackage,
  type PrivateMessage,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

export const N_LEAVES = 4
export const BLANK_LEAF = 2

export interface Fixture {
  suite: CipherSuite
  groupContext: GroupContext
  ctx: FramingContext
  /** Signature key pairs by leaf; undefined for the blank leaf. */
  members: (KeyPair | undefined)[]
  external: KeyPair
  encryptionSecret: Uint8Array
  senderDataSecret: Uint8Array
  membershipKey: Uint8Array
  senders: SenderKeyLookup
  /** A fresh secret tree of the epoch (every member starts from the same one). */
  tree(options?: SecretTreeOptions, suite?: CipherSuite): SecretTree
  keys(tree: SecretTree): PrivateMessageKeys
  /** The same epoch with another GroupContext field changed. */
  contextWith(change: Partial<GroupContext>): FramingContext
}

export function fixture(suiteId: number): Fixture {
  const suite = getCipherSuite(suiteId)
  const groupContext: GroupContext = {
    version: MLS10,
    cipherSuite: suiteId,
    groupId: randomBytes(16),
    epoch: 7n,
    treeHash: randomBytes(suite.Nh),
    confirmedTranscriptHash: randomBytes(suite.Nh),
    extensions: [],
  }
  const members = Array.from({ length: N_LEAVES }, (_, i) => (i === BLANK_LEAF ? undefined : suite.generateSignatureKeyPair()))
  const external = suite.generateSignatureKeyPair()
  const encryptionSecret = randomBytes(suite.Nh)
  const senderDataSecret = randomBytes(suite.Nh)
  return {
    suite,
    groupContext,
    ctx: createFramingContext(suite, groupContext),
    members,
    external,
    encryptionSecret,
    senderDataSecret,
    membershipKey: randomBytes(suite.Nh),
    senders: {
      memberSignatureKey: (leaf) => members[leaf]?.publicKey,
      externalSenderSignatureKey: (i) => (i === 0 ? external.publicKey : undefined),
    },
    tree: (options, s = suite) => SecretTree.create(s, N_LEAVES, encryptionSecret.slice(), options),
    keys: (tree) => ({ secretTree: tree, senderDataSecret }),
    contextWith: (change) => createFramingContext(suite, { ...groupContext, ...change }),
  }
}

/** Hex of a tree's canonical serialization: equal strings = byte-identical state. */
export function snapshot(tree: SecretTree): string {
  return toHex(serializeSecretTree(tree))
}

/**
 * Encrypts `plaintext` as the PrivateMessageContent of leaf `leaf`'s next
 * generation (the tree's ratchet advances), with sender data `senderData`
 * bytes if given (default: the honest SenderData).
 */
export function forgePrivateMessage(
  fx: Fixture,
  tree: SecretTree,
  leaf: number,
  contentType: ContentType,
  plaintext: Uint8Array,
  options: { authenticatedData?: Uint8Array; senderLeaf?: number; senderDataPlaintext?: Uint8Array } = {},
): PrivateMessage {
  const { suite, groupContext } = fx
  const head = {
    groupId: groupContext.groupId,
    epoch: groupContext.epoch,
    contentType,
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
  }
  const staged = tree.stageNextKey(leaf, contentType === 1 ? 'application' : 'handshake')
  const reuseGuard = randomBytes(4)
  const nonce = staged.nonce.slice()
  for (let i = 0; i < 4; i++) nonce[i]! ^= reuseGuard[i]!
  const ciphertext = suite.seal(staged.key, nonce, privateContentAadBytes(head), plaintext)
  const generation = staged.generation
  staged.commit()
  let encryptedSenderData: Uint8Array
  if (options.senderDataPlaintext) {
    const sample = ciphertext.subarray(0, Math.min(suite.Nh, ciphertext.length))
    const key = suite.expandWithLabel(fx.senderDataSecret, 'key', sample, suite.Nk)
    const sdNonce = suite.expandWithLabel(fx.senderDataSecret, 'nonce', sample, suite.Nn)
    encryptedSenderData = suite.seal(key, sdNonce, senderDataAadBytes(head), options.senderDataPlaintext)
  } else {
    encryptedSenderData = encryptSenderData(suite, fx.senderDataSecret, senderDataAadBytes(head), ciphertext, {
      leafIndex: options.senderLeaf ?? leaf,
      generation,
      reuseGuard,
    })
  }
  return { ...head, encryptedSenderData, ciphertext }
}

/** A KeyPackage from messages.json (its structure only; tests swap the signature key). */
export function sampleKeyPackage(signatureKey: Uint8Array): KeyPackage {
  const v = loadVectors<Record<string, string>>('messages.json')[0]!
  const kp = decode(addCodec, hex(v.add_proposal!), 'Add').keyPackage
  return { ...kp, leafNode: { ...kp.leafNode, signatureKey } }
}
