/**
 * HPKE base mode (RFC 9180 §5.1, §6.1 single-shot, §5.3 secret export)
 * through @hpke/core's CipherSuite, with this package's own KEM, KDF and AEAD
 * plugged in (dhkem.ts, kdf.ts, aead.ts): byte keys in and out
 * (SerializePublicKey / SerializePrivateKey, RFC 9180 §7.1.1-2).
 *
 * Why our own KEM, KDF and AEAD. Measured with `npm run bench -- hpke-kem`
 * (Node 20.20, AMD EPYC, 2 cores, shared machine; median µs/op of one
 * SealBase + OpenBase of 32 bytes, and of DeriveKeyPair):
 *
 *                                         round trip   DeriveKeyPair
 *   suite 1 stock @hpke/core (WebCrypto)      2706          724
 *   suite 1 libsodium X25519 KEM               399           46
 *   suite 1 node:crypto X25519 KEM (kept)      200           58
 *   suite 3 stock (+ @hpke/chacha20poly1305)  1668          549
 *   suite 3 libsodium X25519 KEM               385           48
 *   suite 3 node:crypto X25519 KEM (kept)      240           44
 *
 * The stock suite pays a WebCrypto thread-pool round trip (~50 µs) for every
 * HMAC of the key schedule and for each key import; our KDF (libsodium HKDF)
 * and AEAD are synchronous. Between the two X25519 backends the difference is
 * the scalar multiplication itself: OpenSSL's native X25519 takes ~35 µs for
 * a DH and ~40 µs for a key pair here, libsodium's WASM build ~100 µs for
 * each. DeriveKeyPair is HKDF plus one base-point multiplication in both.
 *
 * Errors: a malformed public key is CRYPTO_INVALID_PUBLIC_KEY; a seal that
 * fails otherwise is CRYPTO_HPKE_ENCRYPT; every receiver-side failure
 * (malformed kem_output, wrong key, bad tag) is CRYPTO_HPKE_DECRYPT.
 */
import { CipherSuite as HpkeCipherSuite } from '@hpke/core'
import { TalosError } from '../../errors.js'
import type { Aead } from '../aead.js'
import type { HashKdf } from '../kdf.js'
import type { HpkeCiphertext, KeyPair } from '../suite.js'
import { HpkeAead } from './aead.js'
import { Dhkem, HpkeKey } from './dhkem.js'
import type { DhGroup } from './dh-groups.js'
import { HpkeKdf } from './kdf.js'

/** RFC 9180 §7.2.1 leaves input limits to the implementation; MLS contexts are far below this. */
const MAX_INFO = 1 << 20

export class Hpke {
  readonly kem: Dhkem<unknown, unknown>
  private readonly suite: HpkeCipherSuite

  constructor(group: DhGroup, kdf: HashKdf, aead: Aead) {
    this.kem = new Dhkem(group)
    this.suite = new HpkeCipherSuite({ kem: this.kem, kdf: new HpkeKdf(kdf), aead: new HpkeAead(aead) })
  }

  async generateKeyPair(): Promise<KeyPair> {
    return this.kem.generateKeyPairSync()
  }

  async deriveKeyPair(ikm: Uint8Array): Promise<KeyPair> {
    return this.kem.deriveKeyPairSync(ikm)
  }

  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    return this.kem.privateKey(privateKey).publicKey.slice()
  }

  private recipient(publicKey: Uint8Array): HpkeKey {
    this.kem.publicKey(publicKey) // validates (and caches) before @hpke/core sees it
    return new HpkeKey('public', publicKey, this.kem.group.name)
  }

  private checkInfo(info: Uint8Array): void {
    if (info.length > MAX_INFO) throw new TalosError('CRYPTO_INVALID_LENGTH', `HPKE info of ${info.length} bytes is too long`)
  }

  async seal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<HpkeCiphertext> {
    this.checkInfo(info)
    const recipientPublicKey = this.recipient(publicKey)
    try {
      const r = await this.suite.seal({ recipientPublicKey, info }, plaintext, aad)
      return { kemOutput: new Uint8Array(r.enc), ciphertext: new Uint8Array(r.ct) }
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_ENCRYPT', 'HPKE seal failed', { cause: e })
    }
  }

  async open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    try {
      this.checkInfo(info)
      const recipientKey = this.recipientKey(privateKey)
      return new Uint8Array(await this.suite.open({ recipientKey, enc: kemOutput, info }, ciphertext, aad))
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_DECRYPT', 'HPKE open failed', { cause: e })
    }
  }

  async exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ kemOutput: Uint8Array; secret: Uint8Array }> {
    this.checkInfo(info)
    this.checkExportLength(length)
    const recipientPublicKey = this.recipient(publicKey)
    try {
      const ctx = await this.suite.createSenderContext({ recipientPublicKey, info })
      const secret = new Uint8Array(await ctx.export(exporterContext, length))
      return { kemOutput: new Uint8Array(ctx.enc), secret }
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_ENCRYPT', 'HPKE export (sender) failed', { cause: e })
    }
  }

  async exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    this.checkExportLength(length)
    try {
      this.checkInfo(info)
      const recipientKey = this.recipientKey(privateKey)
      const ctx = await this.suite.createRecipientContext({ recipientKey, enc: kemOutput, info })
      return new Uint8Array(await ctx.export(exporterContext, length))
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_DECRYPT', 'HPKE export (receiver) failed', { cause: e })
    }
  }

  private recipientKey(privateKey: Uint8Array): HpkeKey {
    this.kem.privateKey(privateKey) // parse once, cached per Uint8Array
    return new HpkeKey('private', privateKey, this.kem.group.name)
  }

  private checkExportLength(length: number): void {
    // RFC 9180 §5.3: L <= 255 * Nh of the HPKE KDF.
    if (!Number.isInteger(length) || length < 0 || length > 255 * this.suite.kdf.hashSize) {
      throw new TalosError('CRYPTO_INVALID_LENGTH', `HPKE export length ${length} is out of range`)
    }
  }
}
