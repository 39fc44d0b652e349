/**
 * The crypto floor: what one primitive costs, so every protocol number above
 * it can be read against it. Two groups:
 *
 *  crypto-floor  suite 0x0003 (X25519 / ChaCha20-Poly1305 / SHA-256 / Ed25519):
 *                AEAD seal+open at 64 B, 1 KiB, 64 KiB; Ed25519 sign, verify;
 *                X25519 keygen and DH; HKDF extract, expand; HPKE seal, open;
 *                plus the suite 1 rows that differ (AES-128-GCM, its HPKE).
 *  hpke-kem      the HPKE choice made in src/crypto/hpke/hpke.ts, for suites 1
 *                and 3: stock @hpke/core (WebCrypto KEM, KDF, AES-GCM; noble
 *                ChaCha20-Poly1305) vs a libsodium X25519 KEM vs the shipped
 *                node:crypto X25519 KEM (both with this package's synchronous
 *                KDF and AEAD): seal+open round trip, DeriveKeyPair.
 */
import { Aes128Gcm, CipherSuite as StockSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { aead } from '../src/crypto/aead.js'
import { X25519_GROUP, type DhGroup } from '../src/crypto/hpke/dh-groups.js'
import { Hpke } from '../src/crypto/hpke/hpke.js'
import { getCipherSuite, hkdfExpand, hkdfExtract, randomBytes, sodium } from '../src/crypto/index.js'
import { hashKdf } from '../src/crypto/kdf.js'
import { TalosError } from '../src/errors.js'
import { registerSuite, type BenchTask } from './harness.js'

/** X25519 on libsodium (crypto_scalarmult), for the KEM comparison only. */
const SODIUM_X25519: DhGroup<Uint8Array, Uint8Array> = {
  ...X25519_GROUP,
  name: 'X25519 (libsodium)',
  generate: () => {
    const sk = randomBytes(32)
    return { privateKey: sk, publicKey: sodium.crypto_scalarmult_base(sk), handle: sk }
  },
  importPrivate: (sk) => ({ handle: sk.slice(), publicKey: sodium.crypto_scalarmult_base(sk) }),
  importPublic: (pk) => pk.slice(),
  dh: (sk, pk) => {
    try {
      return sodium.crypto_scalarmult(sk, pk) // libsodium rejects an all-zero result
    } catch {
      throw new TalosError('CRYPTO_DH_FAILED', 'X25519 DH failed')
    }
  },
}

registerSuite({
  name: 'crypto-floor',
  title: 'Crypto floor, suite 0x0003 (X25519, ChaCha20-Poly1305, SHA-256, Ed25519)',
  notes:
    'AEAD rows are one seal or one open. X25519 rows: libsodium WASM (the primitive) and node:crypto (what the HPKE KEM uses). ' +
    'HPKE rows are single-shot SealBase/OpenBase of a 32-byte path secret with a 100-byte info, through getCipherSuite(3).',
  tasks: async () => {
    const cs = getCipherSuite(3)
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const aad = randomBytes(32)
    const tasks: BenchTask[] = []
    for (const [label, size] of [
      ['64 B', 64],
      ['1 KiB', 1024],
      ['64 KiB', 65536],
    ] as const) {
      const pt = randomBytes(size)
      const ct = cs.seal(key, nonce, aad, pt)
      tasks.push({ name: `AEAD seal ${label}`, fn: () => cs.seal(key, nonce, aad, pt) })
      tasks.push({ name: `AEAD open ${label}`, fn: () => cs.open(key, nonce, aad, ct) })
    }

    const sig = cs.generateSignatureKeyPair()
    const msg = randomBytes(256)
    const signature = cs.sign(sig.privateKey, msg)
    tasks.push({ name: 'Ed25519 sign (256 B)', fn: () => cs.sign(sig.privateKey, msg) })
    tasks.push({ name: 'Ed25519 verify (256 B)', fn: () => cs.verify(sig.publicKey, msg, signature) })

    const a = sodium.crypto_box_keypair()
    const b = sodium.crypto_box_keypair()
    tasks.push({ name: 'X25519 keygen (libsodium)', fn: () => sodium.crypto_box_keypair() })
    tasks.push({ name: 'X25519 DH (libsodium)', fn: () => sodium.crypto_scalarmult(a.privateKey, b.publicKey) })
    const na = X25519_GROUP.importPrivate(a.privateKey).handle
    const nb = X25519_GROUP.importPublic(b.publicKey)
    tasks.push({ name: 'X25519 keygen (node:crypto)', fn: () => X25519_GROUP.generate() })
    tasks.push({ name: 'X25519 DH (node:crypto)', fn: () => X25519_GROUP.dh(na, nb) })

    const ikm = randomBytes(32)
    const salt = randomBytes(32)
    const prk = hkdfExtract('SHA256', salt, ikm)
    const info = randomBytes(40)
    tasks.push({ name: 'HKDF-SHA256 extract', fn: () => hkdfExtract('SHA256', salt, ikm) })
    tasks.push({ name: 'HKDF-SHA256 expand (32 B)', fn: () => hkdfExpand('SHA256', prk, info, 32) })
    tasks.push({ name: 'ExpandWithLabel (32 B)', fn: () => cs.expandWithLabel(prk, 'key', info, 32) })

    const hk = await cs.generateHpkeKeyPair()
    const hinfo = randomBytes(100)
    const secret = randomBytes(32)
    const sealed = await cs.hpkeSeal(hk.publicKey, hinfo, new Uint8Array(0), secret)
    tasks.push({ name: 'HPKE seal (32 B)', fn: () => cs.hpkeSeal(hk.publicKey, hinfo, new Uint8Array(0), secret) })
    tasks.push({
      name: 'HPKE open (32 B)',
      fn: () => cs.hpkeOpen(hk.privateKey, sealed.kemOutput, hinfo, new Uint8Array(0), sealed.ciphertext),
    })

    // Suite 1 differs from suite 3 only in its AEAD (AES-128-GCM, node:crypto): the rows that change.
    const cs1 = getCipherSuite(1)
    const key1 = randomBytes(16)
    const pt1 = randomBytes(1024)
    const ct1 = cs1.seal(key1, nonce, aad, pt1)
    tasks.push({ name: 'suite 1 AEAD seal 1 KiB (AES-128-GCM)', fn: () => cs1.seal(key1, nonce, aad, pt1) })
    tasks.push({ name: 'suite 1 AEAD open 1 KiB (AES-128-GCM)', fn: () => cs1.open(key1, nonce, aad, ct1) })
    const sealed1 = await cs1.hpkeSeal(hk.publicKey, hinfo, new Uint8Array(0), secret)
    tasks.push({ name: 'suite 1 HPKE seal (32 B)', fn: () => cs1.hpkeSeal(hk.publicKey, hinfo, new Uint8Array(0), secret) })
    tasks.push({
      name: 'suite 1 HPKE open (32 B)',
      fn: () => cs1.hpkeOpen(hk.privateKey, sealed1.kemOutput, hinfo, new Uint8Array(0), sealed1.ciphertext),
    })
    return tasks
  },
})

registerSuite({
  name: 'hpke-kem',
  title: 'HPKE X25519 KEM choice, suites 1 and 3 (stock @hpke/core vs libsodium KEM vs node:crypto KEM)',
  notes:
    'round trip = SealBase then OpenBase of 32 bytes with a 100-byte info. "stock" is @hpke/core with its own ' +
    'DhkemX25519HkdfSha256, HkdfSha256 and Aes128Gcm (WebCrypto) or @hpke/chacha20poly1305, keys imported once. ' +
    '"libsodium KEM" and "node KEM" use this package\'s DHKEM, KDF and AEAD; only the X25519 backend differs. ' +
    'The node KEM is the one shipped.',
  tasks: async () => {
    const tasks: BenchTask[] = []
    const info = randomBytes(100)
    const pt = randomBytes(32)
    const empty = new Uint8Array(0)
    const ikm = randomBytes(32)
    for (const id of [1, 3] as const) {
      const aeadName = id === 1 ? 'AES128GCM' : 'CHACHA20POLY1305'
      const stock = new StockSuite({
        kem: new DhkemX25519HkdfSha256(),
        kdf: new HkdfSha256(),
        aead: id === 1 ? new Aes128Gcm() : new Chacha20Poly1305(),
      })
      const skp = await stock.kem.generateKeyPair()
      tasks.push({
        name: `suite ${id} stock: round trip`,
        fn: async () => {
          const s = await stock.seal({ recipientPublicKey: skp.publicKey, info }, pt, empty)
          await stock.open({ recipientKey: skp.privateKey, enc: s.enc, info }, s.ct, empty)
        },
      })
      tasks.push({ name: `suite ${id} stock: DeriveKeyPair`, fn: () => stock.kem.deriveKeyPair(ikm) })

      for (const [label, group] of [
        ['libsodium KEM', SODIUM_X25519],
        ['node KEM', X25519_GROUP],
      ] as const) {
        const hpke = new Hpke(group as DhGroup, hashKdf('SHA256'), aead(aeadName))
        const kp = await hpke.generateKeyPair()
        tasks.push({
          name: `suite ${id} ${label}: round trip`,
          fn: async () => {
            const s = await hpke.seal(kp.publicKey, info, empty, pt)
            await hpke.open(kp.privateKey, s.kemOutput, info, empty, s.ciphertext)
          },
        })
        tasks.push({ name: `suite ${id} ${label}: DeriveKeyPair`, fn: () => hpke.deriveKeyPair(ikm) })
      }
    }
    return tasks
  },
})
