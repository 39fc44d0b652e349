/**
 * Known answers from RFC 9180 Appendix A (base mode) for this package's
 * DHKEM, HPKE KDF and AEAD adapters plugged into @hpke/core: DeriveKeyPair
 * (§7.1.3, including the NIST rejection-sampling path with the P-521 bitmask),
 * Encap/Decap shared secrets, the key schedule (through the first ciphertext
 * and, where the RFC lists them, exported values).
 */
import { CipherSuite } from '@hpke/core'
import { describe, expect, it } from 'vitest'
import { aead, type AeadName } from '../../../src/crypto/aead.js'
import { HpkeAead } from '../../../src/crypto/hpke/aead.js'
import { P256_GROUP, P521_GROUP, X25519_GROUP, type DhGroup } from '../../../src/crypto/hpke/dh-groups.js'
import { Dhkem, HpkeKey } from '../../../src/crypto/hpke/dhkem.js'
import { HpkeKdf } from '../../../src/crypto/hpke/kdf.js'
import { hashKdf } from '../../../src/crypto/kdf.js'
import type { HashName } from '../../../src/crypto/sodium.js'
import { hex, toHex } from '../../helpers/vectors.js'

interface BaseVector {
  section: string
  group: DhGroup
  kdf: HashName
  aead: AeadName
  ikmE: string
  skEm: string
  pkEm: string
  ikmR: string
  skRm: string
  pkRm: string
  sharedSecret: string
  key: string
  baseNonce: string
  /** seq 0 ciphertext, when transcribed; otherwise checked against AEAD(key, base_nonce). */
  ct0?: string
  exports?: { context: string; L: number; value: string }[]
}

const INFO = '4f6465206f6e2061204772656369616e2055726e' // "Ode on a Grecian Urn"
const PT = '4265617574792069732074727574682c20747275746820626561757479' // "Beauty is truth, truth beauty"
const AAD0 = '436f756e742d30' // "Count-0"

const VECTORS: BaseVector[] = [
  {
    section: 'A.1.1 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM',
    group: X25519_GROUP,
    kdf: 'SHA256',
    aead: 'AES128GCM',
    ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
    skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
    pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
    ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
    skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
    pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
    sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
    key: '4531685d41d65f03dc48f6b8302c05b0',
    baseNonce: '56d890e5accaaf011cff4b7d',
    ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
  },
  {
    section: 'A.3.1 DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM',
    group: P256_GROUP,
    kdf: 'SHA256',
    aead: 'AES128GCM',
    ikmE: '4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e',
    skEm: '4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb',
    pkEm:
      '04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4',
    ikmR: '668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550',
    skRm: 'f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2',
    pkRm:
      '04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0',
    sharedSecret: 'c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8',
    key: '868c066ef58aae6dc589b6cfdd18f97e',
    baseNonce: '4e0bc5018beba4bf004cca59',
    ct0: '5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434',
    exports: [
      { context: '', L: 32, value: '5e9bc3d236e1911d95e65b576a8a86d478fb827e8bdfe77b741b289890490d4d' },
      { context: '00', L: 32, value: '6cff87658931bda83dc857e6353efe4987a201b849658d9b047aab4cf216e796' },
      { context: '54657374436f6e74657874', L: 32, value: 'd8f1ea7942adbba7412c6d431c62d01371ea476b823eb697e1f6e6cae1dab85a' },
    ],
  },
  {
    section: 'A.6.1 DHKEM(P-521, HKDF-SHA512), HKDF-SHA512, AES-256-GCM',
    group: P521_GROUP,
    kdf: 'SHA512',
    aead: 'AES256GCM',
    ikmE:
      '7f06ab8215105fc46aceeb2e3dc5028b44364f960426eb0d8e4026c2f8b5d7e7a986688f1591abf5ab753c357a5d6f0440414b4ed4ede71317772ac98d9239f70904',
    skEm:
      '014784c692da35df6ecde98ee43ac425dbdd0969c0c72b42f2e708ab9d535415a8569bdacfcc0a114c85b8e3f26acf4d68115f8c91a66178cdbd03b7bcc5291e374b',
    pkEm:
      '040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab8900aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1ed0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f29b0',
    ikmR:
      '2ad954bbe39b7122529f7dde780bff626cd97f850d0784a432784e69d86eccaade43b6c10a8ffdb94bf943c6da479db137914ec835a7e715e36e45e29b587bab3bf1',
    skRm:
      '01462680369ae375e4b3791070a7458ed527842f6a98a79ff5e0d4cbde83c27196a3916956655523a6a2556a7af62c5cadabe2ef9da3760bb21e005202f7b2462847',
    pkRm:
      '0401b45498c1714e2dce167d3caf162e45e0642afc7ed435df7902ccae0e84ba0f7d373f646b7738bbbdca11ed91bdeae3cdcba3301f2457be452f271fa6837580e661012af49583a62e48d44bed350c7118c0d8dc861c238c72a2bda17f64704f464b57338e7f40b60959480c0e58e6559b190d81663ed816e523b6b6a418f66d2451ec64',
    sharedSecret:
      '776ab421302f6eff7d7cb5cb1adaea0cd50872c71c2d63c30c4f1d5e43653336fef33b103c67e7a98add2d3b66e2fda95b5b2a667aa9dac7e59cc1d46d30e818',
    key: '751e346ce8f0ddb2305c8a2a85c70d5cf559c53093656be636b9406d4d7d1b70',
    baseNonce: '55ff7a7d739c69f44b25447b',
  },
]

describe('RFC 9180 Appendix A, base mode', () => {
  for (const v of VECTORS) {
    describe(v.section, () => {
      const kem = new Dhkem(v.group)

      it('DeriveKeyPair(ikmE) and DeriveKeyPair(ikmR)', () => {
        const e = kem.deriveKeyPairSync(hex(v.ikmE))
        expect(toHex(e.privateKey)).toBe(v.skEm)
        expect(toHex(e.publicKey)).toBe(v.pkEm)
        const r = kem.deriveKeyPairSync(hex(v.ikmR))
        expect(toHex(r.privateKey)).toBe(v.skRm)
        expect(toHex(r.publicKey)).toBe(v.pkRm)
      })

      it('Encap (with ikmE) and Decap agree on shared_secret', () => {
        const { sharedSecret, enc } = kem.encapSync(hex(v.pkRm), hex(v.ikmE))
        expect(toHex(enc)).toBe(v.pkEm)
        expect(toHex(sharedSecret)).toBe(v.sharedSecret)
        expect(toHex(kem.decapSync(enc, hex(v.skRm)))).toBe(v.sharedSecret)
      })

      it('key schedule through @hpke/core: first ciphertext, open, exports', async () => {
        const suite = new CipherSuite({ kem, kdf: new HpkeKdf(hashKdf(v.kdf)), aead: new HpkeAead(aead(v.aead)) })
        const sender = await suite.createSenderContext({
          recipientPublicKey: new HpkeKey('public', hex(v.pkRm), v.group.name),
          info: hex(INFO),
          ekm: hex(v.ikmE),
        })
        expect(toHex(new Uint8Array(sender.enc))).toBe(v.pkEm)
        const ct0 = new Uint8Array(await sender.seal(hex(PT), hex(AAD0)))
        const expected = v.ct0 ?? toHex(aead(v.aead).seal(hex(v.key), hex(v.baseNonce), hex(AAD0), hex(PT)))
        expect(toHex(ct0)).toBe(expected)

        const recipient = await suite.createRecipientContext({
          recipientKey: new HpkeKey('private', hex(v.skRm), v.group.name),
          enc: hex(v.pkEm),
          info: hex(INFO),
        })
        expect(toHex(new Uint8Array(await recipient.open(ct0, hex(AAD0))))).toBe(PT)
        for (const x of v.exports ?? []) {
          expect(toHex(new Uint8Array(await sender.export(hex(x.context), x.L)))).toBe(x.value)
          expect(toHex(new Uint8Array(await recipient.export(hex(x.context), x.L)))).toBe(x.value)
        }
      })
    })
  }
})
