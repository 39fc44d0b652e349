/**
 * The to-be-signed / to-be-MACed bytes (RFC 9420 §6.1, §6.2) built from an
 * encoded body equal the wire structs' own encodings, for every sender type
 * and at the varint boundaries of application_data.
 */
import { describe, expect, it } from 'vitest'
import { encode, Writer } from '../../../src/codec/tls.js'
import { authenticatedContentTbm, encodeBody, framedContentTbs } from '../../../src/mls/framing/index.js'
import { framedContentSignContent } from '../../../src/mls/framing/tbs.js'
import { ExactWriter, prefixSize } from '../../../src/mls/framing/exact-writer.js'
import {
  authenticatedContentTbmCodec,
  ContentType,
  encodeContentBody,
  framedContentTbsBytes,
  MLS10,
  ProposalType,
  SenderType,
  WireFormat,
  type FramedContent,
  type Sender,
} from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { fixture } from './fixture.js'

const fx = fixture(1)

describe('FramedContentTBS / AuthenticatedContentTBM bytes', () => {
  it('application_data bodies at the varint boundaries encode as opaque<V>', () => {
    for (const n of [0, 1, 63, 64, 16383, 16384, 70000]) {
      const body = { contentType: ContentType.application, applicationData: new Uint8Array(n).fill(n & 0xff) } as const
      const w = new Writer()
      encodeContentBody(w, body)
      expect(toHex(encodeBody(body))).toBe(toHex(w.finish()))
    }
  })

  const senders: Sender[] = [
    { senderType: SenderType.member, leafIndex: 3 },
    { senderType: SenderType.external, senderIndex: 1 },
    { senderType: SenderType.new_member_proposal },
    { senderType: SenderType.new_member_commit },
  ]
  for (const sender of senders) {
    it(`sender type ${sender.senderType}: TBS and TBM match the wire codecs`, () => {
      const content: FramedContent = {
        groupId: fx.groupContext.groupId,
        epoch: fx.groupContext.epoch,
        sender,
        authenticatedData: new Uint8Array([4, 5]),
        contentType: ContentType.proposal,
        proposal: { proposalType: ProposalType.remove, remove: { removed: 9 } },
      }
      for (const wf of [WireFormat.mls_public_message, WireFormat.mls_private_message] as const) {
        const tbs = framedContentTbs(fx.ctx, wf, content, content.contentType, encodeBody(content))
        expect(toHex(tbs)).toBe(toHex(framedContentTbsBytes(wf, content, fx.groupContext)))
        const auth = { signature: new Uint8Array(64).fill(1) }
        const both = authenticatedContentTbm(fx.ctx, wf, content, auth)
        const context = sender.senderType === SenderType.member || sender.senderType === SenderType.new_member_commit ? fx.groupContext : undefined
        const tbm = encode(authenticatedContentTbmCodec, { contentTbs: { version: MLS10, wireFormat: wf, content, context }, auth })
        expect(toHex(both.tbm)).toBe(toHex(tbm))
        expect(toHex(both.tbs)).toBe(toHex(tbs))
      }
    })
  }

  it('SignContent written around the TBS is what SignWithLabel signs (§5.1.2)', () => {
    const key = fx.members[0]!
    const content: FramedContent = {
      groupId: fx.groupContext.groupId,
      epoch: fx.groupContext.epoch,
      sender: { senderType: SenderType.member, leafIndex: 0 },
      authenticatedData: new Uint8Array(0),
      contentType: ContentType.application,
      applicationData: new Uint8Array(300).fill(7),
    }
    const body = encodeBody(content)
    const wf = WireFormat.mls_private_message
    const tbs = framedContentTbs(fx.ctx, wf, content, content.contentType, body)
    const signContent = framedContentSignContent(fx.ctx, wf, content, content.contentType, body)
    expect(fx.suite.verifyWithLabel(key.publicKey, 'FramedContentTBS', tbs, fx.suite.sign(key.privateKey, signContent))).toBe(true)
    expect(fx.suite.verify(key.publicKey, signContent, fx.suite.signWithLabel(key.privateKey, 'FramedContentTBS', tbs))).toBe(true)
  })
})

describe('ExactWriter', () => {
  it('writes big-endian integers and minimal varints, and refuses what does not fit', () => {
    const w = new ExactWriter(2 + 4 + 8 + 1 + 2 + 4)
    w.u16(0xabcd).u32(0xfffffffe).u64(0x0102030405060708n).varint(63).varint(64).varint(16384)
    expect(toHex(w.done())).toBe('abcdfffffffe01020304050607083f404080004000')
    expect(() => new ExactWriter(8).u64(-1n)).toThrow(expect.objectContaining({ code: 'DECODE_INVALID_VALUE' }))
    expect(() => new ExactWriter(8).u64(1n << 64n)).toThrow(expect.objectContaining({ code: 'DECODE_INVALID_VALUE' }))
    expect(() => new ExactWriter(4).u32(2 ** 32)).toThrow(expect.objectContaining({ code: 'DECODE_INVALID_VALUE' }))
    expect(() => prefixSize(2 ** 30)).toThrow(expect.objectContaining({ code: 'DECODE_VARINT_TOO_LARGE' }))
    expect(() => new ExactWriter(3).u16(1).done()).toThrow(expect.objectContaining({ code: 'MLS_INTERNAL' }))
  })
})
