/**
 * Byte-level behaviour of the wire codecs that the vectors do not pin down:
 * the documented choices for unknown values, presence rules of the selects
 * keyed outside their struct, padding, tree-shape rules, TBS construction and
 * exact-bytes decoding.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode, Reader, Writer } from '../../../src/codec/tls.js'
import { isTalosError } from '../../../src/errors.js'
import {
  confirmedTranscriptHashInputCodec,
  ContentType,
  credentialCodec,
  CredentialType,
  decodeMLSMessage,
  decodeMLSMessageKeyPackage,
  decodePrivateMessageContent,
  encodePrivateMessageContent,
  framedContentTbsBytes,
  framedContentTbsCodec,
  groupInfoCodec,
  groupInfoTbsBytes,
  isBasicCredential,
  isX509Credential,
  leafNodeCodec,
  LeafNodeSource,
  leafNodeTbsBytes,
  mlsMessageCodec,
  MLS10,
  proposalCodec,
  publicMessageCodec,
  ratchetTreeCodec,
  SenderType,
  senderCodec,
  senderDataCodec,
  withBytes,
  WireFormat,
  type FramedContent,
  type GroupContext,
  type GroupInfo,
  type LeafNode,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (isTalosError(e)) return e.code
    throw e
  }
  throw new Error('expected a TalosError, nothing was thrown')
}

const leaf = (over: Partial<LeafNode> = {}): LeafNode =>
  ({
    encryptionKey: hex('e1e2'),
    signatureKey: hex('5151'),
    credential: { credentialType: CredentialType.basic, identity: hex('41') },
    capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials: [1] },
    leafNodeSource: LeafNodeSource.update,
    extensions: [],
    signature: hex('aabbcc'),
    ...over,
  }) as LeafNode

const content = (senderType: number, contentType: ContentType = ContentType.application): FramedContent =>
  ({
    groupId: hex('67'),
    epoch: 5n,
    sender:
      senderType === SenderType.member
        ? { senderType, leafIndex: 2 }
        : senderType === SenderType.external
          ? { senderType, senderIndex: 0 }
          : { senderType },
    authenticatedData: new Uint8Array(0),
    ...(contentType === ContentType.application
      ? { contentType, applicationData: hex('6869') }
      : { contentType, commit: { proposals: [] } }),
  }) as FramedContent

const gc: GroupContext = {
  version: MLS10,
  cipherSuite: 1,
  groupId: hex('67'),
  epoch: 5n,
  treeHash: hex('74'),
  confirmedTranscriptHash: hex('63'),
  extensions: [],
}

describe('Credential (RFC 9420 §5.3)', () => {
  it('basic: type 0x0001 then identity<V>', () => {
    const c = decode(credentialCodec, hex('0001' + '03414243'))
    expect(isBasicCredential(c) && toHex(c.identity)).toBe('414243')
  })
  it('x509: type 0x0002 then a vector of cert_data<V>', () => {
    const bytes = hex('0002' + '05' + '02aaaa' + '01bb')
    const c = decode(credentialCodec, bytes)
    expect(isX509Credential(c) && c.certificates.map(toHex)).toEqual(['aaaa', 'bb'])
    expect(toHex(encode(credentialCodec, c))).toBe(toHex(bytes))
  })
  it('an unknown type (GREASE 0x0A0A) is kept with its <V> body and re-encoded verbatim', () => {
    const bytes = hex('0a0a' + '03010203')
    const c = decode(credentialCodec, bytes)
    expect(c).toEqual({ credentialType: 0x0a0a, body: hex('010203') })
    expect(isBasicCredential(c) || isX509Credential(c)).toBe(false)
    expect(toHex(encode(credentialCodec, c))).toBe('0a0a03010203')
  })
})

describe('LeafNodeTBS (RFC 9420 §7.2)', () => {
  it('is the LeafNode minus its signature, plus group_id<V> and uint32 leaf_index for update leaves', () => {
    const l = leaf()
    const full = encode(leafNodeCodec, l)
    const tbs = leafNodeTbsBytes(l, { groupId: hex('6767'), leafIndex: 7 })
    expect(toHex(tbs)).toBe(toHex(full.subarray(0, full.length - 4)) + '026767' + '00000007')
    expect(toHex(leafNodeTbsBytes(l, { groupId: hex('6767'), leafIndex: 7 }, full))).toBe(toHex(tbs))
  })
  it('has no context for key_package leaves and refuses one', () => {
    const l = leaf({ leafNodeSource: LeafNodeSource.key_package, lifetime: { notBefore: 0n, notAfter: 1n } } as never)
    const full = encode(leafNodeCodec, l)
    expect(toHex(leafNodeTbsBytes(l))).toBe(toHex(full.subarray(0, full.length - 4)))
    expect(codeOf(() => leafNodeTbsBytes(l, { groupId: hex('67'), leafIndex: 0 }))).toBe('MLS_INVALID_STRUCTURE')
  })
  it('requires the context for update and commit leaves', () => {
    expect(codeOf(() => leafNodeTbsBytes(leaf()))).toBe('MLS_INVALID_STRUCTURE')
    expect(codeOf(() => leafNodeTbsBytes(leaf({ leafNodeSource: LeafNodeSource.commit, parentHash: hex('') } as never)))).toBe(
      'MLS_INVALID_STRUCTURE',
    )
  })
  it('rejects leaf_node_source 0 and 4 on decode', () => {
    const bytes = encode(leafNodeCodec, leaf())
    const at = bytes.length - 4 /* sig */ - 1 /* extensions */ - 1 /* source */
    expect(bytes[at]).toBe(LeafNodeSource.update)
    for (const bad of [0, 4]) {
      const b = bytes.slice()
      b[at] = bad
      expect(codeOf(() => decode(leafNodeCodec, b))).toBe('DECODE_INVALID_VALUE')
    }
  })
})

describe('framing selects (RFC 9420 §6)', () => {
  it('rejects unknown sender types and content types', () => {
    expect(codeOf(() => decode(senderCodec, hex('00')))).toBe('DECODE_INVALID_VALUE')
    expect(codeOf(() => decode(senderCodec, hex('05')))).toBe('DECODE_INVALID_VALUE')
    const pm = encode(publicMessageCodec, { content: content(SenderType.external), auth: { signature: hex('51') } })
    const ctAt = 1 + 1 + 8 + 5 + 1 // group_id<V>, epoch, sender(external), authenticated_data<V>
    expect(pm[ctAt]).toBe(ContentType.application)
    for (const bad of [0, 4]) {
      const b = pm.slice()
      b[ctAt] = bad
      expect(codeOf(() => decode(publicMessageCodec, b))).toBe('DECODE_INVALID_VALUE')
    }
  })
  it('PublicMessage carries membership_tag exactly for member senders', () => {
    const member = { content: content(SenderType.member), auth: { signature: hex('51') }, membershipTag: hex('77') }
    const bytes = encode(publicMessageCodec, member)
    expect(toHex(bytes).endsWith('0151' + '0177')).toBe(true)
    expect(decode(publicMessageCodec, bytes).membershipTag).toEqual(hex('77'))
    const external = { content: content(SenderType.external), auth: { signature: hex('51') } }
    expect(toHex(encode(publicMessageCodec, external)).endsWith('0151')).toBe(true)
    expect(codeOf(() => encode(publicMessageCodec, { ...external, membershipTag: hex('77') }))).toBe('MLS_INVALID_STRUCTURE')
    expect(codeOf(() => encode(publicMessageCodec, { ...member, membershipTag: undefined }))).toBe('MLS_INVALID_STRUCTURE')
  })
  it('FramedContentAuthData carries confirmation_tag exactly for commits', () => {
    const commit = content(SenderType.member, ContentType.commit)
    expect(
      codeOf(() => encode(publicMessageCodec, { content: commit, auth: { signature: hex('51') }, membershipTag: hex('') })),
    ).toBe('MLS_INVALID_STRUCTURE')
    const ok = { content: commit, auth: { signature: hex('51'), confirmationTag: hex('c7') }, membershipTag: hex('') }
    expect(toHex(encode(publicMessageCodec, ok)).endsWith('0151' + '01c7' + '00')).toBe(true)
  })
  it('FramedContentTBS includes the GroupContext for member and new_member_commit senders only', () => {
    for (const st of [SenderType.member, SenderType.new_member_commit]) {
      const c = content(st, st === SenderType.new_member_commit ? ContentType.commit : ContentType.application)
      const tbs = framedContentTbsBytes(WireFormat.mls_public_message, c, gc)
      const back = decode(framedContentTbsCodec, tbs)
      expect(back.context).toEqual(gc)
      expect(toHex(tbs.subarray(0, 4))).toBe('00010001')
    }
    for (const st of [SenderType.external, SenderType.new_member_proposal]) {
      const tbs = framedContentTbsBytes(WireFormat.mls_private_message, content(st), gc)
      expect(decode(framedContentTbsCodec, tbs).context).toBeUndefined()
      expect(toHex(tbs.subarray(0, 4))).toBe('00010002')
    }
  })
  it('ConfirmedTranscriptHashInput only takes commits', () => {
    const input = { wireFormat: WireFormat.mls_public_message, content: content(SenderType.member), signature: hex('') }
    expect(codeOf(() => encode(confirmedTranscriptHashInputCodec, input as never))).toBe('MLS_INVALID_STRUCTURE')
  })
})

describe('PrivateMessageContent padding (RFC 9420 §6.3.1)', () => {
  const body = { contentType: ContentType.application, applicationData: hex('6869'), auth: { signature: hex('51') } } as const
  it('appends paddingLength zero octets and reports them back', () => {
    const bytes = encodePrivateMessageContent({ ...body, paddingLength: 5 })
    expect(toHex(bytes)).toBe('026869' + '0151' + '0000000000')
    expect(decodePrivateMessageContent(bytes, ContentType.application)).toEqual({ ...body, paddingLength: 5 })
  })
  it('rejects any non-zero padding octet', () => {
    for (const pad of ['01', '000080', '0000000000000001']) {
      const bytes = hex('026869' + '0151' + pad)
      expect(codeOf(() => decodePrivateMessageContent(bytes, ContentType.application))).toBe('DECODE_INVALID_PADDING')
    }
  })
})

describe('ratchet_tree (RFC 9420 §12.4.3.3)', () => {
  const tree = hex(loadVectors<Record<string, string>>('messages.json')[0]!.ratchet_tree!)
  it('rejects an empty tree and a trailing blank node', () => {
    expect(codeOf(() => decode(ratchetTreeCodec, hex('00')))).toBe('DECODE_INVALID_TREE')
    // Re-frame the same node entries followed by one blank (0x00) entry.
    const r = new Reader(tree)
    const len = r.varint()
    const body = tree.subarray(tree.length - len)
    const withBlank = new Writer().vector((w) => w.bytes(body).u8(0)).finish()
    expect(codeOf(() => decode(ratchetTreeCodec, withBlank))).toBe('DECODE_INVALID_TREE')
    const nodes = decode(ratchetTreeCodec, tree)
    expect(nodes.at(-1)).toBeDefined()
    expect(codeOf(() => encode(ratchetTreeCodec, [...nodes, undefined]))).toBe('MLS_INVALID_STRUCTURE')
    expect(codeOf(() => encode(ratchetTreeCodec, []))).toBe('MLS_INVALID_STRUCTURE')
  })
})

describe('MLSMessage (RFC 9420 §6)', () => {
  const sample = loadVectors<Record<string, string>>('messages.json')[0]!
  it('refuses other protocol versions and unknown wire formats', () => {
    const kp = hex(sample.mls_key_package!)
    for (const [i, v] of [[1, 2], [1, 0], [3, 0], [3, 6], [2, 0xf0]] as const) {
      const b = kp.slice()
      b[i] = v
      expect(codeOf(() => decodeMLSMessage(b))).toBe('DECODE_INVALID_VALUE')
    }
  })
  it('refuses trailing bytes', () => {
    const b = Uint8Array.from([...hex(sample.private_message!), 0])
    expect(codeOf(() => decodeMLSMessage(b))).toBe('DECODE_TRAILING_BYTES')
  })
  it('decodeMLSMessageKeyPackage keeps the exact KeyPackage bytes and refuses other wire formats', () => {
    const { value, bytes } = decodeMLSMessageKeyPackage(hex(sample.mls_key_package!))
    expect(toHex(bytes)).toBe(sample.mls_key_package!.slice(8))
    expect(value.version).toBe(MLS10)
    expect(codeOf(() => decodeMLSMessageKeyPackage(hex(sample.mls_welcome!)))).toBe('DECODE_UNEXPECTED_WIRE_FORMAT')
  })
  it('GroupInfoTBS is the GroupInfo without its signature, from bytes or re-encoded', () => {
    const m = decode(mlsMessageCodec, hex(sample.mls_group_info!))
    if (m.wireFormat !== WireFormat.mls_group_info) throw new Error('not a GroupInfo')
    const gi: GroupInfo = m.groupInfo
    const exact = encode(groupInfoCodec, gi)
    const tbs = groupInfoTbsBytes(gi)
    expect(toHex(groupInfoTbsBytes(gi, exact))).toBe(toHex(tbs))
    expect(toHex(exact)).toBe(toHex(tbs) + toHex(new Writer().opaque(gi.signature).finish()))
  })
})

describe('Proposal types (RFC 9420 §12.1)', () => {
  it('refuses proposal types it cannot frame (reserved, GREASE, extensions)', () => {
    for (const t of ['0000', '0008', '0a0a', 'f000']) {
      expect(codeOf(() => decode(proposalCodec, hex(t + '00')))).toBe('DECODE_INVALID_VALUE')
    }
    expect(decode(proposalCodec, hex('0003' + '00000009'))).toEqual({ proposalType: 3, remove: { removed: 9 } })
  })
})

describe('exact bytes', () => {
  it('withBytes returns the consumed slice and re-encodes it verbatim', () => {
    const leafBytes = encode(leafNodeCodec, leaf())
    const input = Uint8Array.from([...leafBytes, 0xee])
    const r = new Reader(input)
    const got = withBytes(leafNodeCodec).decode(r)
    expect(toHex(got.bytes)).toBe(toHex(leafBytes))
    expect(r.remaining).toBe(1)
    expect(toHex(encode(withBytes(leafNodeCodec), got))).toBe(toHex(leafBytes))
  })
  it('SenderData.reuse_guard is exactly 4 octets', () => {
    expect(toHex(encode(senderDataCodec, { leafIndex: 1, generation: 2, reuseGuard: hex('01020304') }))).toBe(
      '00000001' + '00000002' + '01020304',
    )
    expect(codeOf(() => encode(senderDataCodec, { leafIndex: 1, generation: 2, reuseGuard: hex('010203') }))).toBe(
      'DECODE_INVALID_VALUE',
    )
  })
})
