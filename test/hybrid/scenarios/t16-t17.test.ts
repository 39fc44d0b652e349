/**
 * HYBRID.md §8 T16 and T17 on a real MLS group (suite 0x0003).
 *
 * T16: the deletion audit runs inside the harness after every step of every
 * scenario in this folder (MlsSim.step: MlsGroup.serialize() ||
 * HybridSession.serialize() of every active member, against an oracle per
 * epoch); here: it is not vacuous (it finds injected consumed values, the live
 * ones are in the state it searches) and it ran after each step.
 *
 * T17: a real group of 8 with blanks and unmerged leaves (two members removed,
 * a self-commit refilling the path, one member added by a Commit whose path
 * does not cover the new leaf's parents): for every sender the copath rekey
 * targets equal the target set of the UpdatePath src/mls builds on that tree
 * (per filtered-direct-path node, as many entries as encrypted path secrets),
 * every other member holds exactly one target, and end to end each opens its
 * entry with exactly one HPKE decryption (pairwise: one entry per other
 * member, one decryption; plain MLS: the UpdatePath itself).
 */
import { describe, expect, it } from 'vitest'
import type { CipherSuite } from '../../../src/crypto/index.js'
import { copathTargets, rekeyTargets } from '../../../src/hybrid/index.js'
import { createUpdatePath } from '../../../src/mls/treekem/create.js'
import { NodeType } from '../../../src/mls/wire/ratchet-tree.js'
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import { countingSuite, type CountingSuite } from '../harness/counting-suite.js'
import { A, B, C, MODES, MlsSim, viewOf } from '../harness/mls-group.js'

describe('T16: the deletion audit inside the real-MLS harness', () => {
  for (const mode of ['copath', 'pairwise'] as const) {
    it(`T16 (${mode}): runs after every step, finds injected consumed values, and the live ones are where it looks`, async () => {
      const g = await MlsSim.create(mode)
      await g.broadcast(A, 'A1')
      await g.broadcast(B, 'B1')
      await g.advance(2000)
      const a2 = await g.broadcast(A, 'A2') // a rekey
      await g.broadcast(A, 'A3')
      expect(a2.message!.type).toBe(HybridMessageType.DATA_REKEY)
      // create + 4 sends + 12 deliveries + 1 expiry step, each audited
      expect(g.audits).toBe(1 + 4 + 12 + 1)
      expect(g.auditFindings(C)).toEqual([])
      const o = g.oracleOf(g.epoch)
      const state = Buffer.from(g.stateBytes(C))
      // live: C's receive chain for A is at CK[1,2]
      expect(state.indexOf(Buffer.from(o.chainKey(A, 1, 2)))).toBeGreaterThan(-1)
      // consumed, injected: found and named
      expect(g.auditFindings(C, o.chainKey(A, 1, 1))).toEqual([`epoch ${g.epoch}: CK[${A}:1,1]`])
      expect(g.auditFindings(C, o.r(A, 1))).toEqual([`epoch ${g.epoch}: r[${A}:1]`])
      expect(g.auditFindings(C, o.messageKey(A, 0, 0).key)).toEqual([`epoch ${g.epoch}: key[${A}:0,0]`])
      expect(new Set(g.auditFindings(C, o.epochSeed))).toEqual(new Set([`E_e of epoch ${g.epoch} in the MLS state`, `epoch ${g.epoch}: E_e`, `epoch ${g.epoch}: seed[3]`])) // E_e is the seed-tree root
    })
  }
})

async function treeWithBlanksAndUnmerged(mode: (typeof MODES)[number], wrap?: (leaf: number, suite: CipherSuite) => CipherSuite): Promise<MlsSim> {
  const g = await MlsSim.create(mode, { members: 8, wrapSuite: wrap, audit: false })
  await g.remove(A, [5, 6]) // blanks leaves 5, 6 and their direct paths (9, 11, 13)
  await g.selfCommit(4) // refills 11 (9 stays blank: its copath child, leaf 5, is blank, so it is filtered out)
  expect(await g.add(A)).toEqual([5]) // the new leaf is unmerged at 11 (A's path covers only the root)
  const tree = g.member(A).group.currentState.tree
  const blanks = [...Array(tree.nodeCount).keys()].filter((x) => tree.node(x) === undefined)
  expect(blanks).toEqual([5, 9, 12, 13]) // leaf 6; parents 5 (never on a committer's path), 9 and 13
  const unmerged = [...Array(tree.nodeCount).keys()].flatMap((x) => {
    const n = tree.node(x)
    return n !== undefined && n.nodeType === NodeType.parent && n.parentNode.unmergedLeaves.length > 0 ? [[x, n.parentNode.unmergedLeaves]] : []
  })
  expect(unmerged).toEqual([[11, [5]]])
  return g
}

describe('T17: rekey targets on a real tree with blanks and unmerged leaves', () => {
  it('T17 (copath): targets = the UpdatePath target set; every member holds exactly one; each opens with one HPKE decryption', async () => {
    const counters = new Map<number, CountingSuite>()
    const wrap = (leaf: number, suite: CipherSuite) => {
      const c = countingSuite(suite)
      counters.set(leaf, c)
      return c.suite
    }
    const g = await treeWithBlanksAndUnmerged('copath', wrap)
    const members = g.activeLeaves()
    expect(members).toEqual([0, 1, 2, 3, 4, 5, 7])
    for (const sender of members) {
      const st = g.member(sender).group.currentState
      const targets = copathTargets(viewOf(g.member(sender).group), sender)
      const path = await createUpdatePath({
        tree: st.tree.clone(),
        leafIndex: sender,
        groupId: g.member(sender).group.groupId,
        signaturePrivateKey: st.signaturePriv,
        groupContext: new Uint8Array(0),
        privateKeys: st.privateKeys.clone(),
      })
      const parents = [...new Set(targets.map((t) => t.parent))]
      expect(parents).toEqual(st.tree.filteredDirectPath(sender).map((e) => e.node))
      expect(parents.map((p) => targets.filter((t) => t.parent === p).length)).toEqual(path.updatePath.nodes.map((n) => n.encryptedPathSecret.length))
      path.wipe()
      for (const j of members) {
        if (j === sender) continue
        const v = viewOf(g.member(j).group)
        expect(targets.filter((t) => v.privateKey(t.node) !== undefined).length, `leaf ${j} holds exactly one target of ${sender}`).toBe(1)
      }
    }
    // End to end: two senders (one of them the unmerged leaf) rekey; everyone else opens with one HPKE decryption.
    for (const sender of [5, 2]) {
      await g.broadcast(sender, `first from ${sender}`)
      await g.broadcast(sender === 5 ? 7 : 5, 'ping')
      await g.advance(2000)
      for (const c of counters.values()) c.reset()
      const rk = await g.broadcast(sender, `rekey from ${sender}`)
      expect(rekeyTargets(rk.message!)?.mode).toBe('copath')
      for (const j of members) if (j !== sender) expect(counters.get(j)!.counts['decryptWithLabel'], `leaf ${j}`).toBe(1)
    }
  })

  it('T17 (pairwise): one entry per other member (blanks skipped, the unmerged leaf included); each opens with one HPKE decryption', async () => {
    const counters = new Map<number, CountingSuite>()
    const wrap = (leaf: number, suite: CipherSuite) => {
      const c = countingSuite(suite)
      counters.set(leaf, c)
      return c.suite
    }
    const g = await treeWithBlanksAndUnmerged('pairwise', wrap)
    const members = g.activeLeaves()
    await g.broadcast(5, 'first')
    await g.broadcast(7, 'ping')
    await g.advance(2000)
    for (const c of counters.values()) c.reset()
    const rk = await g.broadcast(5, 'rekey')
    expect(rekeyTargets(rk.message!)?.mode).toBe('pairwise')
    expect(rk.message!.pairwise.map((e) => e.leaf)).toEqual(members.filter((l) => l !== 5))
    for (const j of members) if (j !== 5) expect(counters.get(j)!.counts['decryptWithLabel'], `leaf ${j}`).toBe(1)
  })

  it('T17 (mls): the UpdatePath of the same tree reaches every other member through exactly one node it holds', async () => {
    const g = await treeWithBlanksAndUnmerged('mls')
    const members = g.activeLeaves()
    for (const sender of members) {
      const st = g.member(sender).group.currentState
      const fdp = st.tree.filteredDirectPath(sender)
      const targets = fdp.flatMap((e) => st.tree.resolution(e.copath))
      for (const j of members) {
        if (j === sender) continue
        const keys = g.member(j).group.currentState.privateKeys
        expect(targets.filter((x) => keys.get(x) !== undefined).length, `leaf ${j}`).toBe(1)
      }
    }
    // and a real Commit by the unmerged leaf is processed by everyone
    await g.selfCommit(5)
    await g.broadcast(5, 'after')
  })
})
