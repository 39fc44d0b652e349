/**
 * Computes the fixed-input sender-key vectors with the implementation under
 * test; vectors.gen.ts wrote test/vectors/senderkeys-kdf.json once,
 * vectors.test.ts recomputes and compares.
 */
import { createHash } from 'node:crypto'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { senderChainStep, senderMessageKeys } from '../../src/senderkeys/chain.js'
import { messageAd, messageTbs } from '../../src/senderkeys/message.js'
import { senderKeyEncrypt, type SenderKeyState } from '../../src/senderkeys/state.js'
import { toHex } from '../helpers/vectors.js'

export const fixed = (name: string): Uint8Array => new Uint8Array(createHash('sha256').update(`talos senderkeys vector ${name}`).digest())

export function computeSenderKeyVectors(): Record<string, unknown> {
  let ck = fixed('chain key')
  const chain = []
  for (let i = 0; i < 5; i++) {
    const step = senderChainStep(ck)
    const keys = senderMessageKeys(step.seed.slice(), i)
    chain.push({
      iteration: i,
      message_seed: toHex(step.seed),
      next_chain_key: toHex(step.chainKey),
      aead_key: toHex(keys.key),
      aead_nonce: toHex(keys.nonce),
    })
    ck = step.chainKey
  }
  const groupId = new TextEncoder().encode('vector group')
  const signingSeed = fixed('signing seed')
  const state: SenderKeyState = {
    sender: 'did:talos:alice',
    keyId: 0x01020304,
    iteration: 0,
    chainKey: fixed('chain key'),
    signingKey: ed25519.publicKey(signingSeed),
    signingPrivate: signingSeed.slice(),
    skipped: new Map(),
  }
  const plaintext = new TextEncoder().encode('fixed sender-key plaintext')
  const messages = [0, 1].map(() => {
    const m = senderKeyEncrypt(groupId, state, plaintext)
    const ctx = { groupId, sender: m.sender, keyId: m.keyId, iteration: m.iteration }
    return {
      iteration: m.iteration,
      ad: toHex(messageAd(ctx)),
      tbs: toHex(messageTbs(ctx, m.ciphertext)),
      ciphertext: toHex(m.ciphertext),
      signature: toHex(m.signature),
    }
  })
  return {
    description:
      'Fixed-input vectors for src/senderkeys (chain step, message keys, AD, TBS, ChaCha20-Poly1305, Ed25519). ' +
      'Inputs are SHA-256("talos senderkeys vector <name>"). Generated once by test/senderkeys/vectors.gen.ts; checked by vectors.test.ts.',
    chain_key: toHex(fixed('chain key')),
    chain,
    message: {
      group_id: toHex(groupId),
      sender: state.sender,
      key_id: state.keyId,
      signing_seed: toHex(signingSeed),
      signing_key: toHex(state.signingKey),
      plaintext: toHex(plaintext),
      messages,
    },
  }
}
