/**
 * Capabilities (RFC 9420 §7.2): what a client supports, carried in its LeafNode.
 *
 *   struct {
 *     ProtocolVersion versions<V>;
 *     CipherSuite cipher_suites<V>;
 *     ExtensionType extensions<V>;
 *     ProposalType proposals<V>;
 *     CredentialType credentials<V>;
 *   } Capabilities;
 *
 * Every entry is a uint16 and unknown values (including GREASE, §13.5) MUST be
 * ignored rather than rejected, so they are kept as plain numbers. Order is
 * preserved because the LeafNode signature covers these bytes.
 */
import { struct, uint16, vec, type Codec } from '../../codec/tls.js'

export interface Capabilities {
  versions: number[]
  cipherSuites: number[]
  extensions: number[]
  proposals: number[]
  credentials: number[]
}

/** vector of uint16 (a body of odd length fails with DECODE_TRUNCATED). */
export const uint16List: Codec<number[]> = vec(uint16)

export const capabilitiesCodec: Codec<Capabilities> = struct({
  versions: uint16List,
  cipherSuites: uint16List,
  extensions: uint16List,
  proposals: uint16List,
  credentials: uint16List,
})
