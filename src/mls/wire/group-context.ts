/**
 * GroupContext (RFC 9420 §8.1): the summary of group state that every key
 * schedule step and signature over a member's content binds to.
 */
import { opaque, struct, uint16, uint64, type Codec } from '../../codec/tls.js'
import { extensionsCodec, type Extension } from './extension.js'

/** ProtocolVersion mls10 (RFC 9420 §6). */
export const MLS10 = 1

export interface GroupContext {
  version: number
  cipherSuite: number
  groupId: Uint8Array
  epoch: bigint
  treeHash: Uint8Array
  confirmedTranscriptHash: Uint8Array
  extensions: Extension[]
}

export const groupContextCodec: Codec<GroupContext> = struct({
  version: uint16,
  cipherSuite: uint16,
  groupId: opaque,
  epoch: uint64,
  treeHash: opaque,
  confirmedTranscriptHash: opaque,
  extensions: extensionsCodec,
})
