/**
 * What a sender-key message signs and authenticates, in canonical form, and
 * the Protobuf codecs of SenderKeyMessage and SenderKeyDistribution
 * (proto/senderkeys.proto).
 *
 *   struct { opaque label<V> = "TALOS-SK ad v1"; opaque group_id<V>; opaque sender<V>;
 *            uint32 key_id; uint32 iteration; } SenderKeyMessageAD;            (AEAD associated data)
 *   struct { opaque label<V> = "TALOS-SK message v1"; opaque group_id<V>; opaque sender<V>;
 *            uint32 key_id; uint32 iteration; opaque ciphertext<V>; } SenderKeyMessageTBS;   (Ed25519)
 *
 * The signature covers the ciphertext (encrypt, then sign), so a receiver
 * checks it before deriving anything.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { varintSize } from '../codec/tls.js'
import { putOpaque, putU32 } from '../ratchet/canonical.js'
import { TalosError } from '../errors.js'
import { SenderKeyDistribution, SenderKeyMessage } from '../proto/senderkeys.js'
import { MAX_ID_BYTES, MAX_SENDERKEY_MESSAGE_BYTES, SENDERKEY_VERSION, SK_LABEL } from './constants.js'

export { SenderKeyDistribution, SenderKeyMessage }

const utf8 = new TextEncoder()

/** Member ids are public and few: their UTF-8 encodings are kept (bounded) instead of re-encoded per message. */
const senderBytes = new Map<string, Uint8Array>()
function encodeSender(sender: string): Uint8Array {
  let b = senderBytes.get(sender)
  if (b === undefined) {
    b = utf8.encode(sender)
    if (senderBytes.size >= 4096) senderBytes.clear()
    senderBytes.set(sender, b)
  }
  return b
}

export interface MessageContext {
  readonly groupId: Uint8Array
  readonly sender: string
  readonly keyId: number
  readonly iteration: number
}

/**
 * label<V> || group_id<V> || sender<V> || uint32 key_id || uint32 iteration [|| ciphertext<V>],
 * written into one exactly sized array: this runs twice per message on the hot
 * path, so it avoids a growing Writer and its final copy (same bytes as the
 * TLS codec would produce; the fixed vectors pin them).
 */
function canonical(label: Uint8Array, c: MessageContext, ciphertext?: Uint8Array): Uint8Array {
  const sender = encodeSender(c.sender)
  let size = varintSize(label.length) + label.length + varintSize(c.groupId.length) + c.groupId.length
  size += varintSize(sender.length) + sender.length + 8
  if (ciphertext !== undefined) size += varintSize(ciphertext.length) + ciphertext.length
  const out = new Uint8Array(size)
  let at = putOpaque(out, 0, label)
  at = putOpaque(out, at, c.groupId)
  at = putOpaque(out, at, sender)
  at = putU32(out, at, c.keyId >>> 0)
  at = putU32(out, at, c.iteration >>> 0)
  if (ciphertext !== undefined) putOpaque(out, at, ciphertext)
  return out
}

export function messageAd(c: MessageContext): Uint8Array {
  return canonical(SK_LABEL.messageAd, c)
}

export function messageTbs(c: MessageContext, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length > 0x3fffffff) throw new TalosError('SENDERKEY_MESSAGE_TOO_LARGE', 'ciphertext too large')
  return canonical(SK_LABEL.messageTbs, c, ciphertext)
}

function checkIds(groupId: Uint8Array, sender: string): void {
  if (groupId.length === 0 || groupId.length > MAX_ID_BYTES) throw new TalosError('SENDERKEY_INVALID_MESSAGE', 'bad group id')
  if (sender.length === 0 || sender.length > MAX_ID_BYTES) throw new TalosError('SENDERKEY_INVALID_MESSAGE', 'bad sender id')
}

export function encodeSenderKeyMessage(m: SenderKeyMessage): Uint8Array {
  return encodeProto(SenderKeyMessage, m)
}

/** Decodes and checks the shape of a SenderKeyMessage; hostile input raises only TalosError. */
export function decodeSenderKeyMessage(bytes: Uint8Array): SenderKeyMessage {
  const m = decodeProto(SenderKeyMessage, bytes, { maxBytes: MAX_SENDERKEY_MESSAGE_BYTES })
  if (m.version !== SENDERKEY_VERSION) throw new TalosError('SENDERKEY_UNSUPPORTED_VERSION', `message version ${m.version}`)
  checkIds(m.groupId, m.sender)
  if (m.signature.length !== 64) throw new TalosError('SENDERKEY_INVALID_MESSAGE', 'signature must be 64 bytes')
  if (m.ciphertext.length < 16) throw new TalosError('SENDERKEY_INVALID_MESSAGE', 'ciphertext too short')
  if (m.iteration > 0xfffffffe) throw new TalosError('SENDERKEY_INVALID_MESSAGE', 'iteration out of range')
  return m
}

export function encodeDistribution(d: SenderKeyDistribution): Uint8Array {
  return encodeProto(SenderKeyDistribution, d)
}

/** Decodes and checks the shape of a SenderKeyDistribution. */
export function decodeDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const d = decodeProto(SenderKeyDistribution, bytes, { maxBytes: 4096 })
  if (d.version !== SENDERKEY_VERSION) throw new TalosError('SENDERKEY_UNSUPPORTED_VERSION', `distribution version ${d.version}`)
  checkIds(d.groupId, d.sender)
  if (d.chainKey.length !== 32 || d.signingKey.length !== 32) {
    throw new TalosError('SENDERKEY_INVALID_DISTRIBUTION', 'chain key and signing key must be 32 bytes')
  }
  if (d.iteration > 0xfffffffe) throw new TalosError('SENDERKEY_INVALID_DISTRIBUTION', 'iteration out of range')
  return d
}
