/**
 * The to-be-signed / to-be-MACed bytes (RFC 9420 §6.1, §6.2) built from an
 * encoded body equal the wire structs' own encodings, for every sender type
 * and at the varint boundaries of application_data.
 */
import { describe, expect, it } from 'vitest'
import { encode, Writer } from '../../../src/codec/tls.js'
import { authenticatedContentTbm, encodeBody, framedContentTbs } from '../../../src/mls/framing/index.js'
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
})
