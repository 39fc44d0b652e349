/**
 * Codecs of the coordinator's two messages (proto/coordinator.proto), with
 * shape checks. Hostile bytes raise only TalosError.
 */
import { decodeProto, encodeProto } from '../codec/proto.js'
import { TalosError } from '../errors.js'
import { CoordinatorDelivery, CoordinatorSubmit } from '../proto/coordinator.js'

export { CoordinatorDelivery, CoordinatorSubmit }

export const COORDINATOR_VERSION = 1
/** Largest payload relayed (1 MiB). */
export const MAX_COORDINATOR_PAYLOAD = 1 << 20
const MAX_BYTES = MAX_COORDINATOR_PAYLOAD + 1024

export function encodeSubmit(m: CoordinatorSubmit): Uint8Array {
  return encodeProto(CoordinatorSubmit, m)
}

export function decodeSubmit(bytes: Uint8Array): CoordinatorSubmit {
  const m = decodeProto(CoordinatorSubmit, bytes, { maxBytes: MAX_BYTES })
  if (m.version !== COORDINATOR_VERSION) throw new TalosError('COORDINATOR_UNSUPPORTED_VERSION', `submit version ${m.version}`)
  if (m.payload.length > MAX_COORDINATOR_PAYLOAD) throw new TalosError('COORDINATOR_MESSAGE_TOO_LARGE', 'payload too large')
  return m
}

export function encodeDelivery(m: CoordinatorDelivery): Uint8Array {
  return encodeProto(CoordinatorDelivery, m)
}

export function decodeDelivery(bytes: Uint8Array): CoordinatorDelivery {
  const m = decodeProto(CoordinatorDelivery, bytes, { maxBytes: MAX_BYTES })
  if (m.version !== COORDINATOR_VERSION) throw new TalosError('COORDINATOR_UNSUPPORTED_VERSION', `delivery version ${m.version}`)
  if (m.sender.length === 0 || m.sender.length > 512) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'bad sender id')
  if (m.seq === 0n) throw new TalosError('COORDINATOR_INVALID_MESSAGE', 'sequence numbers start at 1')
  return m
}
