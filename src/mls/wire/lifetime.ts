/**
 * Lifetime (RFC 9420 §7.2): the validity window of a KeyPackage's LeafNode,
 * in seconds since the Unix epoch.
 *
 *   struct { uint64 not_before; uint64 not_after; } Lifetime;
 */
import { struct, uint64, type Codec } from '../../codec/tls.js'

export interface Lifetime {
  notBefore: bigint
  notAfter: bigint
}

export const lifetimeCodec: Codec<Lifetime> = struct({ notBefore: uint64, notAfter: uint64 })
