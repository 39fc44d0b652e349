/**
 * The synchronous single-shot HPKE of src/crypto/hpke/hpke.ts (SealBase,
 * OpenBase, SetupBase + Export without @hpke/core's contexts) against
 * RFC 9180 Appendix A (base mode) and against @hpke/core driving the same
 * KEM/KDF/AEAD adapters, both ways, on random inputs for every MLS suite.
 */
import { CipherSuite } from '@hpke/core'
import { describe, expect, it } from 'vitest'
import { TalosError } from '../../../src/errors.js'
import { aead } from '../../../src/crypto/aead.js'
import { HpkeAead } from '../../../src/crypto/hpke/aead.js'
import { HpkeKey } from '../../../src/crypto/hpke/dhkem.js'
import { P256_GROUP, X25519_GROUP } from '../../../src/crypto/hpke/dh-groups.js'
import { Hpke } from '../../../src/crypto/hpke/hpke.js'
import { HpkeKdf } from '../../../src/crypto/hpke/kdf.js'
import { hashKdf } from '../../../src/crypto/kdf.js'
import { SUITE_SPECS } from '../../../src/crypto/suites.js'
import { randomBytes } from '../../../src/crypto/sodium.js'
import { CIPHER_SUITE_IDS } from '../../../src/crypto/suite.js'
import { hex, toHex } from '../../helpers/vectors.js'

const INFO = '4f6465206f6e2061204772656369616e2055726e'
const PT = '4265617574792069732074727574682c20747275746820626561757479'
const AAD0 = '436f756e742d30'

describe('direct HPKE, RFC 9180 Appendix A', () => {
  it('A.1.1 DHKEM(X25519), HKDF-SHA256, AES-128-GCM: enc, first ciphertext, open', () => {
    const h = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('AES128GCM'))
    const r = h.sealSync(
      hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
      hex(INFO),
      hex(AAD0),
      hex(PT),
      hex('7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234'),
    )
    expect(toHex(r.kemOutput)).toBe('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431')
    expect(toHex(r.ciphertext)).toBe('f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a')
    const sk = hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8')
    expect(toHex(h.openSync(sk, r.kemOutput, hex(INFO), hex(AAD0), r.ciphertext))).toBe(PT)
  })

  it('A.3.1 DHKEM(P-256), HKDF-SHA256, AES-128-GCM: first ciphertext and exports, both sides', () => {
    const h = new Hpke(P256_GROUP, hashKdf('SHA256'), aead('AES128GCM'))
    const pkR = hex(
      '04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0',
    )
    const skR = hex('f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2')
    const ikmE = hex('4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e')
    const r = h.sealSync(pkR, hex(INFO), hex(AAD0), hex(PT), ikmE)
    expect(toHex(r.ciphertext)).toBe('5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434')
    const exports = [
      { context: '', L: 32, value: '5e9bc3d236e1911d95e65b576a8a86d478fb827e8bdfe77b741b289890490d4d' },
      { context: '00', L: 32, value: '6cff87658931bda83dc857e6353efe4987a201b849658d9b047aab4cf216e796' },
      { context: '54657374436f6e74657874', L: 32, value: 'd8f1ea7942adbba7412c6d431c62d01371ea476b823eb697e1f6e6cae1dab85a' },
    ]
    for (const x of exports) {
      const s = h.exportSenderSync(pkR, hex(INFO), hex(x.context), x.L, ikmE)
      expect(toHex(s.kemOutput)).toBe(toHex(r.kemOutput))
      expect(toHex(s.secret)).toBe(x.value)
      expect(toHex(h.exportReceiverSync(skR, s.kemOutput, hex(INFO), hex(x.context), x.L))).toBe(x.value)
    }
  })
})

describe('direct HPKE against @hpke/core over the same adapters', () => {
  for (const id of CIPHER_SUITE_IDS) {
    const spec = SUITE_SPECS[id]
    it(`suite ${id}: seal/open and export agree both ways`, async () => {
      const kdf = hashKdf(spec.hash)
      const h = new Hpke(spec.group, kdf, aead(spec.aead))
      const core = new CipherSuite({ kem: h.kem, kdf: new HpkeKdf(kdf), aead: new HpkeAead(aead(spec.aead)) })
      const name = spec.group.name
      for (let i = 0; i < 4; i++) {
        const kp = h.kem.generateKeyPairSync()
        // i = 3: an info our side hashes streamed (labeledExtractPublicSync), @hpke/core's through the copy.
        const info = randomBytes(i === 3 ? 5000 : i * 40)
        const aad = randomBytes(i * 7)
        const pt = randomBytes(1 + i * 100)
        // ours -> @hpke/core
        const ours = h.sealSync(kp.publicKey, info, aad, pt)
        const opened = await core.open({ recipientKey: new HpkeKey('private', kp.privateKey, name), enc: ours.kemOutput, info }, ours.ciphertext, aad)
        expect(toHex(new Uint8Array(opened))).toBe(toHex(pt))
        // @hpke/core -> ours
        const theirs = await core.seal({ recipientPublicKey: new HpkeKey('public', kp.publicKey, name), info }, pt, aad)
        expect(toHex(h.openSync(kp.privateKey, new Uint8Array(theirs.enc), info, aad, new Uint8Array(theirs.ct)))).toBe(toHex(pt))
        // export: ours as sender, @hpke/core as receiver, and the reverse
        const ctx = randomBytes(i * 5)
        const exp = h.exportSenderSync(kp.publicKey, info, ctx, 32)
        const rc = await core.createRecipientContext({ recipientKey: new HpkeKey('private', kp.privateKey, name), enc: exp.kemOutput, info })
        expect(toHex(new Uint8Array(await rc.export(ctx, 32)))).toBe(toHex(exp.secret))
        const sc = await core.createSenderContext({ recipientPublicKey: new HpkeKey('public', kp.publicKey, name), info })
        expect(toHex(h.exportReceiverSync(kp.privateKey, new Uint8Array(sc.enc), info, ctx, 48))).toBe(toHex(new Uint8Array(await sc.export(ctx, 48))))
      }
    })
  }

  it('typed errors: bad public key, tampered ciphertext, wrong key, bad export length', () => {
    const h = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('CHACHA20POLY1305'))
    const kp = h.kem.generateKeyPairSync()
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return e instanceof TalosError ? e.code : 'other'
      }
      return 'none'
    }
    expect(code(() => h.sealSync(new Uint8Array(31), new Uint8Array(0), new Uint8Array(0), new Uint8Array(1)))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    const ct = h.sealSync(kp.publicKey, new Uint8Array(0), new Uint8Array(0), randomBytes(20))
    const bad = ct.ciphertext.slice()
    bad[0]! ^= 1
    expect(code(() => h.openSync(kp.privateKey, ct.kemOutput, new Uint8Array(0), new Uint8Array(0), bad))).toBe('CRYPTO_HPKE_DECRYPT')
    expect(code(() => h.openSync(h.kem.generateKeyPairSync().privateKey, ct.kemOutput, new Uint8Array(0), new Uint8Array(0), ct.ciphertext))).toBe(
      'CRYPTO_HPKE_DECRYPT',
    )
    expect(code(() => h.openSync(kp.privateKey, new Uint8Array(5), new Uint8Array(0), new Uint8Array(0), ct.ciphertext))).toBe('CRYPTO_HPKE_DECRYPT')
    expect(code(() => h.openSync(kp.privateKey, ct.kemOutput, new Uint8Array(1), new Uint8Array(0), ct.ciphertext))).toBe('CRYPTO_HPKE_DECRYPT')
    expect(code(() => h.exportSenderSync(kp.publicKey, new Uint8Array(0), new Uint8Array(0), 255 * 32 + 1))).toBe('CRYPTO_INVALID_LENGTH')
  })
})

describe('HpkeKdf.labeledExtractPublicSync', () => {
  it('equals labeledExtractSync for every hash, salt and input size', () => {
    for (const name of ['SHA256', 'SHA384', 'SHA512'] as const) {
      const kdf = new HpkeKdf(hashKdf(name))
      kdf.init(new Uint8Array([0x48, 0x50, 0x4b, 0x45, 0, 0x20, 0, 1, 0, 3]))
      for (const salt of [new Uint8Array(0), randomBytes(kdf.hashSize), randomBytes(5)]) {
        for (const size of [0, 1, 4095, 4096, 100_000]) {
          const ikm = randomBytes(size)
          const label = randomBytes(9)
          expect(toHex(kdf.labeledExtractPublicSync(salt, label, ikm)), `${name} salt ${salt.length} size ${size}`).toBe(
            toHex(kdf.labeledExtractSync(salt, label, ikm)),
          )
        }
      }
    }
  })
})

describe('direct HPKE, large info (a Welcome of a 10,000-member group)', () => {
  it('a 2 MB info seals and opens; the bound is enforced above it', () => {
    const h = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('CHACHA20POLY1305'))
    const kp = h.kem.generateKeyPairSync()
    const info = randomBytes(2_000_000)
    const pt = randomBytes(100)
    const ct = h.sealSync(kp.publicKey, info, new Uint8Array(0), pt)
    expect(toHex(h.openSync(kp.privateKey, ct.kemOutput, info, new Uint8Array(0), ct.ciphertext))).toBe(toHex(pt))
    const other = info.slice()
    other[1_999_999]! ^= 1
    expect(() => h.openSync(kp.privateKey, ct.kemOutput, other, new Uint8Array(0), ct.ciphertext)).toThrow(TalosError)
  })
})

describe('direct HPKE, the kept key_schedule_context of the last info', () => {
  it('one info sealed to many, infos alternating, an info rewritten in place: each opens only with its own info', () => {
    const h = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('CHACHA20POLY1305'))
    const ref = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('CHACHA20POLY1305'))
    const kps = [0, 1, 2].map(() => h.kem.generateKeyPairSync())
    const infos = [randomBytes(40), randomBytes(40), randomBytes(300), new Uint8Array(0), randomBytes(2_000_000)]
    const mutable = randomBytes(40)
    const seq = [0, 0, 0, 1, 0, 2, 2, 3, 0, 4, 4, 1, -1, -1, 1]
    for (const [i, which] of seq.entries()) {
      const info = which < 0 ? mutable : infos[which]!
      if (which < 0 && i % 2 === 0) mutable[7]! ^= 0x55 // same array, new contents
      const kp = kps[i % kps.length]!
      const pt = randomBytes(32)
      const ct = h.sealSync(kp.publicKey, info, new Uint8Array(0), pt)
      // A fresh instance (no kept context) opens it with the same info, and only with it.
      expect(toHex(ref.openSync(kp.privateKey, ct.kemOutput, info.slice(), new Uint8Array(0), ct.ciphertext))).toBe(toHex(pt))
      expect(toHex(h.openSync(kp.privateKey, ct.kemOutput, info, new Uint8Array(0), ct.ciphertext))).toBe(toHex(pt))
      const other = info.length === 0 ? new Uint8Array(1) : info.slice()
      if (other.length > 0 && info.length > 0) other[other.length - 1]! ^= 1
      expect(() => h.openSync(kp.privateKey, ct.kemOutput, other, new Uint8Array(0), ct.ciphertext)).toThrow(TalosError)
    }
  })
})

describe('direct HPKE, caller-owned bytes', () => {
  it('a Node Buffer info rewritten in place between calls is not mistaken for the cached one (Buffer#slice is a view)', async () => {
    const h = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('AES128GCM'))
    const kp = await h.generateKeyPair()
    const info = Buffer.from('info-one')
    h.sealSync(kp.publicKey, info, new Uint8Array(0), new Uint8Array([1]))
    info.write('info-two')
    const r = h.sealSync(kp.publicKey, info, new Uint8Array(0), new Uint8Array([2]))
    const fresh = new Hpke(X25519_GROUP, hashKdf('SHA256'), aead('AES128GCM'))
    expect([...fresh.openSync(kp.privateKey, r.kemOutput, new TextEncoder().encode('info-two'), new Uint8Array(0), r.ciphertext)]).toEqual([2])
  })
})
