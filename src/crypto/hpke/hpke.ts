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
 * The single-shot operations MLS uses (SealBase, OpenBase, and the secret
 * export of SetupBaseS/R) run synchronously here over the same KEM, KDF and
 * AEAD: the key schedule of §5.1 is six HKDF calls, and going through
 * @hpke/core's Promise-based context (async KDF/AEAD adapters, ArrayBuffer
 * copies, a KEM round trip through CryptoKey-shaped objects) cost about as
 * much again as the DH itself (seal ~250 µs of CPU against ~110 µs direct,
 * open ~110 µs against ~60 µs). The adapters stay, tested against RFC 9180
 * through @hpke/core (test/crypto/hpke), and this schedule is checked
 * against both (the Appendix A vectors and @hpke/core on random inputs).
 * The exporter secret is derived only when a secret is exported.
 *
 * Per-seal costs beyond the two X25519 scalar multiplications (the ephemeral
 * key pair and the DH, ~75 µs of a ~100 µs seal here) are kept small: the
 * recipient key is parsed once per seal (and cached across seals), the
 * ephemeral private key comes from a pooled CSPRNG, and the
 * key_schedule_context of the last info is kept, because callers seal one
 * info to many recipients in a row (an UpdatePath's path secrets share the
 * GroupContext, a Welcome's GroupSecrets the encrypted GroupInfo, a hybrid
 * rekey's copath entries the RekeyContext), and LabeledExtract over the info
 * is one HMAC per seal, over ~200 KB for a Welcome at n = 1024.
 *
 * Errors: a malformed public key is CRYPTO_INVALID_PUBLIC_KEY; a seal that
 * fails otherwise is CRYPTO_HPKE_ENCRYPT; every receiver-side failure
 * (malformed kem_output, wrong key, bad tag) is CRYPTO_HPKE_DECRYPT.
 */
import { TalosError } from '../../errors.js'
import type { Aead } from '../aead.js'
import type { HashKdf } from '../kdf.js'
import { memzero } from '../sodium.js'
import type { HpkeCiphertext, KeyPair } from '../suite.js'
import { Dhkem } from './dhkem.js'
import type { DhGroup } from './dh-groups.js'
import { HpkeKdf } from './kdf.js'

/**
 * RFC 9180 §7.2.1 leaves input limits to the implementation. MLS's largest
 * info is the EncryptWithLabel context of a Welcome's GroupSecrets: the
 * encrypted GroupInfo, which carries the ratchet_tree extension, ~200 B a
 * member (about 2 MB at n = 10,000; the earlier 1 MiB bound refused Welcomes
 * from about n = 5,000 on). The info is hashed once (LabeledExtract, on
 * OpenSSL at this size), so the bound only caps memory and time per call.
 */
export const MAX_INFO = 1 << 26

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
const LABEL_PSK_ID_HASH = ascii('psk_id_hash')
const LABEL_INFO_HASH = ascii('info_hash')
const LABEL_SECRET = ascii('secret')
const LABEL_KEY = ascii('key')
const LABEL_BASE_NONCE = ascii('base_nonce')
const LABEL_EXP = ascii('exp')
const LABEL_SEC = ascii('sec')
const EMPTY = new Uint8Array(0)
/** RFC 9180 §5: mode_base. */
const MODE_BASE = 0x00
/**
 * The last info's key_schedule_context is kept for infos up to this size
 * (public bytes; bounds the copy kept). A Welcome's EncryptContext is ~2 MB
 * at n = 10,000, and a Commit adding k members seals k GroupSecrets to it:
 * with a 1 MiB bound each seal hashed it again.
 */
const MAX_CACHED_INFO = 1 << 23
/** From this size the info_hash streams the info through node:crypto's HMAC (HpkeKdf.labeledExtractPublicSync). */
const STREAMED_INFO = 1 << 12

/** Byte equality of public values (not constant-time: only for data an observer sees anyway). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  if (a.length > 64) return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** RFC 9180 §7.2 KDF identifiers. */
const KDF_IDS = { SHA256: 0x0001, SHA384: 0x0002, SHA512: 0x0003 } as const

/** The outputs of KeySchedule (§5.1) that a single-shot operation needs. */
interface Schedule {
  readonly key: Uint8Array
  readonly baseNonce: Uint8Array
}

export class Hpke {
  readonly kem: Dhkem<unknown, unknown>
  private readonly kdf: HpkeKdf
  private readonly aead: Aead
  /** LabeledExtract("", "psk_id_hash", "") of base mode: the same for every setup of this suite. */
  private readonly pskIdHash: Uint8Array
  /** A copy of the last info scheduleContext saw (public), and its key_schedule_context. */
  private lastInfo: Uint8Array | undefined
  private lastContext: Uint8Array | undefined

  constructor(group: DhGroup, kdf: HashKdf, aead: Aead) {
    this.kem = new Dhkem(group)
    this.aead = aead
    this.kdf = new HpkeKdf(kdf)
    const kdfId = KDF_IDS[kdf.name]
    // suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)
    this.kdf.init(
      new Uint8Array([
        0x48, 0x50, 0x4b, 0x45,
        group.kemId >>> 8, group.kemId & 0xff,
        kdfId >>> 8, kdfId & 0xff,
        aead.hpkeId >>> 8, aead.hpkeId & 0xff,
      ]),
    )
    this.pskIdHash = this.kdf.labeledExtractSync(EMPTY, LABEL_PSK_ID_HASH, EMPTY)
  }

  async generateKeyPair(): Promise<KeyPair> {
    return this.kem.generateKeyPairSync()
  }

  async deriveKeyPair(ikm: Uint8Array): Promise<KeyPair> {
    return this.kem.deriveKeyPairSync(ikm)
  }

  async deriveKeyPairs(ikms: readonly Uint8Array[]): Promise<KeyPair[]> {
    return this.kem.deriveKeyPairsSync(ikms)
  }

  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    return this.kem.privateKey(privateKey).publicKey.slice()
  }

  private checkInfo(info: Uint8Array): void {
    if (info.length > MAX_INFO) throw new TalosError('CRYPTO_INVALID_LENGTH', `HPKE info of ${info.length} bytes is too long`)
  }

  /**
   * key_schedule_context = mode || psk_id_hash || LabeledExtract("", "info_hash", info),
   * reused while the info stays the same (see the header). The result is only
   * ever read (it is the info of two LabeledExpands), never handed out.
   */
  private scheduleContext(info: Uint8Array): Uint8Array {
    if (this.lastInfo !== undefined && this.lastContext !== undefined && sameBytes(info, this.lastInfo)) return this.lastContext
    // The info is public: a large one is hashed in place rather than copied into a labeled buffer.
    const infoHash =
      info.length >= STREAMED_INFO
        ? this.kdf.labeledExtractPublicSync(EMPTY, LABEL_INFO_HASH, info)
        : this.kdf.labeledExtractSync(EMPTY, LABEL_INFO_HASH, info)
    const ctx = new Uint8Array(1 + this.pskIdHash.length + infoHash.length)
    ctx[0] = MODE_BASE
    ctx.set(this.pskIdHash, 1)
    ctx.set(infoHash, 1 + this.pskIdHash.length)
    if (info.length <= MAX_CACHED_INFO) {
      this.lastInfo = new Uint8Array(info) // a real copy: a reused Buffer info (slice() = view) would hit with a stale context
      this.lastContext = ctx
    }
    return ctx
  }

  /** secret = LabeledExtract(shared_secret, "secret", psk = ""); consumes (zeroes) sharedSecret. */
  private secretOf(sharedSecret: Uint8Array): Uint8Array {
    try {
      return this.kdf.labeledExtractSync(sharedSecret, LABEL_SECRET, EMPTY)
    } finally {
      memzero(sharedSecret)
    }
  }

  /** KeySchedule (§5.1) in base mode, key and base_nonce only. */
  private schedule(sharedSecret: Uint8Array, info: Uint8Array): Schedule {
    const ctx = this.scheduleContext(info)
    const secret = this.secretOf(sharedSecret)
    try {
      return {
        key: this.kdf.labeledExpandSync(secret, LABEL_KEY, ctx, this.aead.Nk),
        baseNonce: this.kdf.labeledExpandSync(secret, LABEL_BASE_NONCE, ctx, this.aead.Nn),
      }
    } finally {
      memzero(secret)
    }
  }

  /** Context.Export (§5.3) of a base-mode setup: LabeledExpand(exporter_secret, "sec", exporter_context, L). */
  private exportOf(sharedSecret: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    const ctx = this.scheduleContext(info)
    const secret = this.secretOf(sharedSecret)
    let exporterSecret: Uint8Array | undefined
    try {
      exporterSecret = this.kdf.labeledExpandSync(secret, LABEL_EXP, ctx, this.kdf.hashSize)
      return this.kdf.labeledExpandSync(exporterSecret, LABEL_SEC, exporterContext, length)
    } finally {
      memzero(secret)
      memzero(exporterSecret)
    }
  }

  /**
   * SealBase (§6.1), synchronous. `ephemeralIkm` derives the ephemeral key
   * (RFC 9180 Appendix A's ikmE), for known-answer tests only.
   */
  sealSync(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, ephemeralIkm?: Uint8Array): HpkeCiphertext {
    this.checkInfo(info)
    const pub = this.kem.publicKey(publicKey) // CRYPTO_INVALID_PUBLIC_KEY for a malformed key, before anything else
    let s: Schedule | undefined
    try {
      const { sharedSecret, enc } = this.kem.encapTo(pub, publicKey, ephemeralIkm)
      s = this.schedule(sharedSecret, info)
      // Sequence number 0: the nonce is base_nonce itself.
      return { kemOutput: enc, ciphertext: this.aead.seal(s.key, s.baseNonce, aad, plaintext) }
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_ENCRYPT', 'HPKE seal failed', { cause: e })
    } finally {
      memzero(s?.key)
      memzero(s?.baseNonce)
    }
  }

  /**
   * SealBase of plaintexts[i] to publicKeys[i], all under one info and aad,
   * with sealSync's results and errors (every key is parsed first, so a
   * malformed one is CRYPTO_INVALID_PUBLIC_KEY before any DH). The KEM's
   * scalar multiplications may run in parallel (Dhkem.encapMany).
   */
  sealManySync(publicKeys: readonly Uint8Array[], info: Uint8Array, aad: Uint8Array, plaintexts: readonly Uint8Array[]): HpkeCiphertext[] {
    if (publicKeys.length !== plaintexts.length) {
      throw new TalosError('CRYPTO_INVALID_ARGUMENT', `${publicKeys.length} public keys for ${plaintexts.length} plaintexts`)
    }
    this.checkInfo(info)
    for (const pk of publicKeys) this.kem.publicKey(pk)
    let encs: { sharedSecret: Uint8Array; enc: Uint8Array }[] = []
    try {
      encs = this.kem.encapMany(publicKeys)
      return encs.map(({ sharedSecret, enc }, i) => {
        let s: Schedule | undefined
        try {
          s = this.schedule(sharedSecret, info) // consumes sharedSecret
          return { kemOutput: enc, ciphertext: this.aead.seal(s.key, s.baseNonce, aad, plaintexts[i]!) }
        } finally {
          memzero(s?.key)
          memzero(s?.baseNonce)
        }
      })
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_ENCRYPT', 'HPKE seal failed', { cause: e })
    } finally {
      for (const e of encs) memzero(e.sharedSecret)
    }
  }

  /** OpenBase (§6.1), synchronous. Any failure is CRYPTO_HPKE_DECRYPT. */
  openSync(privateKey: Uint8Array, kemOutput: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    let s: Schedule | undefined
    try {
      this.checkInfo(info)
      s = this.schedule(this.kem.decapSync(kemOutput, privateKey), info)
      return this.aead.open(s.key, s.baseNonce, aad, ciphertext)
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_DECRYPT', 'HPKE open failed', { cause: e })
    } finally {
      memzero(s?.key)
      memzero(s?.baseNonce)
    }
  }

  async seal(publicKey: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<HpkeCiphertext> {
    return this.sealSync(publicKey, info, aad, plaintext)
  }

  async sealMany(publicKeys: readonly Uint8Array[], info: Uint8Array, aad: Uint8Array, plaintexts: readonly Uint8Array[]): Promise<HpkeCiphertext[]> {
    return this.sealManySync(publicKeys, info, aad, plaintexts)
  }

  async open(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array> {
    return this.openSync(privateKey, kemOutput, info, aad, ciphertext)
  }

  /** SetupBaseS then Export, synchronous; `ephemeralIkm` as in sealSync. */
  exportSenderSync(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    ephemeralIkm?: Uint8Array,
  ): { kemOutput: Uint8Array; secret: Uint8Array } {
    this.checkInfo(info)
    this.checkExportLength(length)
    const pub = this.kem.publicKey(publicKey)
    try {
      const { sharedSecret, enc } = this.kem.encapTo(pub, publicKey, ephemeralIkm)
      return { kemOutput: enc, secret: this.exportOf(sharedSecret, info, exporterContext, length) }
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_ENCRYPT', 'HPKE export (sender) failed', { cause: e })
    }
  }

  exportReceiverSync(privateKey: Uint8Array, kemOutput: Uint8Array, info: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    this.checkExportLength(length)
    try {
      this.checkInfo(info)
      return this.exportOf(this.kem.decapSync(kemOutput, privateKey), info, exporterContext, length)
    } catch (e) {
      throw new TalosError('CRYPTO_HPKE_DECRYPT', 'HPKE export (receiver) failed', { cause: e })
    }
  }

  async exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ kemOutput: Uint8Array; secret: Uint8Array }> {
    return this.exportSenderSync(publicKey, info, exporterContext, length)
  }

  async exportReceiver(
    privateKey: Uint8Array,
    kemOutput: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return this.exportReceiverSync(privateKey, kemOutput, info, exporterContext, length)
  }

  private checkExportLength(length: number): void {
    // RFC 9180 §5.3: L <= 255 * Nh of the HPKE KDF.
    if (!Number.isInteger(length) || length < 0 || length > 255 * this.kdf.hashSize) {
      throw new TalosError('CRYPTO_INVALID_LENGTH', `HPKE export length ${length} is out of range`)
    }
  }
}
