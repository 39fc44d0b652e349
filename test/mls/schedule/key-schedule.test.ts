/**
 * RFC 9420 §8 key schedule against the official key-schedule.json vectors
 * (every case, every epoch, every field of FORMAT.md "Key Schedule"), plus
 * the joiner path, external init and the input-ownership rules.
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { groupContextCodec } from '../../../src/mls/wire/group-context.js'
import {
  deriveWelcomeSecret,
  runJoinerKeySchedule,
  runKeySchedule,
  zeroEpochSecrets,
  type EpochSecrets,
} from '../../../src/mls/schedule/key-schedule.js'
import { mlsExporter } from '../../../src/mls/schedule/exporter.js'
import { deriveExternalPub, deriveExternalKeyPair, externalInitReceiver, externalInitSender } from '../../../src/mls/schedule/external.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { countingSuite, suiteFor } from './suites.js'

interface Epoch {
  group_context: string
  tree_hash: string
  confirmed_transcript_hash: string
  commit_secret: string
  psk_secret: string
  joiner_secret: string
  welcome_secret: string
  init_secret: string
  sender_data_secret: string
  encryption_secret: string
  exporter_secret: string
  epoch_authenticator: string
  external_secret: string
  confirmation_key: string
  membership_key: string
  resumption_psk: string
  external_pub: string
  exporter: { label: string; context: string; length: number; secret: string }
}
interface Case {
  cipher_suite: number
  group_id: string
  initial_init_secret: string
  epochs: Epoch[]
}

const FILE = 'key-schedule.json'
const cases = loadVectors<Case>(FILE)

function expectEpochSecrets(got: EpochSecrets, e: Epoch): void {
  expect(toHex(got.senderDataSecret)).toBe(e.sender_data_secret)
  expect(toHex(got.encryptionSecret)).toBe(e.encryption_secret)
  expect(toHex(got.exporterSecret)).toBe(e.exporter_secret)
  expect(toHex(got.epochAuthenticator)).toBe(e.epoch_authenticator)
  expect(toHex(got.externalSecret)).toBe(e.external_secret)
  expect(toHex(got.confirmationKey)).toBe(e.confirmation_key)
  expect(toHex(got.membershipKey)).toBe(e.membership_key)
  expect(toHex(got.resumptionPsk)).toBe(e.resumption_psk)
  expect(toHex(got.initSecret)).toBe(e.init_secret)
}

describe(FILE, () => {
  it('holds one case per cipher suite 1..7', () => {
    expect(cases.map((c) => c.cipher_suite).sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  cases.forEach((c, i) => {
    it(`${FILE} case ${i} (suite ${c.cipher_suite}): ${c.epochs.length} epochs, every field`, async () => {
      const suite = await suiteFor(c.cipher_suite)
      expect(c.epochs.length).toBeGreaterThan(0)
      let initSecret = hex(c.initial_init_secret)
      for (const [n, e] of c.epochs.entries()) {
        const groupContext = encode(groupContextCodec, {
          version: 1,
          cipherSuite: c.cipher_suite,
          groupId: hex(c.group_id),
          epoch: BigInt(n),
          treeHash: hex(e.tree_hash),
          confirmedTranscriptHash: hex(e.confirmed_transcript_hash),
          extensions: [],
        })
        expect(toHex(groupContext), `epoch ${n} group_context`).toBe(e.group_context)

        const prevInit = initSecret.slice()
        const commitSecret = hex(e.commit_secret)
        const pskSecret = hex(e.psk_secret)
        const ks = runKeySchedule(suite, { initSecret, commitSecret, pskSecret, groupContext })
        expect(toHex(ks.joinerSecret), `epoch ${n} joiner_secret`).toBe(e.joiner_secret)
        expect(toHex(ks.welcomeSecret), `epoch ${n} welcome_secret`).toBe(e.welcome_secret)
        expectEpochSecrets(ks, e)
        // Inputs are borrowed: a rejected commit must leave the live init_secret intact.
        expect(initSecret).toEqual(prevInit)
        expect(toHex(commitSecret)).toBe(e.commit_secret)
        expect(toHex(pskSecret)).toBe(e.psk_secret)

        // The joiner path reaches the same epoch from joiner_secret + psk_secret.
        const joined = runJoinerKeySchedule(suite, { joinerSecret: ks.joinerSecret, pskSecret, groupContext })
        expect(toHex(joined.welcomeSecret)).toBe(e.welcome_secret)
        expectEpochSecrets(joined, e)
        expect(toHex(deriveWelcomeSecret(suite, hex(e.joiner_secret), pskSecret))).toBe(e.welcome_secret)

        expect(toHex(await deriveExternalPub(suite, ks.externalSecret)), `epoch ${n} external_pub`).toBe(e.external_pub)

        // The vectors' exporter label is the hex text itself, used as the label string.
        const exported = mlsExporter(suite, ks.exporterSecret, e.exporter.label, hex(e.exporter.context), e.exporter.length)
        expect(toHex(exported), `epoch ${n} exporter`).toBe(e.exporter.secret)

        initSecret = ks.initSecret
      }
    })
  })
})

describe('key schedule properties', () => {
  it('with no PSK, psk_secret defaults to the all-zero vector', async () => {
    const suite = await suiteFor(1)
    const args = { initSecret: new Uint8Array(32).fill(1), commitSecret: new Uint8Array(32).fill(2), groupContext: new Uint8Array([1, 2, 3]) }
    const a = runKeySchedule(suite, args)
    const b = runKeySchedule(suite, { ...args, pskSecret: new Uint8Array(32) })
    expect(toHex(a.epochAuthenticator)).toBe(toHex(b.epochAuthenticator))
    expect(toHex(a.applicationExportSecret)).toBe(toHex(b.applicationExportSecret))
    // application_export is DeriveSecret(epoch_secret, "application_export"): distinct from every other secret.
    const others = [a.senderDataSecret, a.encryptionSecret, a.exporterSecret, a.externalSecret, a.initSecret].map(toHex)
    expect(others).not.toContain(toHex(a.applicationExportSecret))
  })

  it('zeroes every intermediate it creates (Extract outputs, epoch_secret); returns the rest', async () => {
    const { suite, outputs, reset } = countingSuite(await suiteFor(3))
    reset()
    const ks = runKeySchedule(suite, { initSecret: new Uint8Array(32).fill(1), commitSecret: new Uint8Array(32).fill(2), groupContext: new Uint8Array(8) })
    const returned = new Set<Uint8Array>(Object.values(ks))
    const internal = outputs.filter((o) => !returned.has(o))
    expect(internal.length).toBe(3) // Extract(init, commit), Extract(joiner, psk), epoch_secret
    for (const o of internal) expect(o.every((b) => b === 0)).toBe(true)
    expect(outputs.filter((o) => returned.has(o)).length).toBe(12)
  })

  it('rejects secrets of the wrong length with a typed error', async () => {
    const suite = await suiteFor(1)
    expect(() =>
      runKeySchedule(suite, { initSecret: new Uint8Array(31), commitSecret: new Uint8Array(32), groupContext: new Uint8Array(0) }),
    ).toThrow(expect.objectContaining({ code: 'MLS_INVALID_SECRET_LENGTH' }))
    expect(() => runJoinerKeySchedule(suite, { joinerSecret: new Uint8Array(32), pskSecret: new Uint8Array(64), groupContext: new Uint8Array(0) })).toThrow(
      expect.objectContaining({ code: 'MLS_INVALID_SECRET_LENGTH' }),
    )
  })

  it('zeroEpochSecrets wipes every retained secret', async () => {
    const suite = await suiteFor(1)
    const ks = runKeySchedule(suite, { initSecret: new Uint8Array(32).fill(7), commitSecret: new Uint8Array(32), groupContext: new Uint8Array(4) })
    zeroEpochSecrets(ks)
    for (const v of Object.values(ks)) if (v !== ks.joinerSecret && v !== ks.welcomeSecret) expect(v.every((b: number) => b === 0)).toBe(true)
  })

  it('external init: joiner and members agree on the init_secret (suite 1)', async () => {
    const suite = await suiteFor(1)
    const externalSecret = new Uint8Array(32).fill(9)
    const { publicKey } = await deriveExternalKeyPair(suite, externalSecret)
    const { kemOutput, initSecret } = await externalInitSender(suite, publicKey)
    expect(initSecret.length).toBe(32)
    const received = await externalInitReceiver(suite, externalSecret, kemOutput)
    expect(toHex(received)).toBe(toHex(initSecret))
    await expect(externalInitReceiver(suite, new Uint8Array(32).fill(8), kemOutput)).resolves.not.toEqual(initSecret)
  })

  it('MLS-Exporter rejects lengths that do not fit uint16 / HKDF', async () => {
    const suite = await suiteFor(1)
    expect(() => mlsExporter(suite, new Uint8Array(32), 'x', new Uint8Array(0), 255 * 32 + 1)).toThrow(
      expect.objectContaining({ code: 'MLS_INVALID_EXPORT_LENGTH' }),
    )
    expect(() => mlsExporter(suite, new Uint8Array(32), 'x'.repeat(1025), new Uint8Array(0), 16)).toThrow(
      expect.objectContaining({ code: 'MLS_INVALID_EXPORT_LABEL' }),
    )
    expect(mlsExporter(suite, new Uint8Array(32), 'label', new Uint8Array(0), 16).length).toBe(16)
  })
})
