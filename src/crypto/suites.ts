/**
 * The seven MLS cipher suites of RFC 9420 §17.1, each assembled from its
 * hash/KDF (kdf.ts), AEAD (aead.ts), signature scheme (signature/) and HPKE
 * (hpke/), with the labeled operations of labeled.ts on top:
 *
 *   0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519
 *   0x0002 MLS_128_DHKEMP256_AES128GCM_SHA256_P256
 *   0x0003 MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519
 *   0x0004 MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448
 *   0x0005 MLS_256_DHKEMP521_AES256GCM_SHA512_P521
 *   0x0006 MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448
 *   0x0007 MLS_256_DHKEMP384_AES256GCM_SHA384_P384
 *
 * Each suite is built on first use and cached (index.ts).
 */
import { TalosError } from '../errors.js'
import { aead as getAead, type AeadName } from './aead.js'
import { P256_GROUP, P384_GROUP, P521_GROUP, X25519_GROUP, X448_GROUP, type DhGroup } from './hpke/dh-groups.js'
import { Hpke } from './hpke/hpke.js'
import { hashKdf } from './kdf.js'
import { ratchetAead } from './ratchet-aead.js'
import { encryptContext, kdfLabel, refHashInput, signContent, treeSecretLabel } from './labeled.js'
import { ed25519 } from './signature/ed25519.js'
import { ecdsaP256, ecdsaP384, ecdsaP521, ed448 } from './signature/node-signature.js'
import type { SignatureScheme } from './signature/scheme.js'
import type { HashName } from './sodium.js'
import type { CipherSuite, CipherSuiteId } from './suite.js'

interface SuiteSpec {
  readonly name: string
  readonly group: DhGroup
  readonly hash: HashName
  readonly aead: AeadName
  readonly signature: SignatureScheme
}

export const SUITE_SPECS: Record<CipherSuiteId, SuiteSpec> = {
  1: { name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', group: X25519_GROUP, hash: 'SHA256', aead: 'AES128GCM', signature: ed25519 },
  2: { name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256', group: P256_GROUP, hash: 'SHA256', aead: 'AES128GCM', signature: ecdsaP256 },
  3: { name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519', group: X25519_GROUP, hash: 'SHA256', aead: 'CHACHA20POLY1305', signature: ed25519 },
  4: { name: 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448', group: X448_GROUP, hash: 'SHA512', aead: 'AES256GCM', signature: ed448 },
  5: { name: 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521', group: P521_GROUP, hash: 'SHA512', aead: 'AES256GCM', signature: ecdsaP521 },
  6: { name: 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448', group: X448_GROUP, hash: 'SHA512', aead: 'CHACHA20POLY1305', signature: ed448 },
  7: { name: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384', group: P384_GROUP, hash: 'SHA384', aead: 'AES256GCM', signature: ecdsaP384 },
}

export function buildCipherSuite(id: CipherSuiteId): CipherSuite {
  const spec = SUITE_SPECS[id]
  const kdf = hashKdf(spec.hash)
  const aead = getAead(spec.aead)
  const sig = spec.signature
  const hpke = new Hpke(spec.group, kdf, aead)
  const ratchet = ratchetAead(kdf, aead)
  const EMPTY = new Uint8Array(0)

  const expandWithLabel = (secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array =>
    kdf.expand(secret, kdfLabel(label, context, length), length)

  const suite: CipherSuite = {
    id,
    name: spec.name,
    Nh: kdf.Nh,
    Nk: aead.Nk,
    Nn: aead.Nn,
    Npk: spec.group.Npk,

    hash: (data) => kdf.hash(data),
    mac: (key, data) => kdf.mac(key, data),
    extract: (salt, ikm) => kdf.extract(salt, ikm),
    expand: (prk, info, length) => kdf.expand(prk, info, length),
    expandMany: (prk, infos, lengths) => kdf.expandMany(prk, infos, lengths),
    expandWithLabel,
    deriveSecret: (secret, label) => expandWithLabel(secret, label, EMPTY, kdf.Nh),
    deriveTreeSecret: (secret, label, generation, length) => kdf.expand(secret, treeSecretLabel(label, generation, length), length),
    refHash: (label, value) => kdf.hash(refHashInput(label, value)),

    seal: (key, nonce, aad, plaintext) => aead.seal(key, nonce, aad, plaintext),
    sealInto: (key, nonce, aad, plaintext, out, offset) => aead.sealInto(key, nonce, aad, plaintext, out, offset),
    open: (key, nonce, aad, ciphertext) => aead.open(key, nonce, aad, ciphertext),
    ratchetOpen: ratchet.open,
    ratchetSealInto: ratchet.sealInto,

    generateSignatureKeyPair: () => sig.generateKeyPair(),
    signaturePublicKey: (privateKey) => sig.publicKey(privateKey),
    sign: (privateKey, message) => sig.sign(privateKey, message),
    verify: (publicKey, message, signature) => sig.verify(publicKey, message, signature),
    signWithLabel: (privateKey, label, content) => sig.sign(privateKey, signContent(label, content)),
    verifyWithLabel: (publicKey, label, content, signature) => {
      let tbs: Uint8Array
      try {
        tbs = signContent(label, content)
      } catch {
        return false // an oversized content cannot carry a valid signature; verify never throws
      }
      return sig.verify(publicKey, tbs, signature)
    },

    generateHpkeKeyPair: () => hpke.generateKeyPair(),
    deriveHpkeKeyPair: (ikm) => hpke.deriveKeyPair(ikm),
    deriveHpkeKeyPairs: (ikms) => hpke.deriveKeyPairs(ikms),
    hpkePublicKey: (privateKey) => hpke.publicKey(privateKey),
    hpkeSeal: (publicKey, info, aad, plaintext) => hpke.seal(publicKey, info, aad, plaintext),
    hpkeSealMany: (publicKeys, info, aad, plaintexts) => hpke.sealMany(publicKeys, info, aad, plaintexts),
    hpkeOpen: (privateKey, kemOutput, info, aad, ciphertext) => hpke.open(privateKey, kemOutput, info, aad, ciphertext),
    hpkeExportSender: (publicKey, info, exporterContext, length) =>
      hpke.exportSender(publicKey, info, exporterContext, length),
    hpkeExportReceiver: (privateKey, kemOutput, info, exporterContext, length) =>
      hpke.exportReceiver(privateKey, kemOutput, info, exporterContext, length),
    encryptWithLabel: (publicKey, label, context, plaintext) =>
      hpke.seal(publicKey, encryptContext(label, context), EMPTY, plaintext),
    encryptWithLabelMany: (publicKeys, label, context, plaintexts) =>
      hpke.sealMany(publicKeys, encryptContext(label, context), EMPTY, plaintexts),
    decryptWithLabel: async (privateKey, label, context, kemOutput, ciphertext) => {
      let info: Uint8Array
      try {
        info = encryptContext(label, context)
      } catch (e) {
        throw new TalosError('CRYPTO_HPKE_DECRYPT', 'DecryptWithLabel: context too long', { cause: e })
      }
      return hpke.open(privateKey, kemOutput, info, EMPTY, ciphertext)
    },
  }
  return Object.freeze(suite)
}
