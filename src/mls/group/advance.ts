/**
 * The step shared by creating and processing a Commit (RFC 9420 §12.4.1,
 * §12.4.2, §8, §8.2): from the staged tree and extensions, the signed
 * commit content, commit_secret, psk_secret and the init_secret to use,
 * compute the new GroupContext, run the key schedule and build the new epoch.
 *
 *   confirmed_transcript_hash = Hash(interim_before || ConfirmedTranscriptHashInput)
 *   GroupContext_[n+1] = { ..., epoch + 1, tree_hash, confirmed_transcript_hash, extensions }
 *   schedule(init_secret, commit_secret, psk_secret, GroupContext_[n+1])
 *   confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)
 *
 * The processing side passes the received tag to check (constant time); the
 * creating side gets the tag back to put in the content. Inputs are
 * borrowed; joiner_secret and welcome_secret are returned for the Welcome and
 * must be zeroed by the caller.
 */
import { encode } from '../../codec/tls.js'
import { memzero } from '../../crypto/sodium.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { confirmationTag, confirmedTranscriptHash, interimTranscriptHash, verifyConfirmationTag } from '../framing/transcript.js'
import { runKeySchedule, zeroEpochSecrets } from '../schedule/key-schedule.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { Extension } from '../wire/extension.js'
import type { AuthenticatedContent } from '../wire/framing.js'
import { groupContextCodec, type GroupContext } from '../wire/group-context.js'
import type { GroupConfig } from './config.js'
import { openEpoch, type Epoch } from './epoch.js'

/** Largest epoch: the uint64 must not wrap. */
const MAX_EPOCH = 0xffffffffffffffffn

export interface AdvanceInput {
  readonly suite: CipherSuite
  readonly config: GroupConfig
  readonly old: GroupContext
  readonly oldInterimTranscriptHash: Uint8Array
  readonly tree: RatchetTree
  readonly extensions: Extension[]
  /** The Commit's AuthenticatedContent (signature set; confirmation_tag checked when present). */
  readonly commit: AuthenticatedContent
  readonly initSecret: Uint8Array
  readonly commitSecret: Uint8Array
  readonly pskSecret: Uint8Array | undefined
}

export interface Advanced {
  readonly epoch: Epoch
  readonly groupContext: GroupContext
  readonly confirmationTag: Uint8Array
  readonly joinerSecret: Uint8Array
  readonly welcomeSecret: Uint8Array
}

/** The provisional GroupContext (§12.4.1): new epoch, tree hash and extensions, old transcript hash. */
export function provisionalContext(old: GroupContext, treeHash: Uint8Array, extensions: Extension[]): GroupContext {
  if (old.epoch >= MAX_EPOCH) throw new TalosError('MLS_EPOCH_EXHAUSTED', 'the group has reached the last epoch')
  return { ...old, epoch: old.epoch + 1n, treeHash, extensions }
}

export function advanceEpoch(input: AdvanceInput): Advanced {
  const { suite } = input
  const confirmed = confirmedTranscriptHash(suite, input.oldInterimTranscriptHash, input.commit)
  const groupContext: GroupContext = {
    ...provisionalContext(input.old, input.tree.treeHash(), input.extensions),
    confirmedTranscriptHash: confirmed,
  }
  const schedule = runKeySchedule(suite, {
    initSecret: input.initSecret,
    commitSecret: input.commitSecret,
    pskSecret: input.pskSecret,
    groupContext: encode(groupContextCodec, groupContext),
  })
  const { joinerSecret, welcomeSecret, ...secrets } = schedule
  let tag: Uint8Array
  try {
    const received = input.commit.auth.confirmationTag
    if (received !== undefined) {
      verifyConfirmationTag(suite, secrets.confirmationKey, confirmed, received)
      tag = received
    } else {
      tag = confirmationTag(suite, secrets.confirmationKey, confirmed)
    }
  } catch (e) {
    zeroEpochSecrets(secrets)
    memzero(joinerSecret)
    memzero(welcomeSecret)
    throw e
  }
  const epoch = openEpoch(
    suite,
    groupContext,
    secrets,
    input.tree.leafCount,
    { interimTranscriptHash: interimTranscriptHash(suite, confirmed, tag), confirmationTag: tag },
    input.config,
  )
  return { epoch, groupContext, confirmationTag: tag, joinerSecret, welcomeSecret }
}
