/**
 * Group capabilities with consensus: valid only once every member at the
 * grant's epoch approved; a refusal, a membership change, or anything forged
 * keeps it from being valid. Verification is a pure function of (grant,
 * approvals, view), so these tests are all calls to it.
 */
import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import { answerGroupCapability, createGroupCapabilityGrant, type CapabilitySigner } from '../../src/capabilities/grant.js'
import { verifyGroupCapability, type GroupView } from '../../src/capabilities/verify.js'
import { GroupCapabilityApproval, GroupCapabilityGrant } from '../../src/proto/capability.js'

function member(name: string): CapabilitySigner & { publicKey: Uint8Array } {
  const kp = ed25519.generateKeyPair()
  return { did: `did:talos:${name}`, publicKey: kp.publicKey, sign: (m) => ed25519.sign(kp.privateKey, m) }
}

const alice = member('alice')
const bob = member('bob')
const carol = member('carol')
const dave = member('dave')
const eve = member('eve') // never a member
const everyone = [alice, bob, carol, dave, eve]
const publicKeyOf = (did: string): Uint8Array | undefined => everyone.find((m) => m.did === did)?.publicKey
const groupId = new Uint8Array(16).fill(1)
const otherGroup = new Uint8Array(16).fill(2)
const SCOPE = 'tools/shared_resource'

const view = (over: Partial<GroupView> = {}): GroupView => ({
  groupId,
  epoch: 5,
  members: [carol.did, alice.did, bob.did],
  publicKeyOf,
  ...over,
})

const grantAt5 = (requireConsensus = true, scope = SCOPE): GroupCapabilityGrant =>
  createGroupCapabilityGrant({ groupId, scope, requireConsensus, epoch: 5, members: [bob.did, alice.did, carol.did] }, alice)

describe('consensus grants', () => {
  it('stay pending until every member approved, then are valid', () => {
    const grant = grantAt5()
    expect(grant.members).toEqual([alice.did, bob.did, carol.did]) // sorted
    expect(verifyGroupCapability(grant, [], view())).toEqual({ status: 'pending', missing: [bob.did, carol.did], ignored: [] })
    const fromBob = answerGroupCapability(grant, bob, 'approve')
    expect(verifyGroupCapability(grant, [fromBob], view())).toMatchObject({ status: 'pending', missing: [carol.did] })
    const fromCarol = answerGroupCapability(grant, carol, 'approve')
    expect(verifyGroupCapability(grant, [fromCarol, fromBob], view())).toEqual({ status: 'valid', ignored: [] })
    // Pure: same inputs, same answer; approval order does not matter.
    expect(verifyGroupCapability(grant, [fromBob, fromCarol], view())).toEqual({ status: 'valid', ignored: [] })
  })

  it('a member who refuses keeps the grant from ever being valid (the refusal is signed too)', () => {
    const grant = grantAt5()
    const approvals = [answerGroupCapability(grant, bob, 'approve'), answerGroupCapability(grant, carol, 'refuse')]
    expect(verifyGroupCapability(grant, approvals, view())).toEqual({ status: 'refused', by: [carol.did], ignored: [] })
    // Carol approving as well does not undo her refusal.
    approvals.push(answerGroupCapability(grant, carol, 'approve'))
    expect(verifyGroupCapability(grant, approvals, view())).toMatchObject({ status: 'refused', by: [carol.did] })
    // A refusal "from carol" that bob signed does not count.
    const forged = answerGroupCapability(grant, bob, 'refuse')
    const asCarol = { ...forged, approver: carol.did }
    const approvedByAll = [answerGroupCapability(grant, bob, 'approve'), answerGroupCapability(grant, carol, 'approve'), asCarol]
    expect(verifyGroupCapability(grant, approvedByAll, view())).toEqual({
      status: 'valid',
      ignored: [{ index: 2, reason: 'signature does not verify' }],
    })
  })

  it('a membership change before completion voids a pending grant, and late approvals cannot revive it', () => {
    const grant = grantAt5()
    const fromBob = answerGroupCapability(grant, bob, 'approve')
    // Dave is added at epoch 6 before Carol answers.
    const afterAdd = view({ epoch: 6, membershipEpoch: 6, members: [alice.did, bob.did, carol.did, dave.did] })
    expect(verifyGroupCapability(grant, [fromBob], afterAdd)).toMatchObject({ status: 'void' })
    const fromCarol = answerGroupCapability(grant, carol, 'approve')
    expect(verifyGroupCapability(grant, [fromBob, fromCarol], afterAdd)).toMatchObject({ status: 'void' })
    // Carol is removed at epoch 6: her approval, signed after her removal, must not complete it.
    const afterRemove = view({ epoch: 6, membershipEpoch: 6, members: [alice.did, bob.did] })
    expect(verifyGroupCapability(grant, [fromBob, fromCarol], afterRemove)).toMatchObject({ status: 'void' })
    // Even a view that forgets to say when membership changed is void on the member set alone.
    expect(verifyGroupCapability(grant, [fromBob, fromCarol], view({ members: [alice.did, bob.did, dave.did] }))).toMatchObject({
      status: 'void',
    })
  })

  it('epochs that only rotated keys keep a grant alive when the view says so; by default only its own epoch counts', () => {
    const grant = grantAt5()
    const all = [answerGroupCapability(grant, bob, 'approve'), answerGroupCapability(grant, carol, 'approve')]
    expect(verifyGroupCapability(grant, all, view({ epoch: 9, membershipEpoch: 4 }))).toMatchObject({ status: 'valid' })
    expect(verifyGroupCapability(grant, all, view({ epoch: 9 }))).toMatchObject({ status: 'void' })
    expect(verifyGroupCapability(grant, all, view({ epoch: 4 }))).toMatchObject({ status: 'void' }) // from the future
  })

  it('approvals for anything else do not count: another scope, another group, a non-member, a bad signature', () => {
    const grant = grantAt5()
    const otherScope = grantAt5(true, 'tools/other')
    const inOtherGroup = createGroupCapabilityGrant(
      { groupId: otherGroup, scope: SCOPE, requireConsensus: true, epoch: 5, members: [alice.did, bob.did, carol.did] },
      alice,
    )
    const sig = answerGroupCapability(grant, carol, 'approve').signature.slice()
    sig[0] ^= 1
    const approvals = [
      answerGroupCapability(grant, bob, 'approve'),
      answerGroupCapability(otherScope, carol, 'approve'),
      answerGroupCapability(inOtherGroup, carol, 'approve'),
      { ...answerGroupCapability(grant, carol, 'approve'), signature: sig },
      { ...answerGroupCapability(grant, bob, 'approve'), approver: eve.did },
    ]
    expect(verifyGroupCapability(grant, approvals, view())).toEqual({
      status: 'pending',
      missing: [carol.did],
      ignored: [
        { index: 1, reason: 'answers another grant' },
        { index: 2, reason: 'answers another grant' },
        { index: 3, reason: 'signature does not verify' },
        { index: 4, reason: 'approver is not a member of the grant' },
      ],
    })
    expect(() => answerGroupCapability(grant, eve, 'approve')).toThrow(expect.objectContaining({ code: 'CAPABILITY_NOT_A_MEMBER' }))
  })

  it('a tampered or ill-formed grant is invalid, and a grant for another group is void', () => {
    const grant = grantAt5()
    const approvals = [answerGroupCapability(grant, bob, 'approve'), answerGroupCapability(grant, carol, 'approve')]
    const cases: Array<[GroupCapabilityGrant, string]> = [
      [{ ...grant, scope: 'tools/everything' }, 'invalid'],
      [{ ...grant, members: [...grant.members, eve.did].sort() }, 'invalid'],
      [{ ...grant, requireConsensus: false }, 'invalid'],
      [{ ...grant, members: [carol.did, bob.did, alice.did] }, 'invalid'],
      [{ ...grant, grantor: dave.did }, 'invalid'],
      [{ ...grant, signature: new Uint8Array(3) }, 'invalid'],
      [{ ...grant, nonce: new Uint8Array(0) }, 'invalid'],
    ]
    for (const [g, status] of cases) expect(verifyGroupCapability(g, approvals, view()).status).toBe(status)
    expect(verifyGroupCapability(grant, approvals, view({ groupId: otherGroup }))).toMatchObject({ status: 'void' })
    expect(() => verifyGroupCapability(grant, approvals, view({ epoch: 1.5 }))).toThrow(
      expect.objectContaining({ code: 'CAPABILITY_INVALID_VIEW' }),
    )
  })
})

describe('grants without consensus', () => {
  it('are valid at once for the membership they were made for, and void after it changes', () => {
    const grant = grantAt5(false)
    expect(verifyGroupCapability(grant, [], view())).toEqual({ status: 'valid', ignored: [] })
    expect(verifyGroupCapability(grant, [], view({ epoch: 6, membershipEpoch: 6, members: [alice.did, bob.did] }))).toMatchObject({
      status: 'void',
    })
  })
})

describe('creating grants and the wire form', () => {
  it('refuses a grantor outside the group and bad scopes', () => {
    const req = { groupId, scope: SCOPE, requireConsensus: true, epoch: 5, members: [bob.did, carol.did] }
    expect(() => createGroupCapabilityGrant(req, alice)).toThrow(expect.objectContaining({ code: 'CAPABILITY_NOT_A_MEMBER' }))
    for (const scope of ['', 'x'.repeat(257), 'bad\nscope']) {
      expect(() => createGroupCapabilityGrant({ ...req, scope, members: [alice.did] }, alice)).toThrow(
        expect.objectContaining({ code: 'CAPABILITY_INVALID_GRANT' }),
      )
    }
  })

  it('round-trips through Protobuf and still verifies; hostile bytes give the typed decode error', () => {
    const grant = grantAt5()
    const approvals = [answerGroupCapability(grant, bob, 'approve'), answerGroupCapability(grant, carol, 'approve')]
    const g2 = decodeProto(GroupCapabilityGrant, encodeProto(GroupCapabilityGrant, grant))
    const a2 = approvals.map((a) => decodeProto(GroupCapabilityApproval, encodeProto(GroupCapabilityApproval, a)))
    expect(verifyGroupCapability(g2, a2, view())).toEqual({ status: 'valid', ignored: [] })
    const bytes = encodeProto(GroupCapabilityGrant, grant)
    expect(() => decodeProto(GroupCapabilityGrant, bytes.subarray(0, bytes.length - 5))).toThrow(
      expect.objectContaining({ code: 'DECODE_PROTOBUF' }),
    )
  })
})

describe('caller-owned bytes', () => {
  it('a grant keeps real copies of a Node Buffer groupId and nonce (Buffer#slice is a view): the caller may reuse them', () => {
    const gid = Buffer.from(groupId)
    const nonce = Buffer.alloc(32, 5)
    const grant = createGroupCapabilityGrant({ groupId: gid, scope: SCOPE, requireConsensus: false, epoch: 5, members: [bob.did, alice.did, carol.did], nonce }, alice)
    gid.fill(9)
    nonce.fill(0)
    expect([...grant.groupId]).toEqual([...groupId])
    expect(grant.nonce.every((b) => b === 5)).toBe(true)
    expect(verifyGroupCapability(grant, [], view()).status).toBe('valid')
  })
})
