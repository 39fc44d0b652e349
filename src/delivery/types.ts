/**
 * The DeliveryService contract: what src/group needs from a transport, and
 * nothing about how it is carried (in memory, a loopback socket, NATS).
 *
 * A group is an ordered log of opaque envelopes. Every entry gets a sequence
 * number (1, 2, 3, ... with no gaps) that is the same for every reader, so all
 * members see commits and messages in one total order. Commits are exclusive
 * per epoch: the first commit published for epoch E lands, every other one
 * gets DELIVERY_CONFLICT (a `DeliveryConflictError` naming the winner), which
 * is how two members racing to change the group are serialised without any
 * trusted coordinator (RFC 9420 §14 leaves this ordering to the DS).
 *
 * Readers hold durable cursors: a member that acknowledged seq N and goes
 * offline resumes at N+1. Acknowledgement is cumulative (acking N acks all
 * <= N). Delivery is at-least-once: after a crash, entries after the last ack
 * come again, so a reader must persist what it applied (with the seq) before
 * it acks, and skip seqs it already applied. src/store/process.ts does that.
 *
 * The service is untrusted for confidentiality and authenticity: envelopes
 * are end-to-end protected, and a receiver checks everything inside them. It
 * is trusted only for ordering and availability, as in MLS.
 */
import { TalosError } from '../errors.js'

/** What an entry in a log is. `direct` entries live in per-DID mailboxes. */
export type EntryKind = 'commit' | 'message' | 'direct'

export type PublishOptions =
  | { readonly kind: 'message' }
  | {
      readonly kind: 'commit'
      /**
       * The epoch the commit was built in (its FramedContent.epoch). It lands
       * only if the latest commit in the log was for `epoch - 1`, or if the log
       * holds no commit yet (the first commit fixes the base epoch). So at most
       * one commit per epoch can ever land.
       */
      readonly epoch: number
    }

export interface PublishReceipt {
  /** The entry's sequence number in its log. */
  readonly seq: number
}

/** One entry, as read by `fetch`. */
export interface LogEntry {
  readonly seq: number
  readonly kind: EntryKind
  readonly bytes: Uint8Array
}

/** One entry handed to a subscriber; `ack()` = `subscription.ack(seq)`. */
export interface Delivery extends LogEntry {
  ack(): Promise<void>
}

export interface CommitRef {
  readonly seq: number
  readonly epoch: number
}

export interface LogHead {
  /** Sequence number of the newest entry; 0 when the log is empty. */
  readonly lastSeq: number
  /** The newest commit, if any. */
  readonly lastCommit: CommitRef | undefined
}

export interface SubscribeOptions {
  /**
   * Resume after this seq: the reader's own persisted cursor, which wins over
   * the service's. Without it the subscription resumes after the member's
   * durable cursor (its last ack), or at the start of the log if it has none.
   * A member that joined through the commit at seq S passes S.
   */
  readonly after?: number
}

/**
 * Entries in seq order, each exactly once per subscription (gaps are never
 * skipped silently: a missing entry raises DELIVERY_GAP). Iterate it with
 * `for await`; breaking out of the loop closes it.
 */
export interface Subscription extends AsyncIterableIterator<Delivery> {
  /** Seq of the last entry handed out; before the first, the seq it resumed after. */
  readonly position: number
  /**
   * Cumulative acknowledgement: moves the durable cursor to `seq` (never
   * backwards). Acking a seq this subscription has not delivered yet is
   * DELIVERY_INVALID_ACK. Resolves once the ack is sent, not confirmed: a
   * lost ack only means a redelivery, which a reader skips. `close()` sends
   * pending acks before it resolves.
   */
  ack(seq: number): Promise<void>
  /** Stops delivery; a pending `next()` resolves as done. Idempotent. */
  close(): Promise<void>
  /** Iterator protocol: closes (what `break` in a for-await loop calls). */
  return(): Promise<IteratorResult<Delivery>>
}

/**
 * A key directory: KeyPackages (RFC 9420 §10) and prekey bundles, published
 * by DID. One-time items are handed out exactly once; the last-resort item
 * (RFC 9420 §16.8) is returned, and kept, when none is left.
 *
 * The directory does not authenticate owners: items are signed by them
 * (KeyPackage signature, signed prekey) and a claimer verifies before use.
 */
export interface Directory {
  /** Replaces `did`'s reusable item of `kind`. */
  setLastResort(did: string, kind: string, item: Uint8Array): Promise<void>
  /** Appends one-time items (at most MAX_ONE_TIME_ITEMS held per did and kind). */
  addOneTime(did: string, kind: string, items: readonly Uint8Array[]): Promise<void>
  /** One one-time item, removed as it is handed out; else the last-resort item; else undefined. */
  claim(did: string, kind: string): Promise<ClaimedItem | undefined>
  /** How many one-time items are left, so an owner knows when to top up. */
  countOneTime(did: string, kind: string): Promise<number>
}

export interface ClaimedItem {
  readonly item: Uint8Array
  readonly oneTime: boolean
}

export interface DeliveryService {
  /** Largest envelope `publish`/`sendDirect` accept (DELIVERY_TOO_LARGE beyond). */
  readonly maxEnvelopeBytes: number
  readonly directory: Directory

  publish(groupId: Uint8Array, envelope: Uint8Array, options: PublishOptions): Promise<PublishReceipt>
  /** Up to `limit` entries with seq >= fromSeq, in order (also bounded in total bytes). */
  fetch(groupId: Uint8Array, fromSeq: number, limit?: number): Promise<LogEntry[]>
  head(groupId: Uint8Array): Promise<LogHead>
  subscribe(groupId: Uint8Array, memberDid: string, options?: SubscribeOptions): Promise<Subscription>
  /** Forgets a member's durable cursor (after the member left the group). */
  dropCursor(groupId: Uint8Array, memberDid: string): Promise<void>
  /** Deletes a group's log and cursors. */
  deleteGroup(groupId: Uint8Array): Promise<void>

  /** Appends to `recipientDid`'s mailbox (Welcome messages, two-party messages). */
  sendDirect(recipientDid: string, envelope: Uint8Array): Promise<PublishReceipt>
  /** Reads one's own mailbox, with a durable cursor like a group subscription. */
  subscribeDirect(recipientDid: string, options?: SubscribeOptions): Promise<Subscription>

  /** Closes subscriptions and connections held by this instance. Idempotent. */
  close(): Promise<void>
}

/**
 * DELIVERY_CONFLICT: a commit for this epoch (or a later one) already landed.
 * The loser processes the log up to `latestCommit` (inclusive), rebuilds its
 * commit on the new epoch if still wanted, and publishes again. For two
 * publishers racing on the same epoch, `latestCommit` is the winner.
 */
export class DeliveryConflictError extends TalosError {
  readonly latestCommit: CommitRef

  constructor(latestCommit: CommitRef, message?: string) {
    super(
      'DELIVERY_CONFLICT',
      message ??
        `commit lost the race: the log already holds the commit for epoch ${latestCommit.epoch} at seq ${latestCommit.seq}`,
    )
    this.latestCommit = latestCommit
  }

  /** The conflict a commit for `attemptedEpoch` meets when `latest` is the newest commit. */
  static forEpoch(attemptedEpoch: number, latest: CommitRef): DeliveryConflictError {
    return new DeliveryConflictError(
      latest,
      `a commit for epoch ${attemptedEpoch} lost: the log already holds the commit for epoch ${latest.epoch} at seq ${latest.seq}`,
    )
  }
}
