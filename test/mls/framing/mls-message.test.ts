/**
 * The MLSMessage-level entry points and the Commit flow of RFC 9420 §12.4.1 /
 * §12.4.2 as framing sees it, every suite: sign with the old GroupContext,
 * confirmed transcript hash, confirmation tag under the new epoch's
 * confirmation_key, protect; the receiver unprotects, recomputes the
 * transcript and checks the tag (MLS_BAD_CONFIRMATION_TAG when it is wrong),
 * and only then commits the consumed key.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes } from '../../../src/crypto/index.js'
import { CIPHER_SUITE_IDS } from '../../../src/crypto/suite.js'
import {
  confirmationTag,
  confirmedTranscriptHash,
  createPrivateMessage,
  decodePrivateMessageView,
  encodePrivateMessageMLSMessage,
  isPrivateMessageBytes,
  nextTranscriptHashes,
  protectMessage,
  signContent,
  unprotectMessage,
  verifyConfirmationTag,
  withConfirmationTag,
  type UnframedContent,
} from '../../../src/mls/framing/index.js'
import {
  ContentType,
  decodeMLSMessage,
  encodeMLSMessage,
  MLS10,
  SenderType,
  WireFormat,
  type FramingWireFormat,
} from '../../../src/mls/wire/index.js'
import { fixture, snapshot } from './fixture.js'

const code = (c: string) => expect.objectContaining({ code: c })

describe.each(CIPHER_SUITE_IDS)('MLSMessage framing and the Commit flow, suite %i', (id) => {
  const fx = fixture(id)
  const { ctx, suite, senders } = fx
  const commit: UnframedContent = {
    sender: { senderType: SenderType.member, leafIndex: 3 },
    contentType: ContentType.commit,
    commit: { proposals: [] },
  }
  const interimBefore = randomBytes(suite.Nh)
  const confirmationKey = randomBytes(suite.Nh)

  for (const wf of [WireFormat.mls_public_message, WireFormat.mls_private_message] as FramingWireFormat[]) {
    it(`commit as wire format ${wf}: transcript and confirmation tag agree on both sides`, () => {
      const senderKeys = { ...fx.keys(fx.tree()), membershipKey: fx.membershipKey }
      const ac = signContent(ctx, wf, commit, fx.members[3]!.privateKey)
      const confirmed = confirmedTranscriptHash(suite, interimBefore, ac)
      const tag = confirmationTag(suite, confirmationKey, confirmed)
      const bytes = encodeMLSMessage(protectMessage(ctx, withConfirmationTag(ac, tag), senderKeys))

      const receiver = fx.tree()
      const keys = { ...fx.keys(receiver), membershipKey: fx.membershipKey }
      const before = snapshot(receiver)
      const staged = unprotectMessage(ctx, decodeMLSMessage(bytes), keys, senders)
      const next = nextTranscriptHashes(suite, interimBefore, staged.content)
      expect(next.confirmedTranscriptHash).toEqual(confirmed)
      verifyConfirmationTag(suite, confirmationKey, next.confirmedTranscriptHash, staged.content.auth.confirmationTag!)
      expect(snapshot(receiver)).toBe(before)
      staged.commit()
      if (wf === WireFormat.mls_private_message) expect(receiver.currentGeneration(3, 'handshake')).toBe(1)
      else expect(snapshot(receiver)).toBe(before) // a PublicMessage consumes no key

      // A committer that used the wrong confirmation key: the message itself is
      // authentic, the tag check is what refuses it, and nothing is consumed.
      const badTag = confirmationTag(suite, randomBytes(suite.Nh), confirmed)
      const bad = encodeMLSMessage(protectMessage(ctx, withConfirmationTag(ac, badTag), { ...senderKeys }))
      const receiver2 = fx.tree()
      const keys2 = { ...fx.keys(receiver2), membershipKey: fx.membershipKey }
      const before2 = snapshot(receiver2)
      const got = unprotectMessage(ctx, decodeMLSMessage(bad), keys2, senders)
      const hashes = nextTranscriptHashes(suite, interimBefore, got.content)
      expect(() => verifyConfirmationTag(suite, confirmationKey, hashes.confirmedTranscriptHash, got.content.auth.confirmationTag!)).toThrow(
        code('MLS_BAD_CONFIRMATION_TAG'),
      )
      got.discard()
      expect(snapshot(receiver2)).toBe(before2)
    })
  }

  it('the transcript binds the wire format: the same commit public and private gives different hashes', () => {
    const pub = signContent(ctx, WireFormat.mls_public_message, commit, fx.members[3]!.privateKey)
    const priv = signContent(ctx, WireFormat.mls_private_message, commit, fx.members[3]!.privateKey)
    expect(confirmedTranscriptHash(suite, interimBefore, pub)).not.toEqual(confirmedTranscriptHash(suite, interimBefore, priv))
  })

  it('other wire formats are MLS_INVALID_WIRE_FORMAT', () => {
    const keys = { ...fx.keys(fx.tree()), membershipKey: fx.membershipKey }
    const kp = { version: MLS10, wireFormat: WireFormat.mls_key_package } as any
    expect(() => unprotectMessage(ctx, kp, keys, senders)).toThrow(code('MLS_INVALID_WIRE_FORMAT'))
  })

  it('the exact-size PrivateMessage encoder writes what the MLSMessage codec writes', () => {
    for (const [size, ad] of [[0, 0], [1024, 0], [70_000, 300]] as const) {
      const content: UnframedContent = {
        sender: { senderType: SenderType.member, leafIndex: 3 },
        contentType: ContentType.application,
        applicationData: randomBytes(size),
        authenticatedData: randomBytes(ad),
      }
      const pm = createPrivateMessage(ctx, content, fx.members[3]!.privateKey, fx.keys(fx.tree()))
      const bytes = encodePrivateMessageMLSMessage(pm)
      expect(bytes).toEqual(encodeMLSMessage({ version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: pm }))
      expect(decodeMLSMessage(bytes)).toEqual({ version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: pm })
    }
  })

  it('the view decoder of PrivateMessage bytes agrees with decodeMLSMessage on valid, truncated, extended and altered input', () => {
    const content: UnframedContent = {
      sender: { senderType: SenderType.member, leafIndex: 3 },
      contentType: ContentType.application,
      applicationData: randomBytes(100),
      authenticatedData: randomBytes(3),
    }
    const bytes = encodePrivateMessageMLSMessage(createPrivateMessage(ctx, content, fx.members[3]!.privateKey, fx.keys(fx.tree())))
    const outcome = (f: () => unknown) => {
      try {
        return { ok: f() }
      } catch (e) {
        return { code: (e as { code?: string }).code }
      }
    }
    const cases: Uint8Array[] = [bytes, Uint8Array.from([...bytes, 0])]
    for (let n = 4; n < bytes.length; n++) cases.push(bytes.subarray(0, n))
    for (let i = 0; i < 40; i++) for (const v of [0x00, 0x40, 0x80, 0xc0, 0xff]) cases.push(Uint8Array.from(bytes, (x, j) => (j === i && j !== 2 && j !== 3 ? v : x)))
    for (const c of cases) {
      expect(isPrivateMessageBytes(c)).toBe(true)
      const view = outcome(() => ({ version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: decodePrivateMessageView(c) }))
      expect(view).toEqual(outcome(() => decodeMLSMessage(c)))
    }
    // The header fields handed on to the content are copies; the two encrypted fields are views of the input.
    const pm = decodePrivateMessageView(bytes)
    expect(pm.groupId.buffer).not.toBe(bytes.buffer)
    expect(pm.authenticatedData.buffer).not.toBe(bytes.buffer)
    expect(pm.ciphertext.buffer).toBe(bytes.buffer)
  })
})
