/**
 * A member of a coordinator-baseline group (see hub.ts for what the hub can
 * and cannot do): one two-party session with the hub, submissions out,
 * deliveries in. A delivery whose sequence number is not above the last one
 * is refused (replay); a jump is accepted and reported as missed messages.
 */
import { TalosError } from '../errors.js'
import { constantTimeEqual } from '../crypto/sodium.js'
import type { PreKeyBundle } from '../ratchet/prekeys.js'
import type { PairwiseSessions } from '../ratchet/sessions.js'
import { COORDINATOR_VERSION, MAX_COORDINATOR_PAYLOAD, decodeDelivery, encodeSubmit } from './wire.js'

export const HUB = 'hub'

export interface Delivered {
  readonly sender: string
  readonly seq: bigint
  readonly plaintext: Uint8Array
  /** Sequence numbers skipped since the previous delivery (lost or withheld by the hub). */
  readonly missed: bigint
}

export class CoordinatorMember {
  private lastSeq = 0n

  constructor(
    readonly groupId: Uint8Array,
    readonly self: string,
    private readonly sessions: PairwiseSessions,
  ) {}

  /** Opens the session with the hub from its bundle; returns the join message for `CoordinatorHub.accept`. */
  join(hubBundle: PreKeyBundle): Uint8Array {
    this.sessions.connect(HUB, hubBundle)
    return this.sessions.encrypt(HUB, encodeSubmit({ version: COORDINATOR_VERSION, groupId: this.groupId, payload: new Uint8Array(0), join: true }))
  }

  /** A submission for the hub (a SessionMessage). */
  send(plaintext: Uint8Array): Uint8Array {
    if (!(plaintext instanceof Uint8Array)) throw new TalosError('COORDINATOR_INVALID_ARGUMENT', 'the plaintext is a Uint8Array')
    if (plaintext.length > MAX_COORDINATOR_PAYLOAD) throw new TalosError('COORDINATOR_MESSAGE_TOO_LARGE', 'payload too large')
    return this.sessions.encrypt(HUB, encodeSubmit({ version: COORDINATOR_VERSION, groupId: this.groupId, payload: plaintext, join: false }))
  }

  /** Opens a delivery from the hub. */
  receive(sessionMessage: Uint8Array): Delivered {
    const d = decodeDelivery(this.sessions.decrypt(HUB, sessionMessage))
    if (!constantTimeEqual(d.groupId, this.groupId)) throw new TalosError('COORDINATOR_WRONG_GROUP', 'delivery for another group')
    if (d.seq <= this.lastSeq) throw new TalosError('COORDINATOR_REPLAY', `sequence ${d.seq} is not after ${this.lastSeq}`)
    const missed = d.seq - this.lastSeq - 1n
    this.lastSeq = d.seq
    return { sender: d.sender, seq: d.seq, plaintext: d.payload, missed }
  }
}
