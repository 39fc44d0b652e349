/**
 * HPKE ciphertexts and UpdatePath (RFC 9420 §7.6).
 *
 *   struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext;
 *   struct {
 *     HPKEPublicKey encryption_key;
 *     HPKECiphertext encrypted_path_secret<V>;
 *   } UpdatePathNode;
 *   struct { LeafNode leaf_node; UpdatePathNode nodes<V>; } UpdatePath;
 *
 * HPKECiphertext is also the envelope of EncryptedGroupSecrets (§12.4.3.1).
 */
import { struct, opaque, vec, type Codec } from '../../codec/tls.js'
import { leafNodeCodec, type LeafNode } from './leaf-node.js'

export interface HPKECiphertext {
  kemOutput: Uint8Array
  ciphertext: Uint8Array
}

export const hpkeCiphertextCodec: Codec<HPKECiphertext> = struct({ kemOutput: opaque, ciphertext: opaque })

export interface UpdatePathNode {
  encryptionKey: Uint8Array
  encryptedPathSecret: HPKECiphertext[]
}

export const updatePathNodeCodec: Codec<UpdatePathNode> = struct({
  encryptionKey: opaque,
  encryptedPathSecret: vec(hpkeCiphertextCodec),
})

export interface UpdatePath {
  leafNode: LeafNode
  nodes: UpdatePathNode[]
}

export const updatePathCodec: Codec<UpdatePath> = struct({
  leafNode: leafNodeCodec,
  nodes: vec(updatePathNodeCodec),
})
