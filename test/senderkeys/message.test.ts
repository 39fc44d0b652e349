/** The hand-written canonical encoder of message.ts equals the TLS codec's encoding, for any ids and sizes. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Writer } from '../../src/codec/tls.js'
import { SK_LABEL } from '../../src/senderkeys/constants.js'
import { messageAd, messageTbs } from '../../src/senderkeys/message.js'
import { toHex } from '../helpers/vectors.js'

describe('sender-key AD and TBS encoding', () => {
  it('matches the TLS presentation-language encoding (RFC 9420 §2.1.2 varints)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 120 }),
        fc.nat(0xffffffff),
        fc.nat(0xfffffffe),
        fc.uint8Array({ maxLength: 20000 }),
        (groupId, sender, keyId, iteration, ct) => {
          const head = (label: Uint8Array): Writer =>
            new Writer().opaque(label).opaque(groupId).opaque(new TextEncoder().encode(sender)).u32(keyId).u32(iteration)
          const c = { groupId, sender, keyId, iteration }
          expect(toHex(messageAd(c))).toBe(toHex(head(SK_LABEL.messageAd).finish()))
          expect(toHex(messageTbs(c, ct))).toBe(toHex(head(SK_LABEL.messageTbs).opaque(ct).finish()))
        },
      ),
      { numRuns: 200 },
    )
  })
})
