/**
 * KeyPackage and KeyPackageTBS (RFC 9420 §10).
 *
 *   struct {
 *     ProtocolVersion version;
 *     CipherSuite cipher_suite;
 *     HPKEPublicKey init_key;
 *     LeafNode leaf_node;
 *     Extension extensions<V>;
 *     opaque signature<V>;   // SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)
 *   } KeyPackage;
 *
 * KeyPackageTBS is every field but `signature`. `version` and `cipher_suite`
 * are kept as numbers: whether they are acceptable is KeyPackage validation
 * (§10.1), not syntax. The KeyPackageRef (§5.2) hashes the exact encoded
 * KeyPackage: decode with withBytes(keyPackageCodec) to keep those bytes.
 */
import { Writer, type Codec } from '../../codec/tls.js'
import { withoutTrailingSignature } from './encoded.js'
import { extensionsCodec, type Extension } from './extension.js'
import { leafNodeCodec, type LeafNode } from './leaf-node.js'

export interface KeyPackageTBS {
  version: number
  cipherSuite: number
  initKey: Uint8Array
  leafNode: LeafNode
  extensions: Extension[]
}

export interface KeyPackage extends KeyPackageTBS {
  signature: Uint8Array
}

export const keyPackageTbsCodec: Codec<KeyPackageTBS> = {
  encode(w, v) {
    w.u16(v.version)
    w.u16(v.cipherSuite)
    w.opaque(v.initKey)
    leafNodeCodec.encode(w, v.leafNode)
    extensionsCodec.encode(w, v.extensions)
  },
  decode(r) {
    const version = r.u16()
    const cipherSuite = r.u16()
    const initKey = r.opaque()
    const leafNode = leafNodeCodec.decode(r)
    return { version, cipherSuite, initKey, leafNode, extensions: extensionsCodec.decode(r) }
  },
}

export const keyPackageCodec: Codec<KeyPackage> = {
  encode(w, v) {
    keyPackageTbsCodec.encode(w, v)
    w.opaque(v.signature)
  },
  decode(r) {
    const tbs = keyPackageTbsCodec.decode(r)
    return { ...tbs, signature: r.opaque() }
  },
}

/** The KeyPackageTBS bytes; from `encoded` (the exact KeyPackage bytes) without re-encoding when given. */
export function keyPackageTbsBytes(kp: KeyPackage, encoded?: Uint8Array): Uint8Array {
  if (encoded) return withoutTrailingSignature(encoded, kp.signature)
  const w = new Writer()
  keyPackageTbsCodec.encode(w, kp)
  return w.finish()
}
