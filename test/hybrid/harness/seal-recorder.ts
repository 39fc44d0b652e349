/**
 * A CipherSuite wrapper recording every (key, nonce) pair it seals under, as
 * hex "key/nonce", for the no-nonce-reuse checks of T14. The hybrid layer
 * seals through ratchetSealInto, whose key and nonce never leave the suite:
 * the recorder derives them itself from the same inputs (expandMany, then
 * the mask), the definition ratchetSealInto implements
 * (test/crypto/ratchet-aead.test.ts checks the two agree).
 */
import type { CipherSuite, RatchetInfos } from '../../../src/crypto/index.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export function recordSeals(suite: CipherSuite, sealed: string[]): CipherSuite {
  return Object.freeze({
    ...suite,
    seal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) => {
      sealed.push(`${hex(key)}/${hex(nonce)}`)
      return suite.seal(key, nonce, aad, pt)
    },
    sealInto: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, out: Uint8Array, offset: number) => {
      sealed.push(`${hex(key)}/${hex(nonce)}`)
      suite.sealInto(key, nonce, aad, pt, out, offset)
    },
    ratchetSealInto: (secret: Uint8Array, infos: RatchetInfos, mask: Uint8Array, aad: Uint8Array, pt: Uint8Array, out: Uint8Array, offset: number) => {
      const [key, nonce] = suite.expandMany(secret, infos, [suite.Nk, suite.Nn, suite.Nh])
      for (let i = 0; i < mask.length; i++) nonce![i]! ^= mask[i]!
      sealed.push(`${hex(key!)}/${hex(nonce!)}`)
      return suite.ratchetSealInto(secret, infos, mask, aad, pt, out, offset)
    },
  })
}
