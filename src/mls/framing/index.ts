/**
 * MLS message framing (RFC 9420 §6) and transcript hashes (§8.2).
 *
 * Per epoch, build a context once (encodes the GroupContext a single time):
 *
 *   const ctx = createFramingContext(suite, groupContext)
 *
 * The caller supplies group state through two small interfaces, so framing
 * never touches the ratchet tree:
 *
 *   interface SenderKeyLookup {                      // §6.1 signature keys
 *     memberSignatureKey(leafIndex): Uint8Array | undefined          // undefined = blank / no such leaf
 *     externalSenderSignatureKey?(senderIndex): Uint8Array | undefined // external_senders extension
 *   }                                                // new_member_* keys are read from the content
 *   interface PrivateMessageKeys { secretTree: KeySource (a schedule SecretTree); senderDataSecret }
 *
 * Sending
 *   createPrivateMessage(ctx, { sender, authenticatedData?, contentType, applicationData | proposal },
 *                        signaturePriv, keys, { padding?: 'none' | { multipleOf: N } }) -> PrivateMessage
 *       one step for application data and proposals (sign + encrypt, body encoded once).
 *   signContent(ctx, wireFormat, content, signaturePriv) -> AuthenticatedContent   (§6.1)
 *   withConfirmationTag(ac, tag) -> AuthenticatedContent                        (Commits)
 *   protectPublicMessage(ctx, ac, membershipKey?) -> PublicMessage              (§6.2)
 *   protectPrivateMessage(ctx, ac, keys, options?) -> PrivateMessage            (§6.3)
 *   Commit flow: ac = signContent(ctx, wf, commit, priv) -> confirmed =
 *   confirmedTranscriptHash(suite, interim, ac) -> new key schedule -> tag =
 *   confirmationTag(suite, confirmationKey, confirmed) -> protect*(withConfirmationTag(ac, tag)).
 *
 * Either wire format, dispatching on MLSMessage.wire_format (keys = { membershipKey, secretTree,
 * senderDataSecret }):
 *   protectMessage(ctx, ac, keys, options?) -> MLSMessage
 *   unprotectMessage(ctx, mlsMessage, keys, senders) -> StagedContent { content, commit(), discard() }
 *
 * Receiving
 *   unprotectPublicMessage(ctx, pm, membershipKey, senders) -> AuthenticatedContent   (pure)
 *   unprotectPrivateMessage(ctx, pm, keys, senders) -> StagedPrivateMessage
 *       { content, leafIndex, generation, commit(), discard() }: the message is fully
 *       verified (signature included) but its key is still in the secret tree until
 *       commit(); a rejected message leaves the tree byte-identical. Call exactly one of
 *       commit() / discard() (discard zeroes the staged key at once); committing after
 *       another message of the epoch was committed is MLS_STALE_STAGE (unprotect again).
 *   For a Commit: nextTranscriptHashes(suite, interimBefore, ac) and
 *   verifyConfirmationTag(suite, newConfirmationKey, confirmed, ac.auth.confirmationTag).
 *
 * Checks happen cheapest first; errors (TalosError codes):
 *   MLS_WRONG_GROUP_ID, MLS_WRONG_EPOCH, MLS_APPLICATION_IN_PUBLIC,
 *   MLS_INVALID_SENDER (sender type vs content type / wire format, §6.1, §12.1.8),
 *   MLS_UNKNOWN_SENDER (blank leaf, no such external sender), MLS_BAD_MEMBERSHIP_TAG,
 *   MLS_INVALID_SIGNATURE, MLS_BAD_CONFIRMATION_TAG, MLS_SENDER_DATA_DECRYPT_FAILED,
 *   MLS_CONTENT_DECRYPT_FAILED, MLS_OWN_MESSAGE (sender data names keys.ownLeaf, refused
 *   before the secret tree is asked for a key), MLS_GENERATION_REUSED / MLS_GENERATION_TOO_FAR (from the
 *   secret tree, before any derivation), DECODE_INVALID_PADDING and other DECODE_* for a
 *   malformed plaintext, MLS_MISSING_CONFIRMATION_TAG, MLS_MISSING_MEMBERSHIP_KEY,
 *   MLS_INVALID_WIRE_FORMAT, MLS_MALFORMED_MESSAGE (a caller-built object that is not a
 *   valid message). Hostile input never raises anything but a TalosError.
 *
 * Everything here is synchronous: the per-message path does one signature or
 * verification, two AEADs and five KDF calls, nothing that grows with the group.
 */
export { createFramingContext, checkGroupAndEpoch, type FramingContext } from './context.js'
export {
  checkSenderContent,
  frameContent,
  FRAMED_CONTENT_TBS_LABEL,
  memberSignatureKey,
  senderSignatureKey,
  signContent,
  withConfirmationTag,
  type SenderKeyLookup,
  type UnframedContent,
} from './authentication.js'
export { authenticatedContentTbm, encodeBody, framedContentTbs, type ContentHeader } from './tbs.js'
export { protectPublicMessage, unprotectPublicMessage } from './public-message.js'
export {
  createPrivateMessage,
  decodePrivateMessageView,
  encodePrivateMessageMLSMessage,
  isPrivateMessageBytes,
  protectPrivateMessage,
  unprotectPrivateMessage,
  type KeySource,
  type PrivateMessageKeys,
  type ProtectOptions,
  type StagedPrivateMessage,
} from './private-message.js'
export { protectMessage, unprotectMessage, type EpochFramingKeys, type StagedContent } from './mls-message.js'
export { MAX_PADDING_BLOCK, paddingLength, type PaddingPolicy } from './padding.js'
export { decryptSenderData, encryptSenderData, SENDER_DATA_LENGTH } from './sender-data.js'
export {
  confirmationTag,
  confirmedTranscriptHash,
  interimTranscriptHash,
  nextTranscriptHashes,
  verifyConfirmationTag,
  type TranscriptHashes,
} from './transcript.js'
