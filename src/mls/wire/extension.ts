/**
 * Extension (RFC 9420 §7.2, §13): a typed, opaque blob. The IANA values used
 * by this implementation are listed in ExtensionType.
 */
import { opaque, struct, uint16, vec, type Codec } from '../../codec/tls.js'

/** MLS Extension Types registry (RFC 9420 §17.3). */
export const ExtensionType = {
  application_id: 0x0001,
  ratchet_tree: 0x0002,
  required_capabilities: 0x0003,
  external_pub: 0x0004,
  external_senders: 0x0005,
} as const

export interface Extension {
  extensionType: number
  extensionData: Uint8Array
}

export const extensionCodec: Codec<Extension> = struct({ extensionType: uint16, extensionData: opaque })
export const extensionsCodec: Codec<Extension[]> = vec(extensionCodec)
