/**
 * T17 on the RFC 9420 treekem.json trees (blanks, unmerged leaves, truncated
 * trees), suites 1 and 3: the copath rekey targets of a sender are exactly
 * the UpdatePath target set (per filtered-direct-path node, as many entries
 * as the vector's UpdatePath has encrypted path secrets), every other member
 * holds exactly one target node's private key, and end to end each member
 * opens its entry with exactly one HPKE decryption.
 */
import { describe, expect, it } from 'vitest'
import { decode } from '../../src/codec/tls.js'
import { getCipherSuite, type CipherSuite } from '../../src/crypto/index.js'
import { HybridSession, copathTargets, type HybridGroupView } from '../../src/hybrid/index.js'
import { ExporterTree } from '../../src/mls/schedule/index.js'
import { decodeTree, type RatchetTree } from '../../src/mls/tree/index.js'
import { setKeyFromPathSecret, setLeafKey, TreePrivateKeys } from '../../src/mls/treekem/index.js'
import { updatePathCodec } from '../../src/mls/wire/index.js'
import { hex, loadVectors } from '../helpers/vectors.js'
import { countingSuite } from './harness/counting-suite.js'
import { ManualClock } from './harness/group.js'

interface Case {
  cipher_suite: number
  group_id: string
  epoch: number
  ratchet_tree: string
  leaves_private: { index: number; encryption_priv: string; path_secrets: { node: number; path_secret: string }[] }[]
  update_paths: { sender: number; update_path: string }[]
}

const cases = loadVectors<Case>('treekem.json').filter((c) => c.cipher_suite === 1 || c.cipher_suite === 3)
const EXPORT_SECRET = new Uint8Array(32).fill(7)

function viewOf(tree: RatchetTree, c: Case, keys: TreePrivateKeys, suite: CipherSuite): HybridGroupView {
  const members = tree.memberIndices()
  const exporter = ExporterTree.create(tree.suite, EXPORT_SECRET.slice(0, tree.suite.Nh))
  return {
    suite,
    groupId: hex(c.group_id),
    epoch: BigInt(c.epoch),
    ownLeaf: keys.leafIndex,
    leafWidth: tree.leafCount,
    memberCount: members.length,
    isMember: (l) => members.includes(l),
    memberLeaves: () => members,
    safeExportSecret: (id) => exporter.safeExportSecret(id),
    filteredDirectPath: (l) => tree.filteredDirectPath(l).map((e) => e.node),
    resolution: (x) => tree.resolution(x),
    encryptionKey: (x) => {
      const n = tree.node(x)!
      return n.nodeType === 1 ? n.leafNode.encryptionKey : n.parentNode.encryptionKey
    },
    privateKey: (x) => keys.get(x),
  }
}

describe('T17: copath targets on the RFC treekem trees', () => {
  for (const [ci, c] of cases.entries()) {
    it(`suite ${c.cipher_suite}, case ${ci}: ${c.update_paths.length} senders`, async () => {
      const tree = decodeTree(getCipherSuite(c.cipher_suite), hex(c.ratchet_tree))
      const keys = new Map<number, TreePrivateKeys>()
      for (const lp of c.leaves_private) {
        const k = new TreePrivateKeys(lp.index)
        await setLeafKey(tree, k, hex(lp.encryption_priv))
        for (const ps of lp.path_secrets) await setKeyFromPathSecret(tree, k, ps.node, hex(ps.path_secret))
        keys.set(lp.index, k)
      }
      for (const [u, up] of c.update_paths.entries()) {
        const path = decode(updatePathCodec, hex(up.update_path))
        const sender = viewOf(tree, c, keys.get(up.sender)!, tree.suite)
        const targets = copathTargets(sender, up.sender)
        // Same parents, and per parent as many entries as the UpdatePath has ciphertexts.
        const parents = [...new Set(targets.map((t) => t.parent))]
        expect(parents).toEqual(tree.filteredDirectPath(up.sender).map((e) => e.node))
        expect(parents.map((p) => targets.filter((t) => t.parent === p).length)).toEqual(path.nodes.map((n) => n.encryptedPathSecret.length))
        for (const [j, k] of keys) {
          if (j === up.sender) continue
          expect(targets.filter((t) => k.get(t.node) !== undefined).length, `leaf ${j} holds exactly one target`).toBe(1)
        }
        if (u > 1) continue
        // End to end: the sender rekeys; every other member opens its entry with one HPKE decryption.
        const clock = new ManualClock()
        const opts = { policy: { rekeyMode: 'copath' as const, rekeyAfterMessages: 1, minRekeyIntervalMs: 0 }, deps: { now: clock.now } }
        const tx = HybridSession.create(sender, opts)
        const f0 = await tx.encrypt(new Uint8Array([0]))
        const f1 = await tx.encrypt(new Uint8Array([1]))
        for (const [j, k] of keys) {
          if (j === up.sender) continue
          const counting = countingSuite(tree.suite)
          const rx = HybridSession.create(viewOf(tree, c, k, counting.suite), opts)
          expect((await rx.receive(up.sender, BigInt(c.epoch), f0)).kind).toBe('messages')
          const r = await rx.receive(up.sender, BigInt(c.epoch), f1)
          expect(r.kind === 'messages' && r.messages[0]!.rekeyed).toBe(true)
          expect(counting.counts['decryptWithLabel']).toBe(1)
        }
      }
    })
  }
})
