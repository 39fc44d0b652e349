/**
 * The CipherSuite contract (RFC 9420 §5.1, §17.1): everything MLS needs from a
 * cipher suite, with byte-array keys in the encodings MLS puts on the wire
 * (HPKE keys as SerializePublicKey / SerializePrivateKey, signature keys as
 * the raw scheme encoding). Implementations live beside this file; consumers
 * call `getCipherSuite(id)` from src/crypto/index.ts.
 *
 * Everything is synchronous except the HPKE members, which return Promises
 * (the contract predates the synchronous single-shot path in hpke/hpke.ts,
 * which now backs them; see that file for why @hpke/core's contexts are not
 * on the hot path).
 */

import type { RatchetInfos } from './ratchet-aead.js'

/** RFC 9420 §17.1 cipher suite identifiers. */
export type CipherSuiteId = 1 | 2 | 3 | 4 | 5 | 6 | 7

export const CIPHER_SUITE_IDS: readonly CipherSuiteId[] = [1, 2, 3, 4, 5, 6, 7]

export interface KeyPair {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
}

/** HPKECiphertext (RFC 9420 §5.1.3). */
export interface HpkeCiphertext {
  readonly kemOutput: Uint8Array
  readonly ciphertext: Uint8Array
}

export interface CipherSuite {
  readonly id: CipherSuiteId
  /** e.g. "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519". */
  readonly name: string
  /** Output size of Hash and of KDF.Extract. */
  readonly Nh: number
  /** AEAD key size. */
  readonly Nk: number
  /** AEAD nonce size. */
  readonly Nn: number
  /** Size of an encoded HPKE public key of the suite's KEM (RFC 9180 §7.1). */
  readonly Npk: number

  // --- hash and KDF (RFC 9420 §5.1, §8) ---
  hash(data: Uint8Array): Uint8Array
  /** MAC(key, data) = HMAC with the suite's hash. */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array
  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array
  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /**
   * [expand(prk, infos[i], lengths[i])] in one call: outputs of at most Nh
   * bytes from one PRK share HMAC's keyed state (a ratchet step's key, nonce
   * and next chain key: 8 SHA-256 compressions instead of 12).
   */
  expandMany(prk: Uint8Array, infos: readonly Uint8Array[], lengths: readonly number[]): Uint8Array[]
  /** ExpandWithLabel(Secret, Label, Context, Length), label without the "MLS 1.0 " prefix. */
  expandWithLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array
  /** DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh). */
  deriveSecret(secret: Uint8Array, label: string): Uint8Array
  /** DeriveTreeSecret(Secret, Label, Generation, Length) (RFC 9420 §9.1). */
  deriveTreeSecret(secret: Uint8Array, label: string, generation: number, length: number): Uint8Array
  /** RefHash(label, value) (RFC 9420 §5.2). */
  refHash(label: string, value: Uint8Array): Uint8Array

  // --- AEAD ---
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array
  /** seal() written into out[offset .. offset + plaintext.length + 16), for framed ciphertexts. */
  sealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void
  /** Throws TalosError CRYPTO_AEAD_DECRYPT on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array

  // --- a ratchet step and the AEAD it keys, in one call (ratchet-aead.ts) ---
  /**
   * key = expand(secret, infos[0], Nk), nonce = expand(secret, infos[1], Nn)
   * XOR (mask || zeros), next = expand(secret, infos[2], Nh); returns
   * open(key, nonce, aad, ciphertext) and next. key and nonce never reach the
   * caller. Throws TalosError CRYPTO_AEAD_DECRYPT on a bad tag.
   */
  ratchetOpen(secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): { plaintext: Uint8Array; next: Uint8Array }
  /** The sealing side of ratchetOpen: ciphertext into out[offset .. offset + plaintext.length + 16); returns next. */
  ratchetSealInto(secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): Uint8Array

  // --- signatures (RFC 9420 §5.1.2) ---
  generateSignatureKeyPair(): KeyPair
  /** The public key belonging to a private key. */
  signaturePublicKey(privateKey: Uint8Array): Uint8Array
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array
  /** False on any invalid signature or malformed key; never throws for bad input. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  signWithLabel(privateKey: Uint8Array, label: string, content: Uint8Array): Uint8Array
  verifyWithLabel(publicKey: Uint8Array, label: string, content: Uint8Array, signature: Uint8Array): boolean

  // --- HPKE (RFC 9180 base mode, via @hpke/core) ---
  generateHpkeKeyPair(): Promise<KeyPair>
  /** DeriveKeyPair(ikm) of the suite's KEM (RFC 9180 §7.1.3). */
  deriveHpkeKeyPair(ikm: Uint8Array): Promise<KeyPair>
  /**
   * deriveHpkeKeyPair of each ikm, in order; the scalar multiplications may
   * run in parallel (X25519 suites: src/crypto/x25519-pool.ts).
   */
  deriveHpkeKeyPairs(ikms: readonly Uint8Array[]): Promise<KeyPair[]>
  /** The public key belonging to a serialized private key. */
  hpkePublicKey(privateKey: Uint8Array): Promise<Uint8Array>
  /** Single-shot SealBase. */
  hpkeSeal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<HpkeCiphertext>
  /**
   * hpkeSeal of plaintexts[i] to publicKeys[i] under one info and aad, in
   * order, with hpkeSeal's errors; the KEM's scalar multiplications may run
   * in parallel (X25519 suites: src/crypto/x25519-pool.ts).
   */
  hpkeSealMany(publicKeys: readonly Uint8Array[], info: Uint8Array, aad: Uint8Array, plaintexts: readonly Uint8Array[]): Promise<HpkeCiphertext[]>
  /** Single-shot OpenBase. Throws TalosError CRYPTO_HPKE_DECRYPT on failure. */
  hpkeOpen(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>
  /** SetupBaseS(pk, info) then context.export(exporterContext, length). */
  hpkeExportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ kemOutput: Uint8Array; secret: Uint8Array }>
  /** SetupBaseR(enc, sk, info) then context.export(exporterContext, length). */
  hpkeExportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array>
  /** EncryptWithLabel(PublicKey, Label, Context, Plaintext) (RFC 9420 §5.1.3). */
  encryptWithLabel(publicKey: Uint8Array, label: string, context: Uint8Array, plaintext: Uint8Array): Promise<HpkeCiphertext>
  /**
   * EncryptWithLabel(publicKeys[i], Label, Context, plaintexts[i]) for every
   * i, in order, with encryptWithLabel's errors; the KEM's scalar
   * multiplications may run in parallel (X25519 suites).
   */
  encryptWithLabelMany(
    publicKeys: readonly Uint8Array[],
    label: string,
    context: Uint8Array,
    plaintexts: readonly Uint8Array[],
  ): Promise<HpkeCiphertext[]>
  /** DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext). */
  decryptWithLabel(
    privateKey: Uint8Array,
    label: string,
    context: Uint8Array,
    kemOutput: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>
}
