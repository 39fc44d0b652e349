/**
 * Welcome and the secrets it carries (RFC 9420 §12.4.3.1).
 *
 *   struct { opaque path_secret<V>; } PathSecret;
 *   struct {
 *     opaque joiner_secret<V>;
 *     optional<PathSecret> path_secret;
 *     PreSharedKeyID psks<V>;
 *   } GroupSecrets;
 *   struct {
 *     KeyPackageRef new_member;              // opaque HashReference<V>
 *     HPKECiphertext encrypted_group_secrets;
 *   } EncryptedGroupSecrets;
 *   struct {
 *     CipherSuite cipher_suite;
 *     EncryptedGroupSecrets secrets<V>;
 *     opaque encrypted_group_info<V>;
 *   } Welcome;
 *
 * GroupSecrets holds key material: whoever decodes it owns the decoded
 * `joinerSecret` and `pathSecret` and must memzero them once consumed (the
 * decoder copies them out of the plaintext, which the caller zeroes too).
 */
import { opaque, optional, struct, uint16, vec, type Codec } from '../../codec/tls.js'
import { hpkeCiphertextCodec, type HPKECiphertext } from './hpke.js'
import { preSharedKeyIdCodec, type PreSharedKeyID } from './psk.js'

export interface PathSecret {
  pathSecret: Uint8Array
}

export const pathSecretCodec: Codec<PathSecret> = struct({ pathSecret: opaque })

export interface GroupSecrets {
  joinerSecret: Uint8Array
  pathSecret?: PathSecret | undefined
  psks: PreSharedKeyID[]
}

export const groupSecretsCodec: Codec<GroupSecrets> = struct({
  joinerSecret: opaque,
  pathSecret: optional(pathSecretCodec),
  psks: vec(preSharedKeyIdCodec),
})

export interface EncryptedGroupSecrets {
  newMember: Uint8Array
  encryptedGroupSecrets: HPKECiphertext
}

export const encryptedGroupSecretsCodec: Codec<EncryptedGroupSecrets> = struct({
  newMember: opaque,
  encryptedGroupSecrets: hpkeCiphertextCodec,
})

export interface Welcome {
  cipherSuite: number
  secrets: EncryptedGroupSecrets[]
  encryptedGroupInfo: Uint8Array
}

export const welcomeCodec: Codec<Welcome> = struct({
  cipherSuite: uint16,
  secrets: vec(encryptedGroupSecretsCodec),
  encryptedGroupInfo: opaque,
})
