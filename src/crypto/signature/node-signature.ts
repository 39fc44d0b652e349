/**
 * ECDSA (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512; FIPS 186-4) and Ed448
 * (RFC 8032 §5.2, pure, empty context) on node:crypto (OpenSSL), for suites
 * 2, 4, 5, 6 and 7. All calls are synchronous.
 *
 * ECDSA signatures are DER (RFC 8446 §4.2.3, RFC 9420 §5.1.2); OpenSSL's
 * verify re-encodes the parsed signature and compares, so only strict DER is
 * accepted. Parsed KeyObjects are cached (key-cache.ts): private keys per
 * Uint8Array, public keys in a bounded LRU.
 */
import { sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { PrivateKeyCache, PublicKeyCache } from '../key-cache.js'
import {
  ecGenerate,
  ecPrivateKey,
  ecPublicKey,
  okpGenerate,
  okpPrivateKey,
  okpPublicKey,
  type NistCurve,
} from '../node-keys.js'
import type { SignatureScheme } from './scheme.js'

interface Parsed {
  readonly key: KeyObject
  readonly publicKey: Uint8Array
}

/**
 * A scheme over node KeyObjects. `digest` is the hash name for ECDSA, null
 * for EdDSA (which hashes internally).
 */
function nodeScheme(
  name: string,
  digest: string | null,
  generate: () => { privateKey: Uint8Array; publicKey: Uint8Array },
  parsePrivate: (d: Uint8Array) => Parsed,
  parsePublic: (p: Uint8Array) => KeyObject,
): SignatureScheme {
  const privateKeys = new PrivateKeyCache<Parsed>()
  const publicKeys = new PublicKeyCache<KeyObject | null>()
  return {
    name,
    generateKeyPair() {
      const kp = generate()
      return { privateKey: kp.privateKey, publicKey: kp.publicKey }
    },
    publicKey(privateKey) {
      return privateKeys.get(privateKey, parsePrivate).publicKey.slice()
    },
    sign(privateKey, message) {
      const { key } = privateKeys.get(privateKey, parsePrivate)
      return new Uint8Array(nodeSign(digest, message, { key, dsaEncoding: 'der' }))
    },
    verify(publicKey, message, signature) {
      // A key that failed to parse is cached as null, so a hostile key costs one parse.
      const key = publicKeys.get(publicKey, (p) => {
        try {
          return parsePublic(p)
        } catch {
          return null
        }
      })
      if (key === null) return false
      try {
        return nodeVerify(digest, message, { key, dsaEncoding: 'der' }, signature)
      } catch {
        return false
      }
    },
  }
}

function ecdsa(crv: NistCurve, digest: 'sha256' | 'sha384' | 'sha512', name: string): SignatureScheme {
  return nodeScheme(
    name,
    digest,
    () => ecGenerate(crv),
    (d) => ecPrivateKey(crv, d),
    (p) => ecPublicKey(crv, p),
  )
}

export const ecdsaP256 = ecdsa('P-256', 'sha256', 'ecdsa_secp256r1_sha256')
export const ecdsaP384 = ecdsa('P-384', 'sha384', 'ecdsa_secp384r1_sha384')
export const ecdsaP521 = ecdsa('P-521', 'sha512', 'ecdsa_secp521r1_sha512')

export const ed448 = nodeScheme(
  'ed448',
  null,
  () => okpGenerate('Ed448'),
  (d) => okpPrivateKey('Ed448', d),
  (p) => okpPublicKey('Ed448', p),
)
