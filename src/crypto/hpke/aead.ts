/**
 * A suite's synchronous AEAD (../aead.ts) behind @hpke/core's AeadInterface
 * (RFC 9180 §5.2, §7.3): AES-128-GCM, AES-256-GCM via node:crypto,
 * ChaCha20-Poly1305 via libsodium. The stock @hpke/core AES-GCM goes through
 * WebCrypto (an import and a thread-pool round trip per call).
 */
import type { AeadEncryptionContext, AeadInterface } from '@hpke/core'
import type { Aead } from '../aead.js'
import { ab, u8 } from './bytes.js'

export class HpkeAead implements AeadInterface {
  readonly id: AeadInterface['id']
  readonly keySize: number
  readonly nonceSize: number
  readonly tagSize: number

  constructor(private readonly aead: Aead) {
    this.id = aead.hpkeId as AeadInterface['id']
    this.keySize = aead.Nk
    this.nonceSize = aead.Nn
    this.tagSize = aead.Nt
  }

  createEncryptionContext(key: ArrayBufferLike | ArrayBufferView): AeadEncryptionContext {
    const k = new Uint8Array(u8(key)) // a copy, not a view (Buffer#slice)
    const aead = this.aead
    return {
      async seal(iv, data, aad) {
        return ab(aead.seal(k, u8(iv), u8(aad), u8(data)))
      },
      async open(iv, data, aad) {
        return ab(aead.open(k, u8(iv), u8(aad), u8(data)))
      },
    }
  }
}
