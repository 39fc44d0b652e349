/**
 * Hostile input to unprotect (RFC 9420 §6.2, §6.3), every suite: valid
 * MLSMessage encodings (member proposal and commit, external proposal as
 * PublicMessage; application, proposal and commit as PrivateMessage) mutated
 * by bit flips, truncations, insertions, deletions and boundary-byte
 * overwrites, then decoded and unprotected. The only outcomes allowed are a
 * TalosError or success, and success only for a mutation that gave back the
 * very same bytes (every field is covered by a MAC, an AEAD or a signature).
 * The receiver's secret tree is never changed by any of it.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CIPHER_SUITE_IDS } from '../../../src/crypto/suite.js'
import { TalosError } from '../../../src/errors.js'
import {
  createPrivateMessage,
  protectPrivateMessage,
  protectPublicMessage,
  signContent,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  withConfirmationTag,
  type UnframedContent,
} from '../../../src/mls/framing/index.js'
import {
  ContentType,
  decodeMLSMessage,
  encodeMLSMessage,
  MLS10,
  ProposalType,
  SenderType,
  WireFormat,
  type MLSMessage,
} from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { fixture, snapshot } from './fixture.js'

type Mutation = (b: Uint8Array) => Uint8Array
const at = (b: Uint8Array, p: number) => (b.length === 0 ? 0 : p % (b.length + 1))

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([p, bit]): Mutation => (b) => {
    const out = b.slice()
    if (out.length > 0) out[p % out.length]! ^= 1 << bit
    return out
  }),
  fc.nat().map((n): Mutation => (b) => b.subarray(0, at(b, n))),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, ins]): Mutation => (b) => {
    const i = at(b, p)
    return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)])
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 16 })).map(([p, n]): Mutation => (b) => {
    const i = at(b, p)
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)])
  }),
  fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff)).map(
    ([p, v]): Mutation =>
      (b) => {
        const out = b.slice()
        if (out.length > 0) out[p % out.length] = v
        return out
      },
  ),
)
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 })

describe.each(CIPHER_SUITE_IDS)('unprotect fuzz, suite %i', (id) => {
  const fx = fixture(id)
  const { ctx, membershipKey, senders } = fx
  const priv = fx.members[1]!.privateKey
  const member = { senderType: SenderType.member, leafIndex: 1 } as const
  const remove: UnframedContent = {
    sender: member,
    contentType: ContentType.proposal,
    proposal: { proposalType: ProposalType.remove, remove: { removed: 3 } },
  }
  const commit: UnframedContent = { sender: member, contentType: ContentType.commit, commit: { proposals: [] } }
  const tag = new Uint8Array(fx.suite.Nh).fill(5)
  const sendTree = fx.tree()
  const keys = fx.keys(sendTree)

  const pub = (m: MLSMessage) => encodeMLSMessage(m)
  const samples: Record<string, Uint8Array> = {
    'member proposal (public)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: protectPublicMessage(ctx, signContent(ctx, WireFormat.mls_public_message, remove, priv), membershipKey),
    }),
    'commit (public)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: protectPublicMessage(
        ctx,
        withConfirmationTag(signContent(ctx, WireFormat.mls_public_message, commit, priv), tag),
        membershipKey,
      ),
    }),
    'external proposal (public)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_public_message,
      publicMessage: protectPublicMessage(
        ctx,
        signContent(ctx, WireFormat.mls_public_message, { ...remove, sender: { senderType: SenderType.external, senderIndex: 0 } }, fx.external.privateKey),
      ),
    }),
    'application (private)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_private_message,
      privateMessage: createPrivateMessage(
        ctx,
        { sender: member, contentType: ContentType.application, applicationData: new Uint8Array(100).fill(1), authenticatedData: new Uint8Array([1, 2]) },
        priv,
        keys,
        { padding: { multipleOf: 32 } },
      ),
    }),
    'proposal (private)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_private_message,
      privateMessage: createPrivateMessage(ctx, remove, priv, keys),
    }),
    'commit (private)': pub({
      version: MLS10,
      wireFormat: WireFormat.mls_private_message,
      privateMessage: protectPrivateMessage(ctx, withConfirmationTag(signContent(ctx, WireFormat.mls_private_message, commit, priv), tag), keys),
    }),
  }

  it('caller-built objects that are not messages raise a TalosError, never a TypeError', () => {
    const m = decodeMLSMessage(samples['application (private)']!)
    if (m.wireFormat !== WireFormat.mls_private_message) throw new Error('unreachable')
    const receiver = fx.tree()
    const before = snapshot(receiver)
    const broken: unknown[] = [
      {},
      { ...m.privateMessage, groupId: undefined },
      { ...m.privateMessage, ciphertext: null },
      { ...m.privateMessage, epoch: 7 },
      { ...m.privateMessage, encryptedSenderData: 'x' },
    ]
    for (const pm of broken) {
      expect(() => unprotectPrivateMessage(ctx, pm as never, fx.keys(receiver), senders)).toThrow(TalosError)
    }
    const p = decodeMLSMessage(samples['member proposal (public)']!)
    if (p.wireFormat !== WireFormat.mls_public_message) throw new Error('unreachable')
    for (const pm of [{}, { ...p.publicMessage, content: null }, { ...p.publicMessage, auth: {} }]) {
      expect(() => unprotectPublicMessage(ctx, pm as never, membershipKey, senders)).toThrow(TalosError)
    }
    expect(snapshot(receiver)).toBe(before)
  })

  for (const [name, original] of Object.entries(samples)) {
    it(`mutated ${name}: success only for the original bytes, otherwise a TalosError; secret tree untouched`, () => {
      const receiver = fx.tree()
      const before = snapshot(receiver)
      // The unmutated message is accepted (so rejections below are the mutation's doing).
      const m0 = decodeMLSMessage(original)
      if (m0.wireFormat === WireFormat.mls_private_message) {
        unprotectPrivateMessage(ctx, m0.privateMessage, fx.keys(receiver), senders).discard()
      } else if (m0.wireFormat === WireFormat.mls_public_message) {
        unprotectPublicMessage(ctx, m0.publicMessage, membershipKey, senders)
      }
      fc.assert(
        fc.property(mutations, (ms) => {
          const input = ms.reduce((b, m) => m(b), original)
          let accepted = false
          try {
            const m = decodeMLSMessage(input)
            if (m.wireFormat === WireFormat.mls_private_message) {
              unprotectPrivateMessage(ctx, m.privateMessage, fx.keys(receiver), senders).discard()
              accepted = true
            } else if (m.wireFormat === WireFormat.mls_public_message) {
              unprotectPublicMessage(ctx, m.publicMessage, membershipKey, senders)
              accepted = true
            }
          } catch (e) {
            if (!(e instanceof TalosError)) throw new Error(`${toHex(input)} raised a non-TalosError: ${String(e)}`, { cause: e })
          }
          if (accepted) expect(toHex(input)).toBe(toHex(original))
          expect(snapshot(receiver)).toBe(before)
        }),
        { numRuns: 400 },
      )
    })
  }
})
