/**
 * T10's attacker: an insider (a member, so it holds the epoch's secrets and,
 * as a receiver, the victim's hybrid root and chain keys) that also stole the
 * victim's signature private key. It forges a message "from" the victim:
 *
 *   MLS layer      a copy of the insider's MlsGroup with own leaf = victim and
 *                  the stolen signature key: MlsGroup.send signs as the victim
 *                  and encrypts with the victim's secret-tree ratchet (which
 *                  every member can derive, RFC 9420 §9);
 *   hybrid layer   the insider's receive chain for the victim turned into a
 *                  send chain of a HybridSession restored "as the victim": a
 *                  restored session rekeys on its first send (§6), so the
 *                  forged frame is a DATA_REKEY with the attacker's r, sealed to
 *                  the real targets, under the real RK of the victim's chain.
 *
 * Nothing here breaks the hybrid layer: it has no signature of its own and
 * relies on the MLS one, which is why HYBRID.md documents T10 as accepted.
 */
import { encodeProto } from '../../../src/codec/proto.js'
import { HybridSession, type HybridOptions } from '../../../src/hybrid/index.js'
import { decodeStateRecord } from '../../../src/hybrid/state-codec.js'
import { MlsGroup } from '../../../src/mls/index.js'
import { HybridStateRecord } from '../../../src/proto/hybrid.js'
import { viewOf } from './mls-group.js'

export interface Forged {
  /** The forged MLSMessage. */
  readonly mls: Uint8Array
  /** Its application data (hybrid frame, or the plaintext in plain MLS). */
  readonly frame: Uint8Array
}

/** Forges `plaintext` as `victim` from `insider`'s state; `hybrid` = the insider's serialized HybridSession (undefined: plain MLS). */
export async function forgeAs(
  insider: MlsGroup,
  hybrid: Uint8Array | undefined,
  victim: number,
  stolenSignatureKey: Uint8Array,
  plaintext: Uint8Array,
  options: HybridOptions,
): Promise<Forged> {
  const copy = MlsGroup.deserialize(insider.serialize())
  const forger = new MlsGroup({ ...copy.currentState, ownLeaf: victim, signaturePriv: stolenSignatureKey.slice() })
  let frame = plaintext
  if (hybrid !== undefined) {
    const rec = decodeStateRecord(hybrid)
    const cur = rec.current!
    const chain = cur.receive.find((r) => r.sender === victim)?.chain
    if (chain === undefined) throw new Error('the insider has no receive chain for the victim yet')
    const asVictim = {
      ...rec,
      previous: undefined,
      current: {
        ...cur,
        ownLeaf: victim,
        send: { ...cur.send!, chain, restored: true, peerMessageSinceRekey: true },
        receive: cur.receive.filter((r) => r.sender !== victim),
        skipped: cur.skipped.filter((k) => k.sender !== victim),
        buffered: [],
        sentRekeys: [],
      },
    }
    const session = HybridSession.restore(encodeProto(HybridStateRecord, asVictim), { current: viewOf(forger) }, options)
    frame = await session.encrypt(plaintext)
  }
  return { mls: forger.send(frame), frame }
}
