/**
 * Secret tree (RFC 9420 §9) and sender data keys (§6.3.2) against all 21
 * cases of secret-tree.json: sender data key/nonce, and for every leaf every
 * listed generation's handshake and application key/nonce.
 */
import { describe, expect, it } from 'vitest'
import { SecretTree, type RatchetType } from '../../../src/mls/schedule/secret-tree.js'
import { deriveSenderDataKeyNonce } from '../../../src/mls/schedule/sender-data.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { suiteFor } from './suites.js'

interface Gen {
  generation: number
  handshake_key: string
  handshake_nonce: string
  application_key: string
  application_nonce: string
}
interface Case {
  cipher_suite: number
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string }
  encryption_secret: string
  leaves: Gen[][]
}

const FILE = 'secret-tree.json'
const cases = loadVectors<Case>(FILE)

function checkKey(tree: SecretTree, leaf: number, type: RatchetType, g: number, key: string, nonce: string): void {
  const staged = tree.stageKey(leaf, type, g)
  expect(staged.generation).toBe(g)
  expect(toHex(staged.key), `leaf ${leaf} ${type} key @${g}`).toBe(key)
  expect(toHex(staged.nonce), `leaf ${leaf} ${type} nonce @${g}`).toBe(nonce)
  staged.commit()
}

function checkAllLeaves(suite: CipherSuite, c: Case, order: number[]): void {
  const tree = SecretTree.create(suite, c.leaves.length, hex(c.encryption_secret))
  for (const leaf of order) {
    for (const g of c.leaves[leaf]!) {
      checkKey(tree, leaf, 'handshake', g.generation, g.handshake_key, g.handshake_nonce)
      checkKey(tree, leaf, 'application', g.generation, g.application_key, g.application_nonce)
    }
  }
}

describe(FILE, () => {
  it('holds 21 cases', () => expect(cases.length).toBe(21))

  cases.forEach((c, i) => {
    it(`${FILE} case ${i} (suite ${c.cipher_suite}, ${c.leaves.length} leaves)`, async () => {
      const suite = await suiteFor(c.cipher_suite)
      const sd = deriveSenderDataKeyNonce(suite, hex(c.sender_data.sender_data_secret), hex(c.sender_data.ciphertext))
      expect(toHex(sd.key), 'sender_data key').toBe(c.sender_data.key)
      expect(toHex(sd.nonce), 'sender_data nonce').toBe(c.sender_data.nonce)

      expect(c.leaves.every((l) => l.length > 0)).toBe(true)
      const ascending = c.leaves.map((_, j) => j)
      checkAllLeaves(suite, c, ascending)
      // Lazy derivation must not depend on the order in which leaves are reached.
      checkAllLeaves(suite, c, ascending.slice().reverse())
    })
  })
})

describe('sender data sample', () => {
  it('uses only the first Nh bytes of the ciphertext, or all of a shorter one', async () => {
    const suite = await suiteFor(1)
    const secret = new Uint8Array(32).fill(3)
    const ct = new Uint8Array(50).map((_, i) => i)
    const a = deriveSenderDataKeyNonce(suite, secret, ct)
    const b = deriveSenderDataKeyNonce(suite, secret, ct.slice(0, 32))
    expect(toHex(a.key)).toBe(toHex(b.key))
    expect(toHex(a.nonce)).toBe(toHex(b.nonce))
    const short = deriveSenderDataKeyNonce(suite, secret, ct.slice(0, 10))
    expect(toHex(short.key)).not.toBe(toHex(a.key))
    expect(short.key.length).toBe(suite.Nk)
    expect(short.nonce.length).toBe(suite.Nn)
  })
})
