/**
 * Coordinator baseline: a hub that relays every group message to every
 * member over two-party sessions (src/ratchet). It exists so the other group
 * protocols (sender keys, MLS, hybrid) can be measured against the simplest
 * thing that works, not as a recommendation.
 *
 * Its limits, by construction:
 *   - The hub sees every plaintext. Confidentiality is end-to-hub, not
 *     end-to-end: whoever runs or compromises the hub reads the group.
 *   - The hub is trusted for authenticity: a member learns who sent a
 *     message only from the hub's `sender` field; the hub can forge, drop,
 *     reorder or replay within its own sequence.
 *   - A broadcast costs O(n): the hub decrypts once and encrypts n-1 times,
 *     one two-party message per recipient.
 *   - Delivery is not atomic: the hub hands out n-1 separate messages; a
 *     crash or a network fault part-way leaves some members with a message
 *     others never get. Sequence numbers let a member notice a gap, not fill it.
 * What it gets in return: joining and leaving cost O(1) (a session with the
 * hub, no group key to rotate); a removed member simply stops receiving.
 */
import { TalosError } from '../errors.js'
import { constantTimeEqual } from '../crypto/sodium.js'
import type { PairwiseSessions } from '../ratchet/sessions.js'
import { COORDINATOR_VERSION, decodeSubmit, encodeDelivery } from './wire.js'

export interface Relayed {
  readonly sender: string
  readonly seq: bigint
  /** The plaintext, as the hub sees it. */
  readonly payload: Uint8Array
  /** One SessionMessage per other member. */
  readonly deliveries: Map<string, Uint8Array>
}

export class CoordinatorHub {
  private readonly memberSet = new Set<string>()
  private seq = 0n

  constructor(
    readonly groupId: Uint8Array,
    private readonly sessions: PairwiseSessions,
  ) {}

  get members(): string[] {
    return [...this.memberSet]
  }

  /** Admits a member; its session with the hub is made by its join message (`accept`). */
  addMember(member: string): void {
    this.memberSet.add(member)
  }

  /** Processes a member's join message: the session exists from now on, nothing is relayed. */
  accept(from: string, sessionMessage: Uint8Array): void {
    if (!this.memberSet.has(from)) throw new TalosError('COORDINATOR_NOT_A_MEMBER', `${from} is not a member`)
    const submit = decodeSubmit(this.sessions.decrypt(from, sessionMessage))
    if (!submit.join || submit.payload.length !== 0) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'expected a join message')
    if (!constantTimeEqual(submit.groupId, this.groupId)) throw new TalosError('COORDINATOR_WRONG_GROUP', 'join for another group')
  }

  /** Removes a member: it stops receiving at once, and its session is deleted. */
  removeMember(member: string): void {
    if (!this.memberSet.delete(member)) throw new TalosError('COORDINATOR_NOT_A_MEMBER', `${member} is not a member`)
    this.sessions.remove(member)
  }

  /** Decrypts a member's submission and re-encrypts it to every other member. */
  relay(from: string, sessionMessage: Uint8Array): Relayed {
    if (!this.memberSet.has(from)) throw new TalosError('COORDINATOR_NOT_A_MEMBER', `${from} is not a member`)
    const submit = decodeSubmit(this.sessions.decrypt(from, sessionMessage))
    if (submit.join) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'join message where a submission was expected')
    if (!constantTimeEqual(submit.groupId, this.groupId)) throw new TalosError('COORDINATOR_WRONG_GROUP', 'submission for another group')
    // All or nothing: every recipient session is checked before the sequence
    // number or any session moves, so a refusal leaves the hub as it was
    // (the submission itself has been consumed from `from`'s session).
    // A member not connected yet misses the message (no atomicity there).
    const recipients = [...this.memberSet].filter((m) => m !== from && this.sessions.has(m))
    const seq = this.seq + 1n
    const plaintext = encodeDelivery({ version: COORDINATOR_VERSION, groupId: this.groupId, sender: from, seq, payload: submit.payload })
    this.sessions.checkCanEncrypt(recipients, plaintext.length)
    const deliveries = new Map<string, Uint8Array>()
    for (const m of recipients) deliveries.set(m, this.sessions.encrypt(m, plaintext))
    this.seq = seq
    return { sender: from, seq, payload: submit.payload, deliveries }
  }
}
