/**
 * message-protection.json (FORMAT.md "Message Protection", RFC 9420 §6.1–§6.3)
 * through the real framing code, every suite:
 *  - the vector's PublicMessages (proposal, commit) unprotect with
 *    membership_key and signature_pub and carry the raw proposal / commit;
 *  - protecting the raw value as a PublicMessage with signature_priv gives a
 *    message that unprotects; application data as a PublicMessage is refused;
 *  - the vector's PrivateMessages (proposal, commit, application) unprotect
 *    with a 2-leaf secret tree from encryption_secret, sender leaf 1;
 *  - protecting the raw value as a PrivateMessage (fresh sender tree) gives a
 *    message that unprotects with a fresh receiver tree.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import {
  createFramingContext,
  createPrivateMessage,
  encodeBody,
  framedContentTbs,
  protectPrivateMessage,
  protectPublicMessage,
  signContent,
  unprotectPrivateMessage,
  unprotectPublicMessage,
  withConfirmationTag,
  type FramingContext,
  type SenderKeyLookup,
  type UnframedContent,
} from '../../../src/mls/framing/index.js'
import { SecretTree, serializeSecretTree } from '../../../src/mls/schedule/index.js'
import {
  commitCodec,
  ContentType,
  decodeMLSMessage,
  encodeMLSMessage,
  framedContentTbsBytes,
  MLS10,
  proposalCodec,
  SenderType,
  WireFormat,
  type AuthenticatedContent,
  type GroupContext,
  type PrivateMessage,
  type PublicMessage,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

const FILE = 'message-protection.json'
const cases = loadVectors<Record<string, any>>(FILE)
const KINDS = ['proposal', 'commit', 'application'] as const
type Kind = (typeof KINDS)[number]
const SENDER = { senderType: SenderType.member, leafIndex: 1 } as const
const code = (c: string) => expect.objectContaining({ code: c })

/**
 * The vectors write the P-521 private scalar (suite 5) minimally, 65 octets;
 * src/crypto takes the fixed Nsk = 66 octet big-endian form. Left-padding with
 * zeros is the same scalar (the same key), nothing is loosened.
 */
function signaturePrivateKey(suiteId: number, key: Uint8Array): Uint8Array {
  if (suiteId !== 5 || key.length >= 66) return key
  const out = new Uint8Array(66)
  out.set(key, 66 - key.length)
  return out
}

function rawContent(kind: Kind, v: Record<string, any>): UnframedContent {
  if (kind === 'application') return { sender: SENDER, contentType: ContentType.application, applicationData: hex(v.application) }
  if (kind === 'proposal') return { sender: SENDER, contentType: ContentType.proposal, proposal: decode(proposalCodec, hex(v.proposal)) }
  return { sender: SENDER, contentType: ContentType.commit, commit: decode(commitCodec, hex(v.commit)) }
}

/** The raw value's own encoding: Proposal, Commit, or the application bytes. */
function rawHex(kind: Kind, v: Record<string, any>): string {
  return v[kind]
}

/** Encoding of the body of unprotected content, compared against the vector's raw value. */
function bodyHex(ac: AuthenticatedContent): string {
  const c = ac.content
  if (c.contentType === ContentType.application) return toHex(c.applicationData)
  if (c.contentType === ContentType.proposal) return toHex(encode(proposalCodec, c.proposal))
  return toHex(encode(commitCodec, c.commit))
}

function publicOf(bytes: Uint8Array): PublicMessage {
  const m = decodeMLSMessage(bytes)
  if (m.wireFormat !== WireFormat.mls_public_message) throw new Error('not a PublicMessage')
  return m.publicMessage
}

function privateOf(bytes: Uint8Array): PrivateMessage {
  const m = decodeMLSMessage(bytes)
  if (m.wireFormat !== WireFormat.mls_private_message) throw new Error('not a PrivateMessage')
  return m.privateMessage
}

describe(FILE, () => {
  cases.forEach((v, i) => {
    const suite = getCipherSuite(v.cipher_suite)
    const groupContext: GroupContext = {
      version: MLS10,
      cipherSuite: v.cipher_suite,
      groupId: hex(v.group_id),
      epoch: BigInt(v.epoch),
      treeHash: hex(v.tree_hash),
      confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
      extensions: [],
    }
    const ctx: FramingContext = createFramingContext(suite, groupContext)
    const sigPriv = signaturePrivateKey(v.cipher_suite, hex(v.signature_priv))
    const sigPub = hex(v.signature_pub)
    const membershipKey = hex(v.membership_key)
    const senders: SenderKeyLookup = { memberSignatureKey: (leaf) => (leaf === 1 ? sigPub : undefined) }
    const keys = () => ({
      secretTree: SecretTree.create(suite, 2, hex(v.encryption_secret)),
      senderDataSecret: hex(v.sender_data_secret),
    })
    const label = (what: string) => `${FILE} case ${i} (suite ${v.cipher_suite}) ${what}`

    it(label('FramedContentTBS built from encoded body equals the wire struct encoding'), () => {
      for (const kind of KINDS) {
        for (const wf of [WireFormat.mls_public_message, WireFormat.mls_private_message] as const) {
          const c = { groupId: groupContext.groupId, epoch: groupContext.epoch, authenticatedData: hex('0102'), ...rawContent(kind, v) }
          expect(toHex(framedContentTbs(ctx, wf, c, c.contentType, encodeBody(c)))).toBe(
            toHex(framedContentTbsBytes(wf, c, groupContext)),
          )
        }
      }
    })

    for (const kind of ['proposal', 'commit'] as const) {
      it(label(`${kind}_pub unprotects with membership_key and signature_pub to the raw ${kind}`), () => {
        const ac = unprotectPublicMessage(ctx, publicOf(hex(v[`${kind}_pub`])), membershipKey, senders)
        expect(ac.content.sender).toEqual(SENDER)
        expect(ac.content.contentType).toBe(kind === 'proposal' ? ContentType.proposal : ContentType.commit)
        expect(bodyHex(ac)).toBe(rawHex(kind, v))
      })

      it(label(`protecting the raw ${kind} as a PublicMessage gives a message that unprotects`), () => {
        let ac = signContent(ctx, WireFormat.mls_public_message, rawContent(kind, v), sigPriv)
        if (kind === 'commit') ac = withConfirmationTag(ac, publicOf(hex(v.commit_pub)).auth.confirmationTag!)
        const bytes = encodeMLSMessage({
          version: MLS10,
          wireFormat: WireFormat.mls_public_message,
          publicMessage: protectPublicMessage(ctx, ac, membershipKey),
        })
        const back = unprotectPublicMessage(ctx, publicOf(bytes), membershipKey, senders)
        expect(bodyHex(back)).toBe(rawHex(kind, v))
        expect(toHex(back.auth.signature)).toBe(toHex(ac.auth.signature))
      })
    }

    it(label('application data cannot be protected as a PublicMessage'), () => {
      expect(() => signContent(ctx, WireFormat.mls_public_message, rawContent('application', v), sigPriv)).toThrow(
        code('MLS_APPLICATION_IN_PUBLIC'),
      )
      // Even content signed some other way is refused at protect time.
      const signed = signContent(ctx, WireFormat.mls_private_message, rawContent('application', v), sigPriv)
      const forged: AuthenticatedContent = { ...signed, wireFormat: WireFormat.mls_public_message }
      expect(() => protectPublicMessage(ctx, forged, membershipKey)).toThrow(code('MLS_APPLICATION_IN_PUBLIC'))
    })

    for (const kind of KINDS) {
      it(label(`${kind}_priv unprotects with the secret tree and signature_pub to the raw ${kind}`), () => {
        const k = keys()
        const staged = unprotectPrivateMessage(ctx, privateOf(hex(v[`${kind}_priv`])), k, senders)
        expect(staged.leafIndex).toBe(1)
        expect(staged.content.wireFormat).toBe(WireFormat.mls_private_message)
        expect(staged.content.content.sender).toEqual(SENDER)
        expect(bodyHex(staged.content)).toBe(rawHex(kind, v))
        const type = kind === 'application' ? 'application' : 'handshake'
        expect(k.secretTree.currentGeneration(1, type)).toBe(0) // nothing consumed before commit()
        staged.commit()
        expect(k.secretTree.currentGeneration(1, type)).toBe(staged.generation + 1)
      })

      it(label(`protecting the raw ${kind} as a PrivateMessage gives a message that unprotects`), () => {
        const sender = keys()
        let pm: PrivateMessage
        if (kind === 'commit') {
          const ac = signContent(ctx, WireFormat.mls_private_message, rawContent(kind, v), sigPriv)
          pm = protectPrivateMessage(ctx, withConfirmationTag(ac, suite.hash(hex('00'))), sender)
        } else {
          pm = createPrivateMessage(ctx, rawContent(kind, v), sigPriv, sender)
        }
        const bytes = encodeMLSMessage({ version: MLS10, wireFormat: WireFormat.mls_private_message, privateMessage: pm })
        const receiver = keys()
        const staged = unprotectPrivateMessage(ctx, privateOf(bytes), receiver, senders)
        expect(bodyHex(staged.content)).toBe(rawHex(kind, v))
        staged.commit()
        // Sender and receiver ratchets moved in step.
        expect(serializeSecretTree(receiver.secretTree as SecretTree)).toEqual(serializeSecretTree(sender.secretTree))
      })
    }
  })
})
