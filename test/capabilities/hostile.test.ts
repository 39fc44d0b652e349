/**
 * Capability grants and approvals of the wrong shape: fields of the wrong
 * type (a grant rebuilt from JSON, a cast-away type), missing fields,
 * non-objects. Verification answers `invalid` or ignores the approval; the
 * builders throw a TalosError with a stable code; nothing raises a
 * TypeError or signs something other than what the caller showed.
 */
import { describe, expect, it } from 'vitest'
import { answerGroupCapability, createGroupCapabilityGrant, type CapabilitySigner, type GrantRequest } from '../../src/capabilities/grant.js'
import { grantHash } from '../../src/capabilities/index.js'
import { verifyGroupCapability, type GroupView } from '../../src/capabilities/verify.js'
import { ed25519 } from '../../src/crypto/signature/ed25519.js'
import type { GroupCapabilityGrant } from '../../src/proto/capability.js'
import { thrownCode } from '../helpers/errors.js'

function member(name: string): CapabilitySigner & { publicKey: Uint8Array } {
  const kp = ed25519.generateKeyPair()
  return { did: `did:talos:${name}`, publicKey: kp.publicKey, sign: (m) => ed25519.sign(kp.privateKey, m) }
}
const alice = member('alice')
const bob = member('bob')
const groupId = new Uint8Array(16).fill(1)
const request: GrantRequest = { groupId, scope: 'tools/x', requireConsensus: true, epoch: 3, members: [alice.did, bob.did] }
const grant = createGroupCapabilityGrant(request, alice)
const view: GroupView = {
  groupId,
  epoch: 3,
  members: [alice.did, bob.did],
  publicKeyOf: (did) => [alice, bob].find((m) => m.did === did)?.publicKey,
}
const cast = <T>(v: unknown): T => v as T

const codeOf = thrownCode

const WRONG = [undefined, null, 'did:talos:alice', 7, 7n, true, [], {}, new Uint8Array(3), '']
const FIELD_TYPES = {
  groupId: 'bytes',
  scope: 'string',
  epoch: 'bigint',
  members: 'array',
  requireConsensus: 'boolean',
  grantor: 'string',
  nonce: 'bytes',
  signature: 'bytes',
} as const
const FIELDS = Object.keys(FIELD_TYPES) as (keyof typeof FIELD_TYPES)[]
const typeOf = (v: unknown): string =>
  v instanceof Uint8Array ? 'bytes' : Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v

describe('a grant of the wrong shape', () => {
  it.each(FIELDS)('%s of any wrong type: verify says invalid, answer and grantHash throw CAPABILITY_INVALID_GRANT', (field) => {
    for (const bad of WRONG) {
      if (typeOf(bad) === FIELD_TYPES[field]) continue
      const forged = cast<GroupCapabilityGrant>({ ...grant, [field]: bad })
      expect(verifyGroupCapability(forged, [], view).status, `${field}=${String(bad)}`).toBe('invalid')
      expect(codeOf(() => answerGroupCapability(forged, bob, 'approve'))).toBe('CAPABILITY_INVALID_GRANT')
      if (field !== 'signature') expect(codeOf(() => grantHash(forged))).toBe('CAPABILITY_INVALID_GRANT')
    }
  })

  it('non-objects, missing fields and a JSON round trip are invalid, never a crash', () => {
    const json = JSON.parse(JSON.stringify(grant, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    for (const bad of [undefined, null, 'grant', 5, [], {}, json]) {
      expect(verifyGroupCapability(cast(bad), [], view).status).toBe('invalid')
      expect(codeOf(() => answerGroupCapability(cast(bad), bob, 'approve'))).toBe('CAPABILITY_INVALID_GRANT')
      expect(codeOf(() => grantHash(cast(bad)))).toBe('CAPABILITY_INVALID_GRANT')
    }
  })

  it('members that are not all strings are invalid', () => {
    const forged = cast<GroupCapabilityGrant>({ ...grant, members: [alice.did, 5] })
    expect(verifyGroupCapability(forged, [], view)).toEqual({ status: 'invalid', reason: 'member 1 is not a DID' })
  })
})

describe('approvals of the wrong shape are ignored, not fatal', () => {
  it('junk entries are listed in ignored', () => {
    const good = answerGroupCapability(grant, bob, 'approve')
    const junk: unknown[] = [null, 'approve', 5, {}, { ...good, grantHash: 'x' }, { ...good, signature: undefined }, { ...good, approver: 5 }]
    const result = verifyGroupCapability(grant, cast([...junk, good]), view)
    expect(result.status).toBe('valid')
    expect(result.status === 'valid' && result.ignored.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('approvals that are not an array are CAPABILITY_INVALID_ARGUMENT', () => {
    for (const bad of [undefined, null, 'x', {}]) {
      expect(codeOf(() => verifyGroupCapability(grant, cast(bad), view))).toBe('CAPABILITY_INVALID_ARGUMENT')
    }
  })
})

describe("the verifier's own view", () => {
  it.each([
    ['not an object', null],
    ['groupId a string', { ...view, groupId: 'g' }],
    ['members missing', { ...view, members: undefined }],
    ['members not strings', { ...view, members: [1, 2] }],
    ['publicKeyOf missing', { ...view, publicKeyOf: undefined }],
    ['epoch a string', { ...view, epoch: '3' }],
    ['membershipEpoch NaN', { ...view, membershipEpoch: NaN }],
    ['publicKeyOf answering a string', { ...view, publicKeyOf: () => 'k'.repeat(32) }],
  ])('%s is CAPABILITY_INVALID_VIEW', (_, bad) => {
    expect(codeOf(() => verifyGroupCapability(grant, [], cast(bad)))).toBe('CAPABILITY_INVALID_VIEW')
  })
})

describe('building grants and answers from untyped input', () => {
  it.each([
    ['not an object', null],
    ['groupId a string', { ...request, groupId: 'abc' }],
    ['members missing', { ...request, members: undefined }],
    ['epoch a string', { ...request, epoch: '3' }],
    ['epoch not a number', { ...request, epoch: 'x' }],
    ['epoch negative', { ...request, epoch: -1 }],
    ['scope a number', { ...request, scope: 5 }],
    ['scope with a lone surrogate', { ...request, scope: 'a\uD800' }],
    ['requireConsensus a string', { ...request, requireConsensus: 'yes' }],
    ['nonce a string', { ...request, nonce: 'n'.repeat(32) }],
  ])('a request with %s is CAPABILITY_INVALID_GRANT', (_, bad) => {
    expect(codeOf(() => createGroupCapabilityGrant(cast(bad), alice))).toBe('CAPABILITY_INVALID_GRANT')
  })

  it('a grantor that is not a signer, or signs with something else than 64 bytes, is CAPABILITY_INVALID_GRANT', () => {
    for (const bad of [null, {}, { did: alice.did }, { did: alice.did, sign: 'x' }, { did: alice.did, sign: () => 'sig' }]) {
      expect(codeOf(() => createGroupCapabilityGrant(request, cast(bad)))).toBe('CAPABILITY_INVALID_GRANT')
    }
  })

  it('an approver that is not a signer, or a decision other than approve/refuse, is CAPABILITY_INVALID_ARGUMENT', () => {
    for (const bad of [null, {}, { did: bob.did, sign: 5 }, { did: bob.did, sign: () => new Uint8Array(3) }]) {
      expect(codeOf(() => answerGroupCapability(grant, cast(bad), 'approve'))).toBe('CAPABILITY_INVALID_ARGUMENT')
    }
    for (const bad of ['yes', 'approved', undefined, 1]) {
      expect(codeOf(() => answerGroupCapability(grant, bob, cast(bad)))).toBe('CAPABILITY_INVALID_ARGUMENT')
    }
  })
})
