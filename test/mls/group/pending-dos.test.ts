/**
 * A received proposal that could never be committed must not enter the
 * cache: otherwise every member's next Commit (which covers the pending
 * proposals) fails, and one hostile member blocks the group. Covered: an
 * Update or an Add whose encryption key is already held by a node of the
 * tree, and an Update taking another member's signature key
 * (§7.3 uniqueness), refused at receipt with the tree's codes; the state is
 * unchanged and the next Commit goes through.
 */
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import { signContent } from '../../../src/mls/framing/authentication.js'
import { protectPublicMessage } from '../../../src/mls/framing/public-message.js'
import type { MlsGroup } from '../../../src/mls/group/index.js'
import { buildLeafNode } from '../../../src/mls/keys/index.js'
import { encodeMLSMessage, ProposalType, WireFormat } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { commitAndDeliver, makeGroup } from './helpers.js'

/** b proposes an Update of its leaf with the given keys, signed properly (a hostile but authentic member). */
function hostileUpdate(b: MlsGroup, keys: { encryptionKey?: Uint8Array; signatureKey?: Uint8Array }, leafSigner?: Uint8Array): Uint8Array {
  const s = b.currentState
  const leaf = s.tree.leaf(s.ownLeaf)!
  const fresh = { ...leaf, encryptionKey: keys.encryptionKey ?? leaf.encryptionKey, signatureKey: keys.signatureKey ?? leaf.signatureKey }
  const node = buildLeafNode(s.suite, leafSigner ?? s.signaturePriv, fresh, { leafNodeSource: 2 }, { groupId: b.groupId, leafIndex: s.ownLeaf })
  const ac = signContent(
    s.epoch.framing,
    WireFormat.mls_public_message,
    { sender: { senderType: 1, leafIndex: s.ownLeaf }, contentType: 2, proposal: { proposalType: ProposalType.update, update: { leafNode: node } } },
    s.signaturePriv,
  )
  return encodeMLSMessage({ version: 1, wireFormat: WireFormat.mls_public_message, publicMessage: protectPublicMessage(s.epoch.framing, ac, s.epoch.keys.membershipKey) })
}

async function expectRefused(g: MlsGroup, msg: Uint8Array, code: string): Promise<void> {
  const before = toHex(g.serialize())
  let err: unknown
  try {
    await g.processMessage(msg)
  } catch (e) {
    err = e
  }
  expect(isTalosError(err), `expected ${code}, got ${String(err)}`).toBe(true)
  expect((err as { code: string }).code).toBe(code)
  expect(toHex(g.serialize())).toBe(before)
}

describe('uncommittable proposals are refused at receipt', () => {
  it("an Update reusing another node's encryption key or another member's signature key", async () => {
    const [a, b, c] = await makeGroup(3, 1, { handshake: 'public' })
    await commitAndDeliver(a!, [b!, c!]) // a's path: parent nodes hold keys too
    const cLeaf = c!.currentState.tree.leaf(c!.ownLeafIndex)!
    await expectRefused(a!, hostileUpdate(b!, { encryptionKey: cLeaf.encryptionKey }), 'MLS_DUPLICATE_ENCRYPTION_KEY')
    const tree = a!.currentState.tree
    let parentKey: Uint8Array | undefined
    for (let x = 1; x < 2 * tree.leafCount - 1 && parentKey === undefined; x += 2) parentKey = tree.parent(x)?.encryptionKey
    await expectRefused(a!, hostileUpdate(b!, { encryptionKey: parentKey! }), 'MLS_DUPLICATE_ENCRYPTION_KEY')
    const fresh = await b!.currentState.suite.generateHpkeKeyPair()
    // b holding c's signature key (compromised or colluding) cannot take c's identity over by Update
    await expectRefused(a!, hostileUpdate(b!, { encryptionKey: fresh.publicKey, signatureKey: cLeaf.signatureKey }, c!.currentState.signaturePriv), 'MLS_DUPLICATE_SIGNATURE_KEY')
    // the group is not blocked
    await commitAndDeliver(a!, [b!, c!])
  })

  it('two cached Updates bringing the same new key: the committer takes only the first', async () => {
    const [a, b, c] = await makeGroup(3, 1, { handshake: 'public' })
    const shared = await a!.currentState.suite.generateHpkeKeyPair()
    await a!.processMessage(hostileUpdate(b!, { encryptionKey: shared.publicKey }))
    await a!.processMessage(hostileUpdate(c!, { encryptionKey: shared.publicKey }))
    const out = await a!.commit()
    a!.mergePendingCommit()
    expect(out.commit.length).toBeGreaterThan(0)
    expect(toHex(a!.currentState.tree.leaf(b!.ownLeafIndex)!.encryptionKey)).toBe(toHex(shared.publicKey))
  })
})
