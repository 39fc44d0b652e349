/**
 * DHKEM (RFC 9180 §4.1) over a DhGroup, implementing @hpke/core's
 * KemInterface (base mode only: MLS never uses HPKE's Auth modes).
 *
 *   Encap(pkR):  skE, pkE = GenerateKeyPair(); dh = DH(skE, pkR)
 *                enc = SerializePublicKey(pkE)
 *                shared_secret = ExtractAndExpand(dh, enc || pkRm)
 *   Decap(enc, skR): dh = DH(skR, DeserializePublicKey(enc))
 *                shared_secret = ExtractAndExpand(dh, enc || pk(skR))
 *   ExtractAndExpand(dh, kem_context):
 *                eae_prk = LabeledExtract("", "eae_prk", dh)
 *                LabeledExpand(eae_prk, "shared_secret", kem_context, Nsecret)
 *   DeriveKeyPair (§7.1.3): dkp_prk = LabeledExtract("", "dkp_prk", ikm), then
 *                X25519/X448: sk = LabeledExpand(dkp_prk, "sk", "", Nsk);
 *                NIST: the first candidate LabeledExpand(dkp_prk, "candidate",
 *                I2OSP(counter, 1), Nsk), first byte masked, with 0 < sk < n.
 *
 * Keys handed to @hpke/core are HpkeKey objects carrying the serialized bytes
 * (SerializePublicKey / SerializePrivateKey, §7.1.1-2). Parsed private keys
 * (with their public key, needed for kem_context) are cached per Uint8Array,
 * parsed public keys in a bounded LRU (../key-cache.ts). All secrets this
 * module computes (dh, eae_prk, dkp_prk, rejected candidates, the ephemeral
 * private key) are zeroed once consumed.
 */
import type { KemInterface, RecipientContextParams, SenderContextParams } from '@hpke/core'
import type { webcrypto } from 'node:crypto'
import { TalosError } from '../../errors.js'
import { hashKdf } from '../kdf.js'
import { PrivateKeyCache, PublicKeyCache } from '../key-cache.js'
import { memzero } from '../sodium.js'
import { x25519Many } from '../x25519-pool.js'
import type { KeyPair } from '../suite.js'
import { ab, concat, u8 } from './bytes.js'
import type { DhGroup } from './dh-groups.js'
import { HpkeKdf } from './kdf.js'

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
const LABEL_EAE_PRK = ascii('eae_prk')
const LABEL_SHARED_SECRET = ascii('shared_secret')
const LABEL_DKP_PRK = ascii('dkp_prk')
const LABEL_SK = ascii('sk')
const LABEL_CANDIDATE = ascii('candidate')
const EMPTY = new Uint8Array(0)

// tsconfig has no DOM lib: name WebCrypto's types through node:crypto.
type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair
/** Bound on DeriveKeyPair's input keying material (RFC 9180 §7.2.1 leaves it to the implementation). */
const MAX_IKM = 8192

/** A serialized HPKE key in the CryptoKey shape @hpke/core passes around. */
export class HpkeKey implements CryptoKey {
  readonly extractable = true
  readonly algorithm: webcrypto.KeyAlgorithm
  readonly usages: webcrypto.KeyUsage[]

  constructor(
    readonly type: 'public' | 'private',
    readonly bytes: Uint8Array,
    kemName: string,
  ) {
    this.algorithm = { name: kemName }
    this.usages = type === 'private' ? ['deriveBits'] : []
  }
}

function keyBytes(k: CryptoKey, type: 'public' | 'private'): Uint8Array {
  if (!(k instanceof HpkeKey) || k.type !== type) {
    throw new TalosError('CRYPTO_INVALID_KEY', `expected a ${type} HpkeKey`)
  }
  return k.bytes
}

export class Dhkem<Priv, Pub> implements KemInterface {
  readonly id: KemInterface['id']
  readonly secretSize: number
  readonly encSize: number
  readonly publicKeySize: number
  readonly privateKeySize: number
  private readonly kdf: HpkeKdf
  private readonly privateKeys = new PrivateKeyCache<{ handle: Priv; publicKey: Uint8Array }>()
  private readonly publicKeys = new PublicKeyCache<Pub>(256)
  /** DHKEM(X25519, HKDF-SHA256) batches go to the X25519 worker pool. */
  private readonly pooled: boolean

  constructor(readonly group: DhGroup<Priv, Pub>) {
    this.id = group.kemId as KemInterface['id']
    this.secretSize = group.Nsecret
    this.encSize = group.Npk
    this.publicKeySize = group.Npk
    this.privateKeySize = group.Nsk
    this.kdf = new HpkeKdf(hashKdf(group.hash))
    this.pooled = group.kemId === 0x0020
    this.kdf.init(new Uint8Array([0x4b, 0x45, 0x4d, group.kemId >>> 8, group.kemId & 0xff])) // "KEM" || I2OSP(kem_id, 2)
  }

  // --- synchronous API used by hpke.ts ---

  /** Parses (or fetches from cache) a serialized private key; throws CRYPTO_INVALID_PRIVATE_KEY. */
  privateKey(sk: Uint8Array): { handle: Priv; publicKey: Uint8Array } {
    if (sk.length !== this.group.Nsk) {
      throw new TalosError('CRYPTO_INVALID_PRIVATE_KEY', `${this.group.name} private key must be ${this.group.Nsk} bytes`)
    }
    return this.privateKeys.get(sk, (k) => this.group.importPrivate(k))
  }

  /** Parses (or fetches from cache) a serialized public key; throws CRYPTO_INVALID_PUBLIC_KEY. */
  publicKey(pk: Uint8Array): Pub {
    if (pk.length !== this.group.Npk) {
      throw new TalosError('CRYPTO_INVALID_PUBLIC_KEY', `${this.group.name} public key must be ${this.group.Npk} bytes`)
    }
    return this.publicKeys.get(pk, (k) => this.group.importPublic(k))
  }

  generateKeyPairSync(): KeyPair {
    const kp = this.group.generate()
    return { privateKey: kp.privateKey, publicKey: kp.publicKey }
  }

  deriveKeyPairSync(ikm: Uint8Array): KeyPair {
    const sk = this.derivePrivateKey(ikm)
    return { privateKey: sk, publicKey: this.privateKey(sk).publicKey.slice() }
  }

  /**
   * DeriveKeyPair of each ikm, as deriveKeyPairSync would return them; for
   * X25519 the public keys (one base-point multiplication each) are computed
   * in parallel where it pays (../x25519-pool.ts).
   */
  deriveKeyPairsSync(ikms: readonly Uint8Array[]): KeyPair[] {
    if (!this.pooled) return ikms.map((ikm) => this.deriveKeyPairSync(ikm))
    const sks: Uint8Array[] = []
    try {
      for (const ikm of ikms) sks.push(this.derivePrivateKey(ikm))
      const pks = x25519Many(
        sks.map((privateKey) => ({ privateKey })),
        (j) => ({ publicKey: this.privateKey(j.privateKey).publicKey.slice() }),
      )
      return sks.map((privateKey, i) => ({ privateKey, publicKey: pks[i]!.publicKey }))
    } catch (e) {
      for (const sk of sks) memzero(sk)
      throw e
    }
  }

  /** The private half of DeriveKeyPair (§7.1.3), before any scalar multiplication. */
  private derivePrivateKey(ikm: Uint8Array): Uint8Array {
    if (ikm.length > MAX_IKM) throw new TalosError('CRYPTO_INVALID_LENGTH', `DeriveKeyPair ikm of ${ikm.length} bytes is too long`)
    const g = this.group
    const dkpPrk = this.kdf.labeledExtractSync(EMPTY, LABEL_DKP_PRK, ikm)
    try {
      if (g.bitmask === null) return this.kdf.labeledExpandSync(dkpPrk, LABEL_SK, EMPTY, g.Nsk)
      for (let counter = 0; counter <= 255; counter++) {
        const candidate = this.kdf.labeledExpandSync(dkpPrk, LABEL_CANDIDATE, new Uint8Array([counter]), g.Nsk)
        candidate[0]! &= g.bitmask
        if (g.isValidScalar(candidate)) return candidate
        memzero(candidate)
      }
      throw new TalosError('CRYPTO_DERIVE_KEY_PAIR', `${g.name} DeriveKeyPair found no valid scalar`)
    } finally {
      memzero(dkpPrk)
    }
  }

  private extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const eaePrk = this.kdf.labeledExtractSync(EMPTY, LABEL_EAE_PRK, dh)
    try {
      return this.kdf.labeledExpandSync(eaePrk, LABEL_SHARED_SECRET, kemContext, this.group.Nsecret)
    } finally {
      memzero(eaePrk)
    }
  }

  encapSync(pkR: Uint8Array, ephemeralIkm?: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array } {
    return this.encapTo(this.publicKey(pkR), pkR, ephemeralIkm)
  }

  /** Encap to a public key already parsed by publicKey(pkR) (SealBase parses it first, for its error code). */
  encapTo(pub: Pub, pkR: Uint8Array, ephemeralIkm?: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array } {
    let eph: { privateKey: Uint8Array; publicKey: Uint8Array; handle: Priv }
    if (ephemeralIkm === undefined) {
      eph = this.group.generate()
    } else {
      // Deterministic ephemeral key, for known-answer tests only (RFC 9180 Appendix A's ikmE).
      const kp = this.deriveKeyPairSync(ephemeralIkm)
      eph = { ...kp, handle: this.group.importPrivate(kp.privateKey).handle }
    }
    let dh: Uint8Array | undefined
    try {
      dh = this.group.dh(eph.handle, pub)
      const enc = eph.publicKey
      return { sharedSecret: this.extractAndExpand(dh, concat(enc, pkR)), enc }
    } finally {
      // The ephemeral private key is consumed by this one DH (a handle may alias its bytes, so zero after).
      memzero(dh)
      memzero(eph.privateKey)
    }
  }

  /**
   * Encap to each public key, as encapTo would (each key parsed first, in
   * order, so a malformed one fails before any DH). For X25519 the ephemeral
   * key pairs and DHs run in parallel where it pays (../x25519-pool.ts).
   * Every ephemeral private key and DH output is zeroed, on success or not.
   */
  encapMany(pkRs: readonly Uint8Array[]): { sharedSecret: Uint8Array; enc: Uint8Array }[] {
    const pubs = pkRs.map((pk) => this.publicKey(pk))
    const out: { sharedSecret: Uint8Array; enc: Uint8Array }[] = []
    if (!this.pooled) {
      try {
        for (let i = 0; i < pkRs.length; i++) out.push(this.encapTo(pubs[i]!, pkRs[i]!))
        return out
      } catch (e) {
        for (const r of out) memzero(r.sharedSecret)
        throw e
      }
    }
    const sks = pkRs.map(() => this.group.randomPrivateKey())
    let dhs: { publicKey: Uint8Array; shared?: Uint8Array | undefined }[] = []
    try {
      dhs = x25519Many(
        sks.map((privateKey, i) => ({ privateKey, peer: pkRs[i]! })),
        (j, i) => {
          const eph = this.group.importPrivate(j.privateKey)
          return { publicKey: eph.publicKey, shared: this.group.dh(eph.handle, pubs[i]!) }
        },
      )
      for (let i = 0; i < dhs.length; i++) {
        const enc = dhs[i]!.publicKey
        out.push({ sharedSecret: this.extractAndExpand(dhs[i]!.shared!, concat(enc, pkRs[i]!)), enc })
      }
      return out
    } catch (e) {
      for (const r of out) memzero(r.sharedSecret)
      throw e
    } finally {
      for (const sk of sks) memzero(sk)
      for (const r of dhs) memzero(r.shared)
    }
  }

  /** Throws TalosError (CRYPTO_INVALID_PUBLIC_KEY for a bad enc, CRYPTO_DH_FAILED). */
  decapSync(enc: Uint8Array, skR: Uint8Array): Uint8Array {
    const priv = this.privateKey(skR)
    const dh = this.group.dh(priv.handle, this.publicKey(enc))
    try {
      return this.extractAndExpand(dh, concat(enc, priv.publicKey))
    } finally {
      memzero(dh)
    }
  }

  // --- KemInterface (async, for @hpke/core) ---

  async serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
    return ab(keyBytes(key, 'public').slice())
  }

  async deserializePublicKey(key: ArrayBufferLike | ArrayBufferView): Promise<CryptoKey> {
    const bytes = new Uint8Array(u8(key)) // a copy, not a view (Buffer#slice)
    this.publicKey(bytes)
    return new HpkeKey('public', bytes, this.group.name)
  }

  async serializePrivateKey(key: CryptoKey): Promise<ArrayBuffer> {
    return ab(keyBytes(key, 'private').slice())
  }

  async deserializePrivateKey(key: ArrayBufferLike | ArrayBufferView): Promise<CryptoKey> {
    const bytes = new Uint8Array(u8(key)) // a copy, not a view (Buffer#slice)
    this.privateKey(bytes)
    return new HpkeKey('private', bytes, this.group.name)
  }

  async importKey(format: 'raw' | 'jwk', key: ArrayBuffer | webcrypto.JsonWebKey, isPublic = true): Promise<CryptoKey> {
    if (format !== 'raw' || !(key instanceof ArrayBuffer)) {
      throw new TalosError('CRYPTO_UNSUPPORTED', 'only raw HPKE keys are supported')
    }
    return isPublic ? this.deserializePublicKey(key) : this.deserializePrivateKey(key)
  }

  async generateKeyPair(): Promise<CryptoKeyPair> {
    return this.wrapPair(this.generateKeyPairSync())
  }

  async deriveKeyPair(ikm: ArrayBufferLike | ArrayBufferView): Promise<CryptoKeyPair> {
    return this.wrapPair(this.deriveKeyPairSync(u8(ikm)))
  }

  private wrapPair(kp: KeyPair): CryptoKeyPair {
    return {
      privateKey: new HpkeKey('private', kp.privateKey, this.group.name),
      publicKey: new HpkeKey('public', kp.publicKey, this.group.name),
    }
  }

  async encap(params: SenderContextParams): Promise<{ sharedSecret: ArrayBuffer; enc: ArrayBuffer }> {
    if (params.senderKey !== undefined) throw new TalosError('CRYPTO_UNSUPPORTED', 'HPKE Auth mode is not supported')
    let ikmE: Uint8Array | undefined
    if (params.ekm !== undefined) {
      if (!(params.ekm instanceof ArrayBuffer || ArrayBuffer.isView(params.ekm))) {
        throw new TalosError('CRYPTO_UNSUPPORTED', 'ekm must be input keying material')
      }
      ikmE = u8(params.ekm)
    }
    const r = this.encapSync(keyBytes(params.recipientPublicKey, 'public'), ikmE)
    return { sharedSecret: ab(r.sharedSecret), enc: ab(r.enc) }
  }

  async decap(params: RecipientContextParams): Promise<ArrayBuffer> {
    if (params.senderPublicKey !== undefined) throw new TalosError('CRYPTO_UNSUPPORTED', 'HPKE Auth mode is not supported')
    const rk = params.recipientKey
    const sk = 'privateKey' in rk ? rk.privateKey : rk
    return ab(this.decapSync(u8(params.enc), keyBytes(sk, 'private')))
  }
}
