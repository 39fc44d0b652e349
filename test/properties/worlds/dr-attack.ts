/**
 * Attacks on Double Ratchet session records (src/ratchet), used by the 1:1,
 * coordinator and sender-key worlds.
 *
 *   drScan(recordBytes, wire)      key scan: every 32-byte bytes field of the record (a window after a 0x20 length byte), as a
 *                                  message key and as a chain key run up to 16 steps
 *   drReadOutgoing(state, wire)    the sender-side attack: a message the snapshotted party
 *                                  sent later opens if its header carries the ratchet key
 *                                  the snapshot holds, by running the snapshot's sending
 *                                  chain key forward to the message number
 */
import { aead } from '../../../src/crypto/aead.js'
import { encodeHeader, messageAd } from '../../../src/ratchet/header.js'
import { kdfCk, messageAeadKeys } from '../../../src/ratchet/kdf.js'
import { Session, decodeSessionMessage } from '../../../src/ratchet/session.js'
import type { SessionState } from '../../../src/ratchet/state.js'
import type { RatchetMessage } from '../../../src/proto/ratchet.js'
import { eqBytes } from '../world.js'

const chacha = aead('CHACHA20POLY1305')

export const sessionState = (s: Session): SessionState => (s as unknown as { state: SessionState }).state

function ratchetBody(wire: Uint8Array): RatchetMessage | undefined {
  try {
    const m = decodeSessionMessage(wire)
    if (m.body?.case === 'ratchet') return m.body.value
    if (m.body?.case === 'preKey' && m.body.value.message) return m.body.value.message
  } catch {
    // not a session message
  }
  return undefined
}

/** Plaintext of `wire` under message key `mk`, or undefined. */
function openWith(mk: Uint8Array, m: RatchetMessage, ad: Uint8Array): Uint8Array | undefined {
  if (m.header?.case !== 'plainHeader') return undefined
  const h = m.header.value
  const header = encodeHeader({ ratchetKey: h.ratchetKey, pn: h.previousChainLength, n: h.messageNumber })
  const keys = messageAeadKeys(mk.slice())
  try {
    return chacha.open(keys.key, keys.nonce, messageAd(ad, false, header), m.ciphertext)
  } catch {
    return undefined
  }
}

/** Key scan of a session record: the plaintext of `wire` if any window opens it. */
export function drScan(record: Uint8Array, wire: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  const m = ratchetBody(wire)
  if (m === undefined) return undefined
  for (let i = 0; i + 32 <= record.length; i++) {
    if (i === 0 || record[i - 1] !== 32) continue // a Protobuf bytes field of 32 bytes
    const cand = record.slice(i, i + 32)
    if (new Set(cand).size < 16) continue
    const direct = openWith(cand, m, ad)
    if (direct !== undefined) return direct
    let ck: Uint8Array = cand
    for (let step = 0; step < 16; step++) {
      const next = kdfCk(ck)
      const pt = openWith(next.messageKey, m, ad)
      if (pt !== undefined) return pt
      ck = next.chainKey
    }
  }
  return undefined
}

/** The sender-side attack on one outgoing message of the party whose state this is. */
export function drReadOutgoing(state: SessionState, wire: Uint8Array): Uint8Array | undefined {
  const m = ratchetBody(wire)
  if (m === undefined || m.header?.case !== 'plainHeader' || state.dhs === undefined || state.cks === undefined) return undefined
  const h = m.header.value
  if (!eqBytes(h.ratchetKey, state.dhs.publicKey) || h.messageNumber < state.ns || h.messageNumber - state.ns > 1000) return undefined
  let ck: Uint8Array = state.cks.slice()
  for (let n = state.ns; n < h.messageNumber; n++) ck = kdfCk(ck).chainKey
  return openWith(kdfCk(ck).messageKey, m, state.associatedData)
}
