/**
 * Encoding and decoding a PrivateMessage (RFC 9420 §6.3, §6.3.1, §6.3.2).
 *
 * protect (sender, a member):
 *   (generation, key, nonce) = next step of our own handshake ratchet (proposal,
 *                              commit) or application ratchet (application), §9.1
 *   nonce[0..3] ^= reuse_guard                         (4 fresh random octets)
 *   ciphertext = AEAD.Seal(key, nonce, PrivateContentAAD, body || auth || zero padding)
 *   encrypted_sender_data = Seal(SenderData{leaf, generation, reuse_guard}), §6.3.2
 * The ratchet step is committed (key deleted) as soon as the content is
 * sealed: a key that produced a ciphertext is never used again.
 *
 * unprotect (receiver): group_id and epoch; sender data; the leaf must be a
 * non-blank member (its signature key must exist); the key for (leaf,
 * generation) is *staged* from the secret tree (generation too far ahead or
 * already used is refused before any derivation); content decrypted;
 * padding all zero; signature verified. Only then does the caller get a
 * StagedPrivateMessage whose commit() consumes the key. Any failure discards
 * the staged key: the secret tree is left byte-identical.
 *
 * Cost per message: one signature (or verification), two AEADs, two
 * ExpandWithLabel for the sender data key/nonce, three DeriveTreeSecret for
 * the ratchet step (plus O(log n) once per sender per epoch for the first
 * key of a leaf). The content body is encoded once on send and never
 * re-encoded on receive: the signature covers the exact plaintext slice.
 */
import { Reader } from '../../codec/tls.js'
import { memzero } from '../../crypto/index.js'
import { TalosError, wrapErrors } from '../../errors.js'
import type { RatchetType, StagedKey } from '../schedule/index.js'
import {
  ContentType,
  decodeAuthData,
  decodeContentBody,
  decodeContentType,
  MLS10,
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type FramedContent,
  type FramedContentAuthData,
  type FramedContentBody,
  type PrivateMessage,
} from '../wire/index.js'
import {
  checkAuthShape,
  checkSenderContent,
  frameContent,
  memberSignatureKey,
  signTbs,
  verifyContentSignature,
  type SenderKeyLookup,
  type UnframedContent,
} from './authentication.js'
import { checkGroupAndEpoch, type FramingContext } from './context.js'
import { ExactWriter, opaqueSize, Scratch } from './exact-writer.js'
import { checkPaddingPolicy, paddingLength, type PaddingPolicy } from './padding.js'
import { freshReuseGuard, guardedNonce } from './reuse-guard.js'
import { decryptSenderData, encryptSenderData } from './sender-data.js'
import { bodySize, encodeBody, writeBody, type BodyInput } from './tbs.js'

/** The staged key API of the epoch's secret tree (src/mls/schedule SecretTree satisfies it). */
export interface KeySource {
  stageKey(leaf: number, type: RatchetType, generation: number): StagedKey
  stageNextKey(leaf: number, type: RatchetType): StagedKey
}

export interface PrivateMessageKeys {
  /** The epoch's secret tree (§9). */
  readonly secretTree: KeySource
  /** The epoch's sender_data_secret; borrowed, never zeroed here. */
  readonly senderDataSecret: Uint8Array
  /**
   * The receiver's own leaf, if it is a member: a message whose sender data
   * names it is our own, echoed back (MLS_OWN_MESSAGE), refused before any
   * key of the secret tree is looked at (our own ratchet has already
   * consumed that generation).
   */
  readonly ownLeaf?: number | undefined
}

export interface ProtectOptions {
  /** Default 'none'. */
  readonly padding?: PaddingPolicy
}

/** A verified PrivateMessage whose key is not consumed yet. */
export interface StagedPrivateMessage {
  readonly content: AuthenticatedContent
  readonly leafIndex: number
  readonly generation: number
  /** Consumes the key in the secret tree (§9.2 deletion). Call once the content is accepted. */
  commit(): void
  /** Leaves the secret tree as it was. */
  discard(): void
}

/** PrivateMessageContent before sealing (the AEAD copies it); zeroed after each seal. */
const plaintextScratch = new Scratch()

function ratchetFor(contentType: ContentType): RatchetType {
  return contentType === ContentType.application ? 'application' : 'handshake'
}

/** Encrypts signed content for a PrivateMessage (the sender must be a member). */
export function protectPrivateMessage(
  ctx: FramingContext,
  ac: AuthenticatedContent,
  keys: PrivateMessageKeys,
  options: ProtectOptions = {},
): PrivateMessage {
  if (ac.wireFormat !== WireFormat.mls_private_message) {
    throw new TalosError('MLS_INVALID_WIRE_FORMAT', 'content was signed for a PublicMessage')
  }
  checkGroupAndEpoch(ctx, ac.content.groupId, ac.content.epoch)
  checkSenderContent(ac.content, ac.wireFormat)
  checkAuthShape(ac)
  return encryptContent(ctx, ac.content, encodeBody(ac.content), ac.auth, keys, options.padding ?? 'none')
}

/**
 * Frames, signs and encrypts application data or a proposal in one step (the
 * hot path: the body is encoded once for both the signature and the
 * plaintext). Commits need their confirmation_tag between signing and
 * encrypting: use signContent, withConfirmationTag, protectPrivateMessage.
 */
export function createPrivateMessage(
  ctx: FramingContext,
  content: UnframedContent,
  signaturePrivateKey: Uint8Array,
  keys: PrivateMessageKeys,
  options: ProtectOptions = {},
): PrivateMessage {
  if (content.contentType === ContentType.commit) {
    throw new TalosError('MLS_MISSING_CONFIRMATION_TAG', 'a Commit is signed, then confirmed, then protected')
  }
  const padding = options.padding ?? 'none'
  checkPaddingPolicy(padding)
  const framed = frameContent(ctx, content)
  const wireFormat = WireFormat.mls_private_message
  checkSenderContent(framed, wireFormat)
  // Application data goes into the SignContent and the plaintext as it is (opaque<V>), without an intermediate body buffer.
  const body: Uint8Array | BodyInput = framed.contentType === ContentType.application ? { applicationData: framed.applicationData } : encodeBody(framed)
  const signature = signTbs(ctx, wireFormat, framed, framed.contentType, body, signaturePrivateKey)
  return encryptContent(ctx, framed, body, { signature }, keys, padding)
}

function encryptContent(
  ctx: FramingContext,
  content: FramedContent,
  body: Uint8Array | BodyInput,
  auth: FramedContentAuthData,
  keys: PrivateMessageKeys,
  padding: PaddingPolicy,
): PrivateMessage {
  const suite = ctx.suite
  const sender = content.sender
  if (sender.senderType !== SenderType.member) {
    throw new TalosError('MLS_INVALID_SENDER', 'only a member can send a PrivateMessage')
  }
  // Checked before a sending key is taken: after the seal below the key is burnt.
  if (keys.senderDataSecret.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_SECRET_LENGTH', `sender_data_secret must be ${suite.Nh} bytes`)
  }
  // PrivateMessageContent = body || FramedContentAuthData || zero padding (§6.3.1).
  const tag = content.contentType === ContentType.commit ? auth.confirmationTag : undefined
  const unpadded = bodySize(body) + opaqueSize(auth.signature) + (tag === undefined ? 0 : opaqueSize(tag))
  const pad = paddingLength(padding, unpadded)
  const { contentAad, senderDataAad } = aads(content)

  const staged = keys.secretTree.stageNextKey(sender.leafIndex, ratchetFor(content.contentType))
  const reuseGuard = freshReuseGuard()
  const nonce = guardedNonce(staged.nonce, reuseGuard)
  const plaintext = plaintextScratch.view(unpadded + pad)
  let ciphertext: Uint8Array
  try {
    const w = writeBody(new ExactWriter(plaintext.length, plaintext), body).opaque(auth.signature)
    if (tag !== undefined) w.opaque(tag)
    ciphertext = suite.seal(staged.key, nonce, contentAad, w.zeros(pad).done())
  } catch (e) {
    staged.discard()
    throw e
  } finally {
    memzero(nonce)
    memzero(plaintext) // the scratch held the content
  }
  const generation = staged.generation
  staged.commit()

  const encryptedSenderData = encryptSenderData(suite, keys.senderDataSecret, senderDataAad, ciphertext, {
    leafIndex: sender.leafIndex,
    generation,
    reuseGuard,
  })
  memzero(reuseGuard)
  return {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
    authenticatedData: content.authenticatedData,
    encryptedSenderData,
    ciphertext,
  }
}

/**
 * The MLSMessage bytes of a PrivateMessage (§6: version, wire_format, then the
 * struct), written into one buffer of the exact size: the codec's growing
 * Writer reallocates and copies the ~1 KiB ciphertext on its way.
 */
export function encodePrivateMessageMLSMessage(pm: PrivateMessage): Uint8Array {
  const size =
    4 + opaqueSize(pm.groupId) + 9 + opaqueSize(pm.authenticatedData) + opaqueSize(pm.encryptedSenderData) + opaqueSize(pm.ciphertext)
  return new ExactWriter(size)
    .u16(MLS10)
    .u16(WireFormat.mls_private_message)
    .opaque(pm.groupId)
    .u64(pm.epoch)
    .u8(pm.contentType)
    .opaque(pm.authenticatedData)
    .opaque(pm.encryptedSenderData)
    .opaque(pm.ciphertext)
    .done()
}

/** True when MLSMessage bytes announce a PrivateMessage (version and wire_format are the first four octets). */
export function isPrivateMessageBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[2] === 0 && bytes[3] === WireFormat.mls_private_message
}

/**
 * Decodes MLSMessage bytes holding a PrivateMessage with decodeMLSMessage's
 * checks and errors, except that encrypted_sender_data and ciphertext are
 * views of `bytes` rather than copies (a ~1 KiB allocation per message):
 * unprotect reads both synchronously and keeps neither, so no view outlives
 * the call that received the bytes. group_id and authenticated_data, which
 * end up in the returned content, are copies.
 */
export function decodePrivateMessageView(bytes: Uint8Array): PrivateMessage {
  const r = new Reader(bytes)
  const version = r.u16()
  if (version !== MLS10) throw new TalosError('DECODE_INVALID_VALUE', `MLSMessage: unsupported version ${version}`)
  if (r.u16() !== WireFormat.mls_private_message) throw new TalosError('MLS_UNEXPECTED_WIRE_FORMAT', 'not a PrivateMessage')
  const groupId = r.opaque()
  const epoch = r.u64()
  const contentType = decodeContentType(r)
  const authenticatedData = r.opaque()
  const [encryptedSenderData, next] = opaqueView(bytes, r.offset)
  const [ciphertext, end] = opaqueView(bytes, next)
  new Reader(bytes, end).assertDone('MLSMessage')
  return { groupId, epoch, contentType, authenticatedData, encryptedSenderData, ciphertext }
}

/** opaque<V> at `at` as a view, and the offset after it. */
function opaqueView(bytes: Uint8Array, at: number): [Uint8Array, number] {
  const r = new Reader(bytes, at)
  const length = r.varint()
  const start = r.offset
  if (length > bytes.length - start) {
    throw new TalosError('DECODE_TRUNCATED', `opaque body: need ${length} bytes at offset ${start}, ${bytes.length - start} left`)
  }
  return [bytes.subarray(start, start + length), start + length]
}

/**
 * Decrypts and verifies a PrivateMessage. The secret tree is not changed
 * until the caller calls commit() on the result; on any error it is not
 * changed at all.
 */
export function unprotectPrivateMessage(
  ctx: FramingContext,
  pm: PrivateMessage,
  keys: PrivateMessageKeys,
  senders: SenderKeyLookup,
): StagedPrivateMessage {
  return wrapErrors('MLS_MALFORMED_MESSAGE', 'PrivateMessage', () => unprotect(ctx, pm, keys, senders))
}

function unprotect(
  ctx: FramingContext,
  pm: PrivateMessage,
  keys: PrivateMessageKeys,
  senders: SenderKeyLookup,
): StagedPrivateMessage {
  const suite = ctx.suite
  checkGroupAndEpoch(ctx, pm.groupId, pm.epoch)
  const { contentAad, senderDataAad } = aads(pm)
  const sd = decryptSenderData(suite, keys.senderDataSecret, senderDataAad, pm.ciphertext, pm.encryptedSenderData)
  if (keys.ownLeaf !== undefined && sd.leafIndex === keys.ownLeaf) {
    throw new TalosError('MLS_OWN_MESSAGE', 'this PrivateMessage was sent by us (echoed back by the delivery service)')
  }
  const sender = { senderType: SenderType.member, leafIndex: sd.leafIndex } as const
  // §6.3.2: the leaf must be a non-blank member; checked before any key is derived.
  const header = { groupId: pm.groupId, epoch: pm.epoch, sender, authenticatedData: pm.authenticatedData }
  const publicKey = memberSignatureKey(senders, sd.leafIndex)

  const staged = keys.secretTree.stageKey(sd.leafIndex, ratchetFor(pm.contentType), sd.generation)
  try {
    const nonce = guardedNonce(staged.nonce, sd.reuseGuard)
    let plaintext: Uint8Array
    try {
      plaintext = suite.open(staged.key, nonce, contentAad, pm.ciphertext)
    } catch (e) {
      throw new TalosError('MLS_CONTENT_DECRYPT_FAILED', 'PrivateMessage ciphertext does not decrypt', { cause: e })
    } finally {
      memzero(nonce)
    }
    const { body, bodyBytes, auth } = decodePlaintext(plaintext, pm.contentType)
    const content: FramedContent = { ...header, ...body }
    const wireFormat = WireFormat.mls_private_message
    checkSenderContent(content, wireFormat)
    verifyContentSignature(ctx, wireFormat, header, pm.contentType, bodyBytes, publicKey, auth.signature)
    return new Staged({ wireFormat, content, auth }, sd.leafIndex, sd.generation, staged)
  } catch (e) {
    staged.discard()
    throw e
  }
}

/** A class rather than closures: no per-message function objects on the hot path. */
class Staged implements StagedPrivateMessage {
  constructor(
    readonly content: AuthenticatedContent,
    readonly leafIndex: number,
    readonly generation: number,
    private readonly key: StagedKey,
  ) {}

  commit(): void {
    this.key.commit()
  }

  discard(): void {
    this.key.discard()
  }
}

/**
 * PrivateContentAAD and SenderDataAAD (§6.3.1, §6.3.2). The latter is the
 * former without its final authenticated_data<V>, so one encoding gives both.
 */
function aads(m: Pick<PrivateMessage, 'groupId' | 'epoch' | 'contentType' | 'authenticatedData'>): {
  contentAad: Uint8Array
  senderDataAad: Uint8Array
} {
  const tail = opaqueSize(m.authenticatedData)
  const contentAad = new ExactWriter(opaqueSize(m.groupId) + 9 + tail)
    .opaque(m.groupId)
    .u64(m.epoch)
    .u8(m.contentType)
    .opaque(m.authenticatedData)
    .done()
  return { contentAad, senderDataAad: contentAad.subarray(0, contentAad.length - tail) }
}

/**
 * PrivateMessageContent (§6.3.1) with the exact body bytes kept for the
 * signature check. Padding is every octet after auth and must be zero; all
 * of it is read (no early exit) so timing does not reveal where a non-zero
 * octet sits.
 *
 * application_data is returned as a view of the plaintext rather than a
 * copy (a ~1 KiB allocation per message): the plaintext is a fresh buffer
 * from the AEAD that nothing else holds, so the view aliases nothing the
 * sender or the caller could change.
 */
function decodePlaintext(
  plaintext: Uint8Array,
  contentType: ContentType,
): { body: FramedContentBody; bodyBytes: Uint8Array; auth: FramedContentAuthData } {
  let r = new Reader(plaintext)
  let body: FramedContentBody
  if (contentType === ContentType.application) {
    const length = r.varint()
    const start = r.offset
    if (length > plaintext.length - start) {
      throw new TalosError('DECODE_TRUNCATED', `application_data: need ${length} bytes at offset ${start}, ${plaintext.length - start} left`)
    }
    body = { contentType, applicationData: plaintext.subarray(start, start + length) }
    r = new Reader(plaintext, start + length)
  } else {
    body = decodeContentBody(r, contentType)
  }
  const bodyEnd = r.offset
  const auth = decodeAuthData(r, contentType)
  let acc = 0
  for (let i = r.offset; i < plaintext.length; i++) acc |= plaintext[i]!
  if (acc !== 0) throw new TalosError('DECODE_INVALID_PADDING', 'PrivateMessageContent padding is not all zero')
  return { body, bodyBytes: plaintext.subarray(0, bodyEnd), auth }
}
