/**
 * The crypto floor, measured in the same run as the protocols: what a
 * message cannot cost less than with suite 0x0003's primitives.
 *   send    Ed25519 sign over a message of the plaintext's size + AEAD seal
 *           of the plaintext + 3 HKDF-Expand (key, nonce, next chain key)
 *   receive Ed25519 verify + AEAD open + 3 HKDF-Expand
 * plus the primitives re-keys are made of (HPKE, X25519, Ed25519). The
 * verify takes the next of VERIFY_POOL distinct signed messages each time:
 * Ed25519 verification is variable-time and one signature verified over and
 * over runs ~2 µs faster than distinct ones, as the protocols' messages are
 * (bench/protocols/types.ts, plaintexts).
 */
import { getCipherSuite } from '../../src/crypto/index.js'
import { X25519_GROUP } from '../../src/crypto/hpke/dh-groups.js'
import type { FloorRow, PrimitiveRow } from '../report/model.js'
import { progress, fmt, sample, sampleParts, type Budget } from './measure.js'
import { randomPlaintext } from './types.js'

const suite = getCipherSuite(3)
/** Distinct signed messages the receive floor's verify rotates through. */
const VERIFY_POOL = 64

export async function measureFloor(sizes: readonly number[], budget: Budget): Promise<FloorRow[]> {
  const key = randomPlaintext(32)
  const nonce = randomPlaintext(12)
  const aad = randomPlaintext(40)
  const prk = randomPlaintext(32)
  const info = randomPlaintext(12)
  const sig = suite.generateSignatureKeyPair()
  const out: FloorRow[] = []
  for (const size of sizes) {
    const pt = randomPlaintext(size)
    const ct = suite.seal(key, nonce, aad, pt)
    const signed = Array.from({ length: VERIFY_POOL }, () => {
      const m = randomPlaintext(ct.length)
      return { m, signature: suite.sign(sig.privateKey, m) }
    })
    let next = 0
    const kdfs = () => {
      suite.expand(prk, info, 32)
      suite.expand(prk, info, 12)
      suite.expand(prk, info, 32)
    }
    const step = (): number[] => {
      const t0 = performance.now()
      kdfs()
      const c = suite.seal(key, nonce, aad, pt)
      suite.sign(sig.privateKey, c)
      const t1 = performance.now()
      const v = signed[next++ % VERIFY_POOL]!
      suite.verify(sig.publicKey, v.m, v.signature)
      kdfs()
      suite.open(key, nonce, aad, ct)
      return [t1 - t0, performance.now() - t1]
    }
    // JIT warm-up beyond the sampler's few iterations: measured first in the
    // run, a cold floor came out ~15% slower than the same code later, which
    // flattered every "× floor" ratio.
    // The pause lets V8's background compiler install the optimised code.
    for (let i = 0, t = performance.now(); i < 1000 && performance.now() - t < 400; i++) step()
    await new Promise((r) => setTimeout(r, 20))
    const [send, receive] = await sampleParts(step, budget)
    out.push({ size, sendUs: send!.medianUs, receiveUs: receive!.medianUs })
    progress(`floor ${size} B: send ${fmt(send!.medianUs)}, receive ${fmt(receive!.medianUs)}`)
  }
  return out
}

export async function measurePrimitives(budget: Budget): Promise<PrimitiveRow[]> {
  const sig = suite.generateSignatureKeyPair()
  const msg = randomPlaintext(256)
  const signature = suite.sign(sig.privateKey, msg)
  const hk = await suite.generateHpkeKeyPair()
  const ctx = randomPlaintext(60)
  const secret = randomPlaintext(32)
  const sealed = await suite.encryptWithLabel(hk.publicKey, 'bench', ctx, secret)
  const a = X25519_GROUP.generate()
  const b = X25519_GROUP.generate()
  const prk = randomPlaintext(32)
  const info = randomPlaintext(40)
  const rows: [string, () => unknown][] = [
    ['Ed25519 sign (256 B)', () => suite.sign(sig.privateKey, msg)],
    ['Ed25519 verify (256 B)', () => suite.verify(sig.publicKey, msg, signature)],
    ['X25519 key pair', () => X25519_GROUP.generate()],
    ['X25519 DH', () => X25519_GROUP.dh(a.handle, X25519_GROUP.importPublic(b.publicKey))],
    ['HKDF-SHA256 Expand (32 B)', () => suite.expand(prk, info, 32)],
    ['HPKE EncryptWithLabel (32 B secret)', () => suite.encryptWithLabel(hk.publicKey, 'bench', ctx, secret)],
    ['HPKE DecryptWithLabel (32 B secret)', () => suite.decryptWithLabel(hk.privateKey, 'bench', ctx, sealed.kemOutput, sealed.ciphertext)],
  ]
  const out: PrimitiveRow[] = []
  for (const [name, fn] of rows) {
    const s = await sample(async () => {
      const t0 = performance.now()
      await fn()
      return performance.now() - t0
    }, budget)
    out.push({ name, medianUs: s.medianUs, samples: s.samples })
  }
  progress(`floor primitives: ${out.map((p) => `${p.name} ${fmt(p.medianUs)}`).join(', ')}`)
  return out
}
