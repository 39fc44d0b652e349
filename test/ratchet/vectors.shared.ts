/**
 * Computes the fixed-input ratchet vectors from fixed inputs with the
 * implementation under test. vectors.gen.ts wrote test/vectors/ratchet-kdf.json
 * once with it; vectors.test.ts recomputes and compares, so any change in a
 * derivation shows as a diff.
 */
import { createHash } from 'node:crypto'
import { aead } from '../../src/crypto/aead.js'
import { x25519, x25519KeyPairFromPrivate } from '../../src/crypto/dh.js'
import { identityFromPrivate } from '../../src/ratchet/identity.js'
import { encodeHeader, messageAd } from '../../src/ratchet/header.js'
import { kdfCk, kdfRk, messageAeadKeys } from '../../src/ratchet/kdf.js'
import { signPreKey, type PreKeyStore } from '../../src/ratchet/prekeys.js'
import { associatedData, x3dhInitiate, x3dhRespond } from '../../src/ratchet/x3dh.js'
import { toHex } from '../helpers/vectors.js'

/** Fixed 32-byte input number `i` of a named family. */
export const fixed = (name: string): Uint8Array => new Uint8Array(createHash('sha256').update(`talos ratchet vector ${name}`).digest())

export function computeRatchetVectors(): Record<string, unknown> {
  const alice = identityFromPrivate(fixed('alice signing'), fixed('alice agreement'))
  const bob = identityFromPrivate(fixed('bob signing'), fixed('bob agreement'))
  const spk = x25519KeyPairFromPrivate(fixed('bob signed prekey'))
  const opk = x25519KeyPairFromPrivate(fixed('bob one-time prekey'))
  const signedPreKey = signPreKey(bob, 'signed', 7, spk.publicKey)
  const oneTimePreKey = signPreKey(bob, 'one-time', 42, opk.publicKey)
  const store: PreKeyStore = {
    signedPreKey: (id) => (id === 7 ? spk : undefined),
    oneTimePreKey: (id) => (id === 42 ? opk : undefined),
    removeOneTimePreKey: () => {},
  }
  const ident = (i: typeof alice) => ({
    signing_key: toHex(i.public.signingKey),
    agreement_key: toHex(i.public.agreementKey),
    binding_signature: toHex(i.public.bindingSignature),
  })

  const x3dh = [false, true].flatMap((he) =>
    [true, false].map((withOpk) => {
      const ek = x25519KeyPairFromPrivate(fixed(`alice ephemeral ${he} ${withOpk}`))
      const baseKey = ek.publicKey
      const dhs = [
        x25519(alice.agreement.privateKey, spk.publicKey),
        x25519(ek.privateKey, bob.public.agreementKey),
        x25519(ek.privateKey, spk.publicKey),
        ...(withOpk ? [x25519(ek.privateKey, opk.publicKey)] : []),
      ].map(toHex)
      const bundle = { identity: bob.public, signedPreKey, oneTimePreKey: withOpk ? oneTimePreKey : undefined }
      const init = x3dhInitiate(alice, bundle, he, { privateKey: ek.privateKey.slice(), publicKey: ek.publicKey })
      const resp = x3dhRespond(bob, store, {
        remoteIdentity: alice.public,
        baseKey,
        signedPreKeyId: 7,
        oneTimePreKeyId: withOpk ? 42 : undefined,
        headerEncryption: he,
      })
      if (toHex(init.secrets.rootKey) !== toHex(resp.secrets.rootKey)) throw new Error('X3DH sides disagree')
      return {
        header_encryption: he,
        one_time_pre_key: withOpk,
        base_key: toHex(baseKey),
        dh: dhs,
        associated_data: toHex(init.secrets.associatedData),
        root_key: toHex(init.secrets.rootKey),
        header_key_a: init.secrets.headerKeyA ? toHex(init.secrets.headerKeyA) : null,
        header_key_b: init.secrets.headerKeyB ? toHex(init.secrets.headerKeyB) : null,
      }
    }),
  )

  const kdf_rk = [false, true].map((he) => {
    const rk = fixed(`rk ${he}`)
    const dh = fixed(`dh ${he}`)
    const out = kdfRk(rk, dh.slice(), he)
    return {
      header_encryption: he,
      root_key: toHex(rk),
      dh_out: toHex(dh),
      next_root_key: toHex(out.rootKey),
      chain_key: toHex(out.chainKey),
      next_header_key: out.nextHeaderKey ? toHex(out.nextHeaderKey) : null,
    }
  })

  let ck = fixed('ck')
  const steps = []
  for (let i = 0; i < 5; i++) {
    const s = kdfCk(ck)
    const k = messageAeadKeys(s.messageKey.slice())
    steps.push({ message_key: toHex(s.messageKey), next_chain_key: toHex(s.chainKey), aead_key: toHex(k.key), aead_nonce: toHex(k.nonce) })
    ck = s.chainKey
  }

  const ad = associatedData(alice.public, bob.public)
  const header = { ratchetKey: fixed('ratchet public'), pn: 3, n: 5 }
  const headerBytes = encodeHeader(header)
  const mAd = messageAd(ad, false, headerBytes)
  const mk = fixed('message key')
  const keys = messageAeadKeys(mk.slice())
  const plaintext = new TextEncoder().encode('fixed vector plaintext')
  const ciphertext = aead('CHACHA20POLY1305').seal(keys.key, keys.nonce, mAd, plaintext)

  return {
    description:
      'Fixed-input vectors for src/ratchet (X3DH KDF, KDF_RK, KDF_RK_HE, KDF_CK, message keys, canonical header and AD, one AEAD). ' +
      'Inputs are SHA-256("talos ratchet vector <name>"). Generated once by test/ratchet/vectors.gen.ts; checked by vectors.test.ts.',
    identities: { alice: ident(alice), bob: ident(bob) },
    signed_pre_key: { id: 7, public_key: toHex(spk.publicKey), signature: toHex(signedPreKey.signature) },
    one_time_pre_key: { id: 42, public_key: toHex(opk.publicKey), signature: toHex(oneTimePreKey.signature) },
    x3dh,
    kdf_rk,
    kdf_ck: { chain_key: toHex(fixed('ck')), steps },
    message: {
      associated_data: toHex(ad),
      header: { ratchet_key: toHex(header.ratchetKey), pn: header.pn, n: header.n },
      header_bytes: toHex(headerBytes),
      message_ad: toHex(mAd),
      message_key: toHex(mk),
      plaintext: toHex(plaintext),
      ciphertext: toHex(ciphertext),
    },
  }
}
