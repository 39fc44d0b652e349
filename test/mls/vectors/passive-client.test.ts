/**
 * Passive-client scenarios (FORMAT.md "Passive Client Scenarios"), every
 * passive-client-*.json file of the vector folder, every case, all suites:
 * the private keys match the KeyPackage; join from the Welcome (tree in the
 * Welcome or out of band, external PSKs); the epoch authenticator matches;
 * then per epoch the proposals are cached, the Commit is processed, and the
 * epoch authenticator matches again.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { MlsGroup } from '../../../src/mls/group/index.js'
import { MemoryPskStore } from '../../../src/mls/group/psk.js'
import { decodeMLSMessage, decodeMLSMessageKeyPackage, WireFormat } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex, vectorFiles } from '../../helpers/vectors.js'

interface PassiveCase {
  cipher_suite: number
  external_psks: { psk_id: string; psk: string }[]
  key_package: string
  signature_priv: string
  encryption_priv: string
  init_priv: string
  welcome: string
  ratchet_tree: string | null
  initial_epoch_authenticator: string
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[]
}

/**
 * Fixed-width private key encodings: some generators strip leading zero
 * octets of P-521 scalars (66 bytes), which is the same key; restore the
 * RFC 9180 SerializePrivateKey width before use.
 */
function privateKey(suite: number, h: string, kind: 'hpke' | 'sig'): Uint8Array {
  const b = hex(h)
  const width = suite === 5 ? 66 : b.length
  if (b.length >= width) return b
  const out = new Uint8Array(width)
  out.set(b, width - b.length)
  return out
}

const files = vectorFiles(/^passive-client-.*\.json$/)

describe('passive-client vectors', () => {
  it('finds the passive-client files', () => {
    expect(files.length).toBeGreaterThanOrEqual(2)
  })
  for (const file of files) {
    const cases = loadVectors<PassiveCase>(file)
    describe(file, () => {
      it('covers all seven suites', () => {
        expect(new Set(cases.map((c) => c.cipher_suite))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]))
      })
      cases.forEach((c, i) => {
        it(`${file} #${i} (suite ${c.cipher_suite}, ${c.epochs.length} epochs)`, async () => {
          const suite = getCipherSuite(c.cipher_suite)
          const kp = decodeMLSMessageKeyPackage(hex(c.key_package))
          expect(suite.signaturePublicKey(privateKey(c.cipher_suite, c.signature_priv, 'sig'))).toEqual(kp.value.leafNode.signatureKey)
          expect(await suite.hpkePublicKey(privateKey(c.cipher_suite, c.encryption_priv, 'hpke'))).toEqual(kp.value.leafNode.encryptionKey)
          expect(await suite.hpkePublicKey(privateKey(c.cipher_suite, c.init_priv, 'hpke'))).toEqual(kp.value.initKey)
          const psks = new MemoryPskStore()
          for (const p of c.external_psks) psks.set(hex(p.psk_id), hex(p.psk))
          const m = decodeMLSMessage(hex(c.welcome))
          if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('welcome field is not a Welcome')
          let group = await MlsGroup.join({
            welcome: m.welcome,
            keyPackage: kp,
            secrets: { initPriv: privateKey(c.cipher_suite, c.init_priv, 'hpke'), encryptionPriv: privateKey(c.cipher_suite, c.encryption_priv, 'hpke'), signaturePriv: privateKey(c.cipher_suite, c.signature_priv, 'sig') },
            ratchetTree: c.ratchet_tree === null ? undefined : hex(c.ratchet_tree),
            externalPsks: psks,
            // The vectors' KeyPackage lifetimes are fixed dates, long past: lifetimes are not what they test.
            config: { checkReceivedLifetimes: false },
          })
          expect(toHex(group.epochAuthenticator())).toBe(c.initial_epoch_authenticator)
          for (const [e, epoch] of c.epochs.entries()) {
            for (const p of epoch.proposals) await group.processMessage(hex(p))
            const r = await group.processMessage(hex(epoch.commit))
            expect(r.content.kind, `epoch ${e}`).toBe('commit')
            expect(toHex(group.epochAuthenticator()), `epoch ${e} authenticator`).toBe(epoch.epoch_authenticator)
          }
        })
      })
    })
  }
})
