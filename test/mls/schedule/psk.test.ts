/**
 * psk_secret (RFC 9420 §8.4) against all 77 cases of psk_secret.json, plus
 * the PreSharedKeyID builders and the resolver's error paths.
 */
import { describe, expect, it } from 'vitest'
import {
  checkPskNonce,
  computePskSecret,
  externalPskId,
  resolvePskSecret,
  resumptionPskId,
} from '../../../src/mls/schedule/psk.js'
import { PSKType, ResumptionPSKUsage, type PreSharedKeyID } from '../../../src/mls/wire/psk.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { countingSuite, suiteFor } from './suites.js'

interface Case {
  cipher_suite: number
  psks: { psk_id: string; psk: string; psk_nonce: string }[]
  psk_secret: string
}

const FILE = 'psk_secret.json'
const cases = loadVectors<Case>(FILE)

describe(FILE, () => {
  it('holds 77 cases', () => expect(cases.length).toBe(77))

  cases.forEach((c, i) => {
    it(`${FILE} case ${i} (suite ${c.cipher_suite}, ${c.psks.length} PSKs)`, async () => {
      const suite = await suiteFor(c.cipher_suite)
      const inputs = c.psks.map((p) => ({ id: externalPskId(suite, hex(p.psk_id), hex(p.psk_nonce)), psk: hex(p.psk) }))
      const before = inputs.map((p) => toHex(p.psk))
      expect(toHex(computePskSecret(suite, inputs))).toBe(c.psk_secret)
      // The PSK values are borrowed, never zeroed.
      expect(inputs.map((p) => toHex(p.psk))).toEqual(before)
      // Same result through the resolver.
      const byId = new Map(c.psks.map((p) => [p.psk_id, hex(p.psk)]))
      const resolved = resolvePskSecret(
        suite,
        inputs.map((p) => p.id),
        (id) => (id.psktype === PSKType.external ? byId.get(toHex(id.pskId)) : undefined),
      )
      expect(toHex(resolved)).toBe(c.psk_secret)
    })
  })
})

describe('PSK helpers', () => {
  it('no PSKs gives the all-zero Nh vector', async () => {
    const suite = await suiteFor(1)
    expect(toHex(computePskSecret(suite, []))).toBe('00'.repeat(32))
  })

  it('zeroes every intermediate of the chain, returning only psk_secret', async () => {
    const { suite, outputs, reset } = countingSuite(await suiteFor(1))
    const psks = [1, 2, 3].map((i) => ({ id: externalPskId(suite, new Uint8Array([i])), psk: new Uint8Array(32).fill(i) }))
    reset()
    const secret = computePskSecret(suite, psks)
    expect(outputs.length).toBe(9) // per PSK: Extract, ExpandWithLabel, Extract
    for (const o of outputs) if (o !== secret) expect(o.every((b) => b === 0)).toBe(true)
    expect(outputs).toContain(secret)
    expect(secret.some((b) => b !== 0)).toBe(true)
  })

  it('order matters: the chain binds index and count', async () => {
    const suite = await suiteFor(1)
    const a = { id: externalPskId(suite, hex('01')), psk: new Uint8Array(32).fill(1) }
    const b = { id: externalPskId(suite, hex('02')), psk: new Uint8Array(32).fill(2) }
    expect(toHex(computePskSecret(suite, [a, b]))).not.toBe(toHex(computePskSecret(suite, [b, a])))
  })

  it('builds IDs with fresh Nh-byte nonces', async () => {
    const suite = await suiteFor(1)
    const x = externalPskId(suite, hex('aa'))
    const y = externalPskId(suite, hex('aa'))
    expect(x.pskNonce.length).toBe(32)
    expect(toHex(x.pskNonce)).not.toBe(toHex(y.pskNonce))
    const r = resumptionPskId(suite, ResumptionPSKUsage.application, hex('beef'), 7n)
    expect(r).toMatchObject({ psktype: PSKType.resumption, usage: 1, pskEpoch: 7n })
    expect(r.pskNonce.length).toBe(32)
  })

  it('resumption PSKs resolve through the resolver (e.g. a past epoch\'s resumption_psk)', async () => {
    const suite = await suiteFor(1)
    const resumption = new Uint8Array(32).fill(5)
    const id = resumptionPskId(suite, ResumptionPSKUsage.reinit, hex('01'), 3n, new Uint8Array(32))
    const viaResolver = resolvePskSecret(suite, [id], (x) => (x.psktype === PSKType.resumption && x.pskEpoch === 3n ? resumption : undefined))
    expect(toHex(viaResolver)).toBe(toHex(computePskSecret(suite, [{ id, psk: resumption }])))
  })

  it('unknown PSK, bad nonce length: typed errors', async () => {
    const suite = await suiteFor(1)
    const id: PreSharedKeyID = externalPskId(suite, hex('01'))
    expect(() => resolvePskSecret(suite, [id], () => undefined)).toThrow(expect.objectContaining({ code: 'MLS_PSK_NOT_FOUND' }))
    const short: PreSharedKeyID = { ...id, pskNonce: new Uint8Array(16) }
    expect(() => checkPskNonce(suite, short)).toThrow(expect.objectContaining({ code: 'MLS_INVALID_PSK_NONCE' }))
    expect(() => resolvePskSecret(suite, [short], () => new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'MLS_INVALID_PSK_NONCE' }))
  })
})
