/**
 * The signature schemes of the MLS cipher suites (RFC 9420 §5.1.2, §17.1):
 * Ed25519 and Ed448 (RFC 8032, pure, empty context) and ECDSA over P-256,
 * P-384, P-521 with SHA-256/384/512 (FIPS 186-4, DER-encoded signatures as
 * RFC 8446 §4.2.3 specifies).
 *
 * Key encodings (FORMAT.md): EdDSA keys are the raw RFC 8032 strings; ECDSA
 * private keys are big-endian scalars of the field size, public keys
 * uncompressed points.
 */
import type { KeyPair } from '../suite.js'

export interface SignatureScheme {
  /** e.g. "ed25519", "ecdsa_secp256r1_sha256" (RFC 8446 SignatureScheme names). */
  readonly name: string
  generateKeyPair(): KeyPair
  /** Throws TalosError CRYPTO_INVALID_PRIVATE_KEY on a malformed key. */
  publicKey(privateKey: Uint8Array): Uint8Array
  /** Throws TalosError CRYPTO_INVALID_PRIVATE_KEY on a malformed key. */
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array
  /** False for a wrong signature and for any malformed key or signature; never throws. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}
