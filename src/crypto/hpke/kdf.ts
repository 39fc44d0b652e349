/**
 * HPKE's labeled KDF (RFC 9180 §4, §5.1) over a suite's synchronous HKDF
 * (../kdf.ts), implementing @hpke/core's KdfInterface:
 *
 *   LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
 *   LabeledExpand(prk, label, info, L)
 *     = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)
 *
 * The stock @hpke/core KDF runs every HMAC through WebCrypto (two thread-pool
 * round trips per HMAC, ~50 µs each here); an HPKE setup makes about ten, so
 * this adapter is most of the speed-up measured in hpke.ts. The DHKEM uses
 * its own instance, initialised with suite_id = "KEM" || I2OSP(kem_id, 2).
 */
import type { KdfInterface } from '@hpke/core'
import { createHmac } from 'node:crypto'
import { TalosError } from '../../errors.js'
import type { HashKdf } from '../kdf.js'
import { memzero } from '../sodium.js'
import { ab, u8 } from './bytes.js'

const NODE_HASH = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' } as const

const HPKE_V1 = new Uint8Array([0x48, 0x50, 0x4b, 0x45, 0x2d, 0x76, 0x31]) // "HPKE-v1"

/** RFC 9180 §7.2 KDF identifiers. */
const KDF_IDS = { SHA256: 0x0001, SHA384: 0x0002, SHA512: 0x0003 } as const

export class HpkeKdf implements KdfInterface {
  readonly id: KdfInterface['id']
  readonly hashSize: number
  private suiteId: Uint8Array = new Uint8Array(0)
  /** "HPKE-v1" || suite_id, the fixed head of every labeled input. */
  private prefix: Uint8Array = new Uint8Array(0)

  constructor(readonly hash: HashKdf) {
    this.id = KDF_IDS[hash.name] as KdfInterface['id']
    this.hashSize = hash.Nh
  }

  init(suiteId: Uint8Array): void {
    this.suiteId = new Uint8Array(suiteId) // not slice(): a view on a Buffer
    this.prefix = new Uint8Array(7 + suiteId.length)
    this.prefix.set(HPKE_V1, 0)
    this.prefix.set(suiteId, 7)
  }

  private checkInit(): void {
    if (this.suiteId.length === 0) throw new TalosError('CRYPTO_INTERNAL', 'HPKE KDF used before init()')
  }

  buildLabeledIkm(label: Uint8Array, ikm: Uint8Array): Uint8Array {
    this.checkInit()
    const p = this.prefix
    const out = new Uint8Array(p.length + label.length + ikm.length)
    out.set(p, 0)
    out.set(label, p.length)
    out.set(ikm, p.length + label.length)
    return out
  }

  buildLabeledInfo(label: Uint8Array, info: Uint8Array, len: number): Uint8Array {
    this.checkInit()
    if (!Number.isInteger(len) || len < 0 || len > 0xffff) {
      throw new TalosError('CRYPTO_INVALID_LENGTH', `HPKE LabeledExpand length ${len} does not fit uint16`)
    }
    const p = this.prefix
    const out = new Uint8Array(2 + p.length + label.length + info.length)
    out[0] = len >>> 8
    out[1] = len & 0xff
    out.set(p, 2)
    out.set(label, 2 + p.length)
    out.set(info, 2 + p.length + label.length)
    return out
  }

  // --- synchronous core, used directly by the DHKEM ---

  labeledExtractSync(salt: Uint8Array, label: Uint8Array, ikm: Uint8Array): Uint8Array {
    const labeled = this.buildLabeledIkm(label, ikm)
    try {
      return this.hash.extract(salt, labeled)
    } finally {
      memzero(labeled)
    }
  }

  /**
   * LabeledExtract over public input, streamed through node:crypto's HMAC
   * without building the labeled copy: the info_hash of a large info (a
   * Welcome's EncryptContext carries the encrypted GroupInfo, ~2 MB at
   * n = 10,000, which labeledExtractSync would copy and zero once more).
   * Same result as labeledExtractSync (HKDF-Extract = HMAC(salt, ikm), an
   * empty salt being HashLen zero bytes, RFC 5869 §2.2).
   */
  labeledExtractPublicSync(salt: Uint8Array, label: Uint8Array, ikm: Uint8Array): Uint8Array {
    this.checkInit()
    const key = salt.length === 0 ? new Uint8Array(this.hashSize) : salt
    const h = createHmac(NODE_HASH[this.hash.name], key)
    h.update(this.prefix)
    h.update(label)
    h.update(ikm)
    return new Uint8Array(h.digest())
  }

  labeledExpandSync(prk: Uint8Array, label: Uint8Array, info: Uint8Array, len: number): Uint8Array {
    return this.hash.expand(prk, this.buildLabeledInfo(label, info, len), len)
  }

  // --- KdfInterface (async, as @hpke/core expects) ---

  async extract(salt: ArrayBufferLike | ArrayBufferView, ikm: ArrayBufferLike | ArrayBufferView): Promise<ArrayBuffer> {
    return ab(this.hash.extract(u8(salt), u8(ikm)))
  }

  async expand(prk: ArrayBufferLike | ArrayBufferView, info: ArrayBufferLike | ArrayBufferView, len: number): Promise<ArrayBuffer> {
    return ab(this.hash.expand(u8(prk), u8(info), len))
  }

  async extractAndExpand(
    salt: ArrayBufferLike | ArrayBufferView,
    ikm: ArrayBufferLike | ArrayBufferView,
    info: ArrayBufferLike | ArrayBufferView,
    len: number,
  ): Promise<ArrayBuffer> {
    const prk = this.hash.extract(u8(salt), u8(ikm))
    try {
      return ab(this.hash.expand(prk, u8(info), len))
    } finally {
      memzero(prk)
    }
  }

  async labeledExtract(salt: ArrayBufferLike | ArrayBufferView, label: Uint8Array, ikm: Uint8Array): Promise<ArrayBuffer> {
    return ab(this.labeledExtractSync(u8(salt), label, ikm))
  }

  async labeledExpand(prk: ArrayBufferLike | ArrayBufferView, label: Uint8Array, info: Uint8Array, len: number): Promise<ArrayBuffer> {
    return ab(this.labeledExpandSync(u8(prk), label, info, len))
  }
}
