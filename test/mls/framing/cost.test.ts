/**
 * The per-message cost of framing is O(1) in the group size (ARCHITECTURE.md
 * "Performance shape"), counted rather than timed: with every CipherSuite
 * call counted, protecting or unprotecting one application message costs
 * exactly one signature (or verification), two AEAD operations and five KDF
 * calls — the same for 2, 64 and 1024 leaves — once the sender's leaf has
 * been reached (that first contact is O(log n), once per sender per epoch).
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite, randomBytes } from '../../../src/crypto/index.js'
import type { CipherSuite } from '../../../src/crypto/suite.js'
import { createFramingContext, createPrivateMessage, unprotectPrivateMessage } from '../../../src/mls/framing/index.js'
import { SecretTree } from '../../../src/mls/schedule/index.js'
import { ContentType, MLS10, SenderType } from '../../../src/mls/wire/index.js'

/** A suite forwarding to `inner` that counts every call by method name. */
function counted(inner: CipherSuite): { suite: CipherSuite; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const wrapped: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(inner)) {
    wrapped[k] =
      typeof v === 'function'
        ? (...args: unknown[]) => {
            calls.set(k, (calls.get(k) ?? 0) + 1)
            return (v as (...a: unknown[]) => unknown).apply(inner, args)
          }
        : v
  }
  return { suite: wrapped as unknown as CipherSuite, calls }
}

const PER_MESSAGE_SEND = { sign: 1, seal: 2, expandWithLabel: 2, deriveTreeSecret: 3 }
const PER_MESSAGE_RECEIVE = { verify: 1, open: 2, expandWithLabel: 2, deriveTreeSecret: 3 }

describe('framing cost per message does not grow with the group', () => {
  for (const nLeaves of [2, 64, 1024]) {
    it(`${nLeaves} leaves: one signature/verification, two AEADs, five KDF calls`, () => {
      const { suite, calls } = counted(getCipherSuite(3))
      const groupContext = {
        version: MLS10,
        cipherSuite: 3,
        groupId: randomBytes(8),
        epoch: 1n,
        treeHash: randomBytes(32),
        confirmedTranscriptHash: randomBytes(32),
        extensions: [],
      }
      const ctx = createFramingContext(suite, groupContext)
      const signer = suite.generateSignatureKeyPair()
      const leaf = nLeaves - 1
      const encryptionSecret = randomBytes(32)
      const senderDataSecret = randomBytes(32)
      const send = { secretTree: SecretTree.create(suite, nLeaves, encryptionSecret.slice()), senderDataSecret }
      const receive = { secretTree: SecretTree.create(suite, nLeaves, encryptionSecret.slice()), senderDataSecret }
      const senders = { memberSignatureKey: (i: number) => (i === leaf ? signer.publicKey : undefined) }
      const content = {
        sender: { senderType: SenderType.member, leafIndex: leaf },
        contentType: ContentType.application,
        applicationData: randomBytes(1024),
      } as const

      // First contact: derives the leaf's path in both trees (O(log n), once).
      unprotectPrivateMessage(ctx, createPrivateMessage(ctx, content, signer.privateKey, send), receive, senders).commit()

      for (let i = 0; i < 3; i++) {
        calls.clear()
        const pm = createPrivateMessage(ctx, content, signer.privateKey, send)
        expect(Object.fromEntries(calls)).toEqual(PER_MESSAGE_SEND)
        calls.clear()
        unprotectPrivateMessage(ctx, pm, receive, senders).commit()
        expect(Object.fromEntries(calls)).toEqual(PER_MESSAGE_RECEIVE)
      }
    })
  }
})
