/**
 * PrivateMessage protect/unprotect (RFC 9420 §6.3) on a synthetic epoch,
 * every suite. Each broken rule is rejected with its own code and leaves the
 * receiver's secret tree byte-identical (serialized before and after); keys
 * are consumed only by commit() of a fully verified message.
 */
import { describe, expect, it } from 'vitest'
import { Writer } from '../../../src/codec/tls.js'
import { CIPHER_SUITE_IDS } from '../../../src/crypto/suite.js'
import {
  createFramingContext,
  createPrivateMessage,
  encodeBody,
  protectPrivateMessage,
  signContent,
  unprotectPrivateMessage,
  withConfirmationTag,
  type UnframedContent,
} from '../../../src/mls/framing/index.js'
import type { SecretTree } from '../../../src/mls/schedule/index.js'
import {
  ContentType,
  encodeAuthData,
  ProposalType,
  SenderType,
  WireFormat,
  type PrivateMessage,
  type Sender,
} from '../../../src/mls/wire/index.js'
import { countingSuite } from '../schedule/suites.js'
import { BLANK_LEAF, fixture, forgePrivateMessage, N_LEAVES, snapshot } from './fixture.js'

const PRIVATE = WireFormat.mls_private_message
const code = (c: string) => expect.objectContaining({ code: c })
const member = (leafIndex: number): Sender => ({ senderType: SenderType.member, leafIndex })
const app = (leaf: number, text = 'hello'): UnframedContent => ({
  sender: member(leaf),
  contentType: ContentType.application,
  applicationData: new TextEncoder().encode(text),
})
const flip = (b: Uint8Array, i: number) => {
  const out = b.slice()
  out[i]! ^= 1
  return out
}

describe.each(CIPHER_SUITE_IDS)('PrivateMessage, suite %i', (id) => {
  const fx = fixture(id)
  const { ctx, senders } = fx
  const priv = (leaf: number) => fx.members[leaf]!.privateKey

  /** Sends `count` application messages from `leaf` with a fresh sender tree. */
  function send(leaf: number, count = 1, content = app(leaf)): { messages: PrivateMessage[]; tree: SecretTree } {
    const tree = fx.tree()
    const messages = Array.from({ length: count }, () => createPrivateMessage(ctx, content, priv(leaf), fx.keys(tree)))
    return { messages, tree }
  }

  /** Expects unprotect to fail with `c` and the receiver tree to stay byte-identical. */
  function rejects(pm: PrivateMessage, receiver: SecretTree, c: string, context = ctx): void {
    const before = snapshot(receiver)
    expect(() => unprotectPrivateMessage(context, pm, fx.keys(receiver), senders)).toThrow(code(c))
    expect(snapshot(receiver)).toBe(before)
  }

  it('application, proposal and commit round-trip; keys are consumed only by commit()', () => {
    const sender = fx.tree()
    const receiver = fx.tree()
    const m1 = createPrivateMessage(ctx, { ...app(1), authenticatedData: new Uint8Array([7]) }, priv(1), fx.keys(sender))
    const staged = unprotectPrivateMessage(ctx, m1, fx.keys(receiver), senders)
    expect(staged.content.content.authenticatedData).toEqual(new Uint8Array([7]))
    expect(staged.generation).toBe(0)
    const before = snapshot(receiver)
    staged.discard()
    expect(snapshot(receiver)).toBe(before)
    const again = unprotectPrivateMessage(ctx, m1, fx.keys(receiver), senders)
    expect(snapshot(receiver)).toBe(before) // verified but not yet consumed
    again.commit()
    expect(snapshot(receiver)).not.toBe(before)
    expect(receiver.currentGeneration(1, 'application')).toBe(1)

    const proposal: UnframedContent = {
      sender: member(1),
      contentType: ContentType.proposal,
      proposal: { proposalType: ProposalType.remove, remove: { removed: 0 } },
    }
    const m2 = createPrivateMessage(ctx, proposal, priv(1), fx.keys(sender))
    unprotectPrivateMessage(ctx, m2, fx.keys(receiver), senders).commit()
    expect(receiver.currentGeneration(1, 'handshake')).toBe(1)

    const commit = signContent(ctx, PRIVATE, { sender: member(1), contentType: ContentType.commit, commit: { proposals: [] } }, priv(1))
    const tag = new Uint8Array(fx.suite.Nh).fill(3)
    const m3 = protectPrivateMessage(ctx, withConfirmationTag(commit, tag), fx.keys(sender))
    const got = unprotectPrivateMessage(ctx, m3, fx.keys(receiver), senders)
    expect(got.content.auth.confirmationTag).toEqual(tag)
    expect(got.generation).toBe(1)
    got.commit()
    expect(snapshot(receiver)).toBe(snapshot(sender))
  })

  it('bad signature: member 1 framed, member 3 signed', () => {
    const receiver = fx.tree()
    const forged = createPrivateMessage(ctx, app(1), priv(3), fx.keys(fx.tree()))
    rejects(forged, receiver, 'MLS_INVALID_SIGNATURE')
    // The same generation is still available to the genuine message.
    const genuine = send(1).messages[0]!
    unprotectPrivateMessage(ctx, genuine, fx.keys(receiver), senders).commit()
  })

  it('wrong epoch and wrong group id are refused before any decryption', () => {
    const { suite, counts, reset } = countingSuite(fx.suite)
    const receiver = fx.tree(undefined, suite)
    const pm = send(1).messages[0]!
    const counted = (change = {}) => createFramingContext(suite, { ...fx.groupContext, ...change })
    reset()
    rejects({ ...pm, epoch: pm.epoch + 1n }, receiver, 'MLS_WRONG_EPOCH', counted())
    rejects(pm, receiver, 'MLS_WRONG_EPOCH', counted({ epoch: 8n }))
    rejects({ ...pm, groupId: flip(pm.groupId, 0) }, receiver, 'MLS_WRONG_GROUP_ID', counted())
    rejects(pm, receiver, 'MLS_WRONG_GROUP_ID', counted({ groupId: flip(fx.groupContext.groupId, 3) }))
    expect(counts.expandWithLabel + counts.deriveTreeSecret).toBe(0)
    // Same group and epoch, another GroupContext: the signature binds it.
    rejects(pm, receiver, 'MLS_INVALID_SIGNATURE', fx.contextWith({ treeHash: new Uint8Array(fx.suite.Nh) }))
  })

  it('replayed generation is MLS_GENERATION_REUSED; out-of-order within the window is accepted once', () => {
    const receiver = fx.tree()
    const { messages } = send(3, 4)
    unprotectPrivateMessage(ctx, messages[0]!, fx.keys(receiver), senders).commit()
    rejects(messages[0]!, receiver, 'MLS_GENERATION_REUSED')
    unprotectPrivateMessage(ctx, messages[3]!, fx.keys(receiver), senders).commit()
    unprotectPrivateMessage(ctx, messages[1]!, fx.keys(receiver), senders).commit()
    rejects(messages[1]!, receiver, 'MLS_GENERATION_REUSED')
    rejects(messages[3]!, receiver, 'MLS_GENERATION_REUSED')
    unprotectPrivateMessage(ctx, messages[2]!, fx.keys(receiver), senders).commit()
  })

  it('generation too far ahead is MLS_GENERATION_TOO_FAR, before any ratchet derivation', () => {
    const sender = fx.tree()
    // Move the sender's ratchet 1001 steps without sending (the default window is 1000).
    for (let g = 0; g < 1001; g++) sender.stageNextKey(1, 'application').commit()
    const pm = createPrivateMessage(ctx, app(1), priv(1), fx.keys(sender))
    const { suite, counts, reset } = countingSuite(fx.suite)
    const receiver = fx.tree(undefined, suite)
    const counted = createFramingContext(suite, fx.groupContext)
    reset()
    rejects(pm, receiver, 'MLS_GENERATION_TOO_FAR', counted)
    expect(counts.deriveTreeSecret).toBe(0)
    expect(counts.expandWithLabel).toBe(2) // the sender data key and nonce, nothing else
    // A receiver configured with a smaller window.
    const near = send(1, 12).messages[11]!
    rejects(near, fx.tree({ maxForwardDistance: 10 }), 'MLS_GENERATION_TOO_FAR')
  })

  it('non-zero padding is DECODE_INVALID_PADDING; zero padding is accepted', () => {
    const content = app(1)
    const ac = signContent(ctx, PRIVATE, content, priv(1))
    const plaintext = (padding: number[]) => {
      const w = new Writer()
      w.bytes(encodeBody(ac.content))
      encodeAuthData(w, ac.auth, ContentType.application)
      w.bytes(Uint8Array.from(padding))
      return w.finish()
    }
    const sender = fx.tree()
    const receiver = fx.tree()
    for (const padding of [[1], [0, 0, 0, 0, 0x80], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]) {
      rejects(forgePrivateMessage(fx, sender, 1, ContentType.application, plaintext(padding)), receiver, 'DECODE_INVALID_PADDING')
    }
    const ok = forgePrivateMessage(fx, sender, 1, ContentType.application, plaintext(new Array(40).fill(0)))
    const staged = unprotectPrivateMessage(ctx, ok, fx.keys(receiver), senders)
    expect(staged.content.content).toEqual(ac.content)
  })

  it('padding policy: the plaintext is padded to a multiple of N with zeros and still verifies', () => {
    const receiver = fx.tree()
    const sender = fx.tree()
    const tagLength = 16
    for (const [text, n] of [['a', 64], ['x'.repeat(300), 256], ['', 1]] as const) {
      const pm = createPrivateMessage(ctx, app(0, text), priv(0), fx.keys(sender), { padding: { multipleOf: n } })
      expect((pm.ciphertext.length - tagLength) % n).toBe(0)
      const staged = unprotectPrivateMessage(ctx, pm, fx.keys(receiver), senders)
      expect(new TextDecoder().decode((staged.content.content as { applicationData: Uint8Array }).applicationData)).toBe(text)
      staged.commit()
    }
    // Padding after a longer message: the sender's plaintext buffer is reused, its padding must still be written as zeros.
    for (const [text, n] of [['y'.repeat(2000), 1], ['b', 4096], ['z'.repeat(70_000), 1], ['c', 1024]] as const) {
      const pm = createPrivateMessage(ctx, app(0, text), priv(0), fx.keys(sender), { padding: { multipleOf: n } })
      const staged = unprotectPrivateMessage(ctx, pm, fx.keys(receiver), senders)
      expect(new TextDecoder().decode((staged.content.content as { applicationData: Uint8Array }).applicationData)).toBe(text)
      staged.commit()
    }
    for (const bad of [{ multipleOf: 0 }, { multipleOf: 1.5 }, { multipleOf: 1 << 20 }]) {
      expect(() => createPrivateMessage(ctx, app(0), priv(0), fx.keys(sender), { padding: bad })).toThrow(code('MLS_INVALID_CONFIG'))
    }
  })

  it('tampered sender data, ciphertext, authenticated_data or content_type are refused', () => {
    const receiver = fx.tree()
    const pm = send(1).messages[0]!
    for (let i = 0; i < pm.encryptedSenderData.length; i += 5) {
      rejects({ ...pm, encryptedSenderData: flip(pm.encryptedSenderData, i) }, receiver, 'MLS_SENDER_DATA_DECRYPT_FAILED')
    }
    // The first Nh octets are the sender data key sample.
    rejects({ ...pm, ciphertext: flip(pm.ciphertext, 0) }, receiver, 'MLS_SENDER_DATA_DECRYPT_FAILED')
    rejects({ ...pm, ciphertext: flip(pm.ciphertext, pm.ciphertext.length - 1) }, receiver, 'MLS_CONTENT_DECRYPT_FAILED')
    rejects({ ...pm, authenticatedData: new Uint8Array([1]) }, receiver, 'MLS_CONTENT_DECRYPT_FAILED')
    rejects({ ...pm, contentType: ContentType.proposal }, receiver, 'MLS_SENDER_DATA_DECRYPT_FAILED')
    // Sender data that decrypts but is not a 12-octet SenderData.
    const sender = fx.tree()
    const long = forgePrivateMessage(fx, sender, 1, ContentType.application, new Uint8Array(40), {
      senderDataPlaintext: new Uint8Array(13),
    })
    rejects(long, receiver, 'MLS_SENDER_DATA_DECRYPT_FAILED')
    unprotectPrivateMessage(ctx, pm, fx.keys(receiver), senders).commit()
  })

  it('a blank or unknown sender leaf is MLS_UNKNOWN_SENDER, before any ratchet derivation', () => {
    const { suite, counts, reset } = countingSuite(fx.suite)
    const receiver = fx.tree(undefined, suite)
    // Leaf 2 is blank in the receiver's view, even though a secret tree leaf exists for it.
    const fromBlank = createPrivateMessage(ctx, app(BLANK_LEAF), priv(1), fx.keys(fx.tree()))
    const outside = forgePrivateMessage(fx, fx.tree(), 1, ContentType.application, new Uint8Array(8), { senderLeaf: N_LEAVES + 5 })
    const counted = createFramingContext(suite, fx.groupContext)
    reset()
    rejects(fromBlank, receiver, 'MLS_UNKNOWN_SENDER', counted)
    rejects(outside, receiver, 'MLS_UNKNOWN_SENDER', counted)
    expect(counts.deriveTreeSecret).toBe(0)
    expect(counts.expandWithLabel).toBe(4) // two sender data derivations each
  })

  it('protect-side rules: members only, the right wire format, commits with their tag', () => {
    const keys = fx.keys(fx.tree())
    const ext: UnframedContent = {
      sender: { senderType: SenderType.external, senderIndex: 0 },
      contentType: ContentType.proposal,
      proposal: { proposalType: ProposalType.remove, remove: { removed: 1 } },
    }
    expect(() => createPrivateMessage(ctx, ext, fx.external.privateKey, keys)).toThrow(code('MLS_INVALID_SENDER'))
    const commit: UnframedContent = { sender: member(0), contentType: ContentType.commit, commit: { proposals: [] } }
    expect(() => createPrivateMessage(ctx, commit, priv(0), keys)).toThrow(code('MLS_MISSING_CONFIRMATION_TAG'))
    expect(() => protectPrivateMessage(ctx, signContent(ctx, PRIVATE, commit, priv(0)), keys)).toThrow(code('MLS_MISSING_CONFIRMATION_TAG'))
    const pub = signContent(ctx, WireFormat.mls_public_message, commit, priv(0))
    expect(() => protectPrivateMessage(ctx, withConfirmationTag(pub, new Uint8Array(4)), keys)).toThrow(code('MLS_INVALID_WIRE_FORMAT'))
    const before = snapshot(keys.secretTree as SecretTree)
    const other = fx.contextWith({ epoch: 9n })
    expect(() => protectPrivateMessage(other, withConfirmationTag(signContent(ctx, PRIVATE, commit, priv(0)), new Uint8Array(4)), keys)).toThrow(
      code('MLS_WRONG_EPOCH'),
    )
    expect(() => createPrivateMessage(ctx, app(0), priv(0), { ...keys, senderDataSecret: new Uint8Array(5) })).toThrow(
      code('MLS_INVALID_SECRET_LENGTH'),
    )
    expect(snapshot(keys.secretTree as SecretTree)).toBe(before) // no sending key burnt by a refused protect
  })

  it('deletion (§9.2): a used key is gone from both serialized trees; a skipped one stays until used', () => {
    const contains = (tree: SecretTree, needle: Uint8Array) => snapshot(tree).includes(Buffer.from(needle).toString('hex'))
    const keyOf = (g: number) => {
      const s = fx.tree().stageKey(0, 'application', g)
      const k = { key: s.key.slice(), nonce: s.nonce.slice() }
      s.discard()
      return k
    }
    const { messages, tree: sender } = send(0, 3)
    const receiver = fx.tree()
    unprotectPrivateMessage(ctx, messages[2]!, fx.keys(receiver), senders).commit()
    for (const t of [sender, receiver]) expect(contains(t, keyOf(2).key)).toBe(false)
    expect(contains(sender, keyOf(0).key)).toBe(false) // the sender keeps none of its own keys
    expect(contains(receiver, keyOf(0).key)).toBe(true) // skipped, still needed for the late message
    unprotectPrivateMessage(ctx, messages[0]!, fx.keys(receiver), senders).commit()
    expect(contains(receiver, keyOf(0).key)).toBe(false)
    expect(contains(receiver, keyOf(0).nonce)).toBe(false)
  })

  it('two staged messages: committing one makes the other stale; nothing is consumed twice', () => {
    const receiver = fx.tree()
    const { messages } = send(0, 2)
    const a = unprotectPrivateMessage(ctx, messages[0]!, fx.keys(receiver), senders)
    const b = unprotectPrivateMessage(ctx, messages[1]!, fx.keys(receiver), senders)
    a.commit()
    expect(() => b.commit()).toThrow(code('MLS_STALE_STAGE'))
    b.discard()
    const afterA = snapshot(receiver)
    expect(() => a.commit()).toThrow(code('MLS_STALE_STAGE')) // no double consumption
    a.discard() // a no-op once committed
    expect(snapshot(receiver)).toBe(afterA)
    unprotectPrivateMessage(ctx, messages[1]!, fx.keys(receiver), senders).commit()
    expect(receiver.currentGeneration(0, 'application')).toBe(2)
  })
})
