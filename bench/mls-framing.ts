/**
 * MLS framing per message (RFC 9420 §6.3), suite 0x0003 (X25519,
 * ChaCha20-Poly1305, SHA-256, Ed25519), 1 KiB application data, next to its
 * crypto floor measured in the same run:
 *
 *   protect   = createPrivateMessage: sign FramedContentTBS, next application
 *               key of our ratchet, AEAD seal, sender data key/nonce, seal
 *   unprotect = unprotectPrivateMessage + commit(): sender data key/nonce,
 *               open, staged ratchet key, open, verify
 *   floor     = the primitives those need and nothing else: one Ed25519 sign
 *               (or verify) over a SignContent-sized message, the two AEADs of
 *               the same sizes, two ExpandWithLabel and three DeriveTreeSecret.
 *
 * The receiver consumes a pool of pre-built messages in order (each commit()
 * advances the ratchet exactly as live traffic would); when the pool runs out
 * the tree is replaced by a clone of the pristine one, once per 4096 messages.
 */
import { getCipherSuite, randomBytes } from '../src/crypto/index.js'
import {
  createFramingContext,
  createPrivateMessage,
  encodeBody,
  frameContent,
  framedContentTbs,
  unprotectPrivateMessage,
  type SenderKeyLookup,
  type UnframedContent,
} from '../src/mls/framing/index.js'
import { SecretTree } from '../src/mls/schedule/index.js'
import { ContentType, MLS10, SenderType, WireFormat, type GroupContext, type PrivateMessage } from '../src/mls/wire/index.js'
import { registerSuite, type BenchTask, type TaskResult } from './harness.js'

const N_LEAVES = 64
const SENDER = 5
const POOL = 4096

const PROTECT = 'protect 1 KiB (createPrivateMessage)'
const UNPROTECT = 'unprotect 1 KiB (unprotectPrivateMessage + commit)'
const FLOOR_PROTECT = 'floor: Ed25519 sign + 2 AEAD seal + 5 KDF'
const FLOOR_UNPROTECT = 'floor: Ed25519 verify + 2 AEAD open + 5 KDF'

function ratioNotes(results: readonly TaskResult[]): string {
  const row = (name: string) => results.find((r) => r.task === name)
  const line = (op: string, task: string, floor: string) => {
    const t = row(task)
    const f = row(floor)
    if (t === undefined || f === undefined) return `${op}: not measured`
    return `${op}: ${(t.medianUs / f.medianUs).toFixed(3)}x the floor by median (${t.medianUs.toFixed(1)} / ${f.medianUs.toFixed(1)} µs), ` +
      `${(t.meanUs / f.meanUs).toFixed(3)}x by mean`
  }
  return [
    `Group of ${N_LEAVES} leaves (the cost does not depend on it), sender leaf ${SENDER}, 1024 bytes of application data, no padding.`,
    line('protect', PROTECT, FLOOR_PROTECT),
    line('unprotect', UNPROTECT, FLOOR_UNPROTECT),
  ].join('\n\n')
}

registerSuite({
  name: 'mls-framing',
  title: 'MLS framing per message, suite 0x0003, 1 KiB application data',
  notes: ratioNotes,
  tasks: () => {
    const suite = getCipherSuite(3)
    const groupContext: GroupContext = {
      version: MLS10,
      cipherSuite: 3,
      groupId: randomBytes(16),
      epoch: 42n,
      treeHash: randomBytes(32),
      confirmedTranscriptHash: randomBytes(32),
      extensions: [],
    }
    const ctx = createFramingContext(suite, groupContext)
    const signer = suite.generateSignatureKeyPair()
    const senders: SenderKeyLookup = { memberSignatureKey: (leaf) => (leaf === SENDER ? signer.publicKey : undefined) }
    const encryptionSecret = randomBytes(32)
    const senderDataSecret = randomBytes(32)
    const content: UnframedContent = {
      sender: { senderType: SenderType.member, leafIndex: SENDER },
      contentType: ContentType.application,
      applicationData: randomBytes(1024),
    }
    const freshTree = () => SecretTree.create(suite, N_LEAVES, encryptionSecret.slice())

    const sendTree = freshTree()
    const sendKeys = { secretTree: sendTree, senderDataSecret }

    const poolTree = freshTree()
    const pool: PrivateMessage[] = []
    for (let i = 0; i < POOL; i++) pool.push(createPrivateMessage(ctx, content, signer.privateKey, { secretTree: poolTree, senderDataSecret }))
    // The receiver has already derived the sender's leaf (a handshake key
    // used), so the one-off O(log n) path derivation is outside the loop.
    const pristine = freshTree()
    pristine.stageKey(SENDER, 'handshake', 0).commit()
    let recvTree = pristine.clone()
    let next = 0

    // The floor, with the sizes the real path uses.
    const first = pool[0]!
    // SignContent = opaque label<V> ("MLS 1.0 FramedContentTBS") || opaque content<V> (the TBS).
    const framed = frameContent(ctx, content)
    const tbsLength = framedContentTbs(ctx, WireFormat.mls_private_message, framed, framed.contentType, encodeBody(framed)).length
    const signContentSize = 1 + 'MLS 1.0 FramedContentTBS'.length + 2 + tbsLength
    const signMessage = randomBytes(signContentSize)
    const signature = suite.sign(signer.privateKey, signMessage)
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const aad = randomBytes(30)
    const plaintext = randomBytes(first.ciphertext.length - 16)
    const ciphertext = suite.seal(key, nonce, aad, plaintext)
    const sdPlain = randomBytes(12)
    const sdCipher = suite.seal(key, nonce, aad, sdPlain)
    const secret = randomBytes(32)
    const sample = first.ciphertext.subarray(0, 32)
    const kdfs = () => {
      suite.expandWithLabel(secret, 'key', sample, 32)
      suite.expandWithLabel(secret, 'nonce', sample, 12)
      suite.deriveTreeSecret(secret, 'key', 7, 32)
      suite.deriveTreeSecret(secret, 'nonce', 7, 12)
      suite.deriveTreeSecret(secret, 'secret', 7, 32)
    }

    const tasks: BenchTask[] = [
      { name: PROTECT, fn: () => createPrivateMessage(ctx, content, signer.privateKey, sendKeys) },
      {
        name: FLOOR_PROTECT,
        fn: () => {
          suite.sign(signer.privateKey, signMessage)
          suite.seal(key, nonce, aad, plaintext)
          suite.seal(key, nonce, aad, sdPlain)
          kdfs()
        },
      },
      {
        name: UNPROTECT,
        fn: () => {
          if (next === POOL) {
            recvTree.zeroize()
            recvTree = pristine.clone()
            next = 0
          }
          unprotectPrivateMessage(ctx, pool[next++]!, { secretTree: recvTree, senderDataSecret }, senders).commit()
        },
      },
      {
        name: FLOOR_UNPROTECT,
        fn: () => {
          suite.open(key, nonce, aad, sdCipher)
          suite.open(key, nonce, aad, ciphertext)
          suite.verify(signer.publicKey, signMessage, signature)
          kdfs()
        },
      },
      { name: 'Ed25519 sign alone', fn: () => suite.sign(signer.privateKey, signMessage) },
      { name: 'Ed25519 verify alone', fn: () => suite.verify(signer.publicKey, signMessage, signature) },
    ]
    return tasks
  },
})
