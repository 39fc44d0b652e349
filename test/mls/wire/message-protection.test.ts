/**
 * message-protection.json through the wire structs (RFC 9420 §6.1–§6.3):
 * the PublicMessages' signatures verify over our FramedContentTBS bytes and
 * their membership tags over our AuthenticatedContentTBM bytes; the
 * PrivateMessages decrypt with keys derived from our SenderDataAAD /
 * PrivateContentAAD bytes, their SenderData and PrivateMessageContent decode
 * and re-encode exactly, and carry the vector's raw proposal / commit /
 * application data. The crypto is the test-only reference in vector-crypto.ts.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import {
  authenticatedContentTbmCodec,
  commitCodec,
  ContentType,
  decodeMLSMessage,
  decodePrivateMessageContent,
  encodeMLSMessage,
  encodePrivateMessageContent,
  framedContentTbsBytes,
  MLS10,
  privateContentAadBytes,
  proposalCodec,
  SenderType,
  senderDataAadBytes,
  senderDataCodec,
  WireFormat,
  type FramedContent,
  type GroupContext,
  type PrivateMessage,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { aeadOpen, deriveTreeSecret, expandWithLabel, mac, suite, verifyWithLabel } from './vector-crypto.js'

const FILE = 'message-protection.json'
const cases = loadVectors<Record<string, any>>(FILE)
const KINDS = ['proposal', 'commit', 'application'] as const

function rawBody(kind: (typeof KINDS)[number], v: Record<string, any>) {
  return kind === 'application'
    ? { contentType: ContentType.application, applicationData: hex(v.application) }
    : kind === 'proposal'
      ? { contentType: ContentType.proposal, proposal: decode(proposalCodec, hex(v.proposal)) }
      : { contentType: ContentType.commit, commit: decode(commitCodec, hex(v.commit)) }
}

describe(FILE, () => {
  cases.forEach((v, i) => {
    const s = suite(v.cipher_suite)
    const context: GroupContext = {
      version: MLS10,
      cipherSuite: v.cipher_suite,
      groupId: hex(v.group_id),
      epoch: BigInt(v.epoch),
      treeHash: hex(v.tree_hash),
      confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
      extensions: [],
    }
    const sigPub = hex(v.signature_pub)

    for (const kind of ['proposal', 'commit'] as const) {
      it(`${FILE} case ${i} ${kind}_pub: signature over FramedContentTBS and membership tag over AuthenticatedContentTBM`, () => {
        const bytes = hex(v[`${kind}_pub`])
        const m = decodeMLSMessage(bytes)
        if (m.wireFormat !== WireFormat.mls_public_message) throw new Error('not a PublicMessage')
        const pm = m.publicMessage
        expect(pm.content.sender).toEqual({ senderType: SenderType.member, leafIndex: 1 })
        // The framed content is the vector's raw proposal / commit.
        expect(pm.content).toMatchObject(rawBody(kind, v))
        const tbs = framedContentTbsBytes(WireFormat.mls_public_message, pm.content, context)
        expect(verifyWithLabel(s, sigPub, 'FramedContentTBS', tbs, pm.auth.signature)).toBe(true)
        const tbm = encode(authenticatedContentTbmCodec, {
          contentTbs: { version: MLS10, wireFormat: WireFormat.mls_public_message, content: pm.content, context },
          auth: pm.auth,
        })
        expect(toHex(mac(s, hex(v.membership_key), tbm))).toBe(toHex(pm.membershipTag!))
        expect(toHex(encodeMLSMessage(m))).toBe(v[`${kind}_pub`])
      })
    }

    for (const kind of KINDS) {
      it(`${FILE} case ${i} ${kind}_priv: decrypts through SenderData/PrivateMessageContent and verifies`, () => {
        const m = decodeMLSMessage(hex(v[`${kind}_priv`]))
        if (m.wireFormat !== WireFormat.mls_private_message) throw new Error('not a PrivateMessage')
        const pm: PrivateMessage = m.privateMessage
        // Sender data (§6.3.2): key/nonce from the first Nh bytes of the ciphertext.
        const sample = pm.ciphertext.subarray(0, s.nh)
        const sdKey = expandWithLabel(s, hex(v.sender_data_secret), 'key', sample, s.nk)
        const sdNonce = expandWithLabel(s, hex(v.sender_data_secret), 'nonce', sample, 12)
        const sdPlain = aeadOpen(s, sdKey, sdNonce, senderDataAadBytes(pm), pm.encryptedSenderData)
        const senderData = decode(senderDataCodec, sdPlain)
        expect(toHex(encode(senderDataCodec, senderData))).toBe(toHex(sdPlain))
        expect(senderData.leafIndex).toBe(1)

        // Secret tree of 2 leaves: leaf 1 is the root's right child (§9).
        const leaf = expandWithLabel(s, hex(v.encryption_secret), 'tree', new TextEncoder().encode('right'), s.nh)
        let secret = expandWithLabel(s, leaf, kind === 'application' ? 'application' : 'handshake', new Uint8Array(0), s.nh)
        for (let g = 0; g < senderData.generation; g++) secret = deriveTreeSecret(s, secret, 'secret', g, s.nh)
        const key = deriveTreeSecret(s, secret, 'key', senderData.generation, s.nk)
        const nonce = deriveTreeSecret(s, secret, 'nonce', senderData.generation, 12)
        for (let j = 0; j < 4; j++) nonce[j]! ^= senderData.reuseGuard[j]!

        const plaintext = aeadOpen(s, key, nonce, privateContentAadBytes(pm), pm.ciphertext)
        const content = decodePrivateMessageContent(plaintext, pm.contentType)
        expect(toHex(encodePrivateMessageContent(content))).toBe(toHex(plaintext))
        expect(content).toMatchObject(rawBody(kind, v))

        const framed = {
          groupId: pm.groupId,
          epoch: pm.epoch,
          sender: { senderType: SenderType.member, leafIndex: senderData.leafIndex },
          authenticatedData: pm.authenticatedData,
          ...rawBody(kind, v),
        } as FramedContent
        const tbs = framedContentTbsBytes(WireFormat.mls_private_message, framed, context)
        expect(verifyWithLabel(s, sigPub, 'FramedContentTBS', tbs, content.auth.signature)).toBe(true)
      })
    }
  })
})
