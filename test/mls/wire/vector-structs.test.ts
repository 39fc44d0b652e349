/**
 * Every TLS-encoded struct in the other official vector files goes through
 * our codecs: it decodes, re-encodes byte-identically, and where the vectors
 * let us, the bytes our builders produce for hashes and signatures check out:
 * - tree-validation.json: per-node tree hashes from leafTreeHashInput /
 *   parentTreeHashInput (§7.8), every leaf signature over leafNodeTbsBytes (§7.2);
 * - treekem.json: UpdatePath leaf signatures (commit source, §7.2);
 * - welcome.json, passive-client-*.json: KeyPackage and its leaf signatures
 *   over keyPackageTbsBytes / leafNodeTbsBytes (§10), both from the exact bytes
 *   and from a re-encoding;
 * - transcript-hashes.json: confirmed/interim transcript hashes and the
 *   confirmation tag over ConfirmedTranscriptHashInput /
 *   InterimTranscriptHashInput (§8.2).
 */
import { describe, expect, it } from 'vitest'
import { decode, encode, type Codec } from '../../../src/codec/tls.js'
import {
  authenticatedContentCodec,
  commitCodec,
  confirmedTranscriptHashInputBytes,
  decodeMLSMessageKeyPackage,
  groupContextCodec,
  interimTranscriptHashInputBytes,
  keyPackageTbsBytes,
  leafNodeCodec,
  LeafNodeSource,
  leafNodeTbsBytes,
  leafTreeHashInput,
  mlsMessageCodec,
  parentNodeCodec,
  parentTreeHashInput,
  proposalCodec,
  ratchetTreeCodec,
  updatePathCodec,
  type LeafNode,
  type RatchetTree,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'
import { hash, mac, suite, verifyWithLabel } from './vector-crypto.js'

/** Decodes `h` with `codec`, asserts the re-encoding is identical, returns the value. */
function roundTrip<T>(codec: Codec<T>, h: string, where: string): T {
  let v: T
  try {
    v = decode(codec, hex(h), where)
  } catch (e) {
    throw new Error(`${where}: decode failed: ${(e as Error).message}`, { cause: e })
  }
  expect(toHex(encode(codec, v)), where).toBe(h)
  return v
}

function verifyLeaf(cs: number, leaf: LeafNode, groupId: Uint8Array, leafIndex: number, where: string): void {
  const ctx = leaf.leafNodeSource === LeafNodeSource.key_package ? undefined : { groupId, leafIndex }
  const tbs = leafNodeTbsBytes(leaf, ctx)
  expect(toHex(leafNodeTbsBytes(leaf, ctx, encode(leafNodeCodec, leaf))), `${where} TBS from bytes`).toBe(toHex(tbs))
  expect(verifyWithLabel(suite(cs), leaf.signatureKey, 'LeafNodeTBS', tbs, leaf.signature), `${where} signature`).toBe(
    true,
  )
  if (ctx) {
    // The leaf position is bound into the TBS: another index must not verify.
    const wrong = leafNodeTbsBytes(leaf, { groupId, leafIndex: leafIndex + 1 })
    expect(verifyWithLabel(suite(cs), leaf.signatureKey, 'LeafNodeTBS', wrong, leaf.signature)).toBe(false)
  }
}

/** Tree hash of every node (§7.8), computed through our TreeHashInput builders. */
function treeHashes(cs: number, tree: RatchetTree): Uint8Array[] {
  const s = suite(cs)
  let nLeaves = 1
  while (2 * nLeaves - 1 < tree.length) nLeaves *= 2
  const out: Uint8Array[] = []
  const level = (x: number) => {
    let k = 0
    while ((x >> k) & 1) k++
    return k
  }
  const th = (x: number): Uint8Array => {
    const node = tree[x]
    const k = level(x)
    let input: Uint8Array
    if (k === 0) {
      const leaf = node?.nodeType === 1 ? node.leafNode : undefined
      input = leafTreeHashInput(x / 2, leaf)
      // The exact-bytes path must produce the same input.
      expect(toHex(leafTreeHashInput(x / 2, leaf && encode(leafNodeCodec, leaf)))).toBe(toHex(input))
    } else {
      const parent = node?.nodeType === 2 ? node.parentNode : undefined
      const l = th(x ^ (1 << (k - 1)))
      const r = th(x ^ (3 << (k - 1)))
      input = parentTreeHashInput(parent, l, r)
      expect(toHex(parentTreeHashInput(parent && encode(parentNodeCodec, parent), l, r))).toBe(toHex(input))
    }
    return (out[x] = hash(s, input))
  }
  th(nLeaves - 1)
  return out
}

describe('tree-validation.json', () => {
  loadVectors<any>('tree-validation.json').forEach((v, i) => {
    it(`tree-validation.json case ${i}: tree round-trips, tree hashes and leaf signatures match`, () => {
      const tree = roundTrip(ratchetTreeCodec, v.tree, `tree-validation.json case ${i} tree`)
      const hashes = treeHashes(v.cipher_suite, tree)
      expect(v.tree_hashes.length).toBe(hashes.length)
      v.tree_hashes.forEach((h: string, x: number) => expect(toHex(hashes[x]!), `node ${x}`).toBe(h))
      tree.forEach((n, x) => {
        if (n?.nodeType === 1) verifyLeaf(v.cipher_suite, n.leafNode, hex(v.group_id), x / 2, `case ${i} leaf ${x / 2}`)
      })
    })
  })
})

describe('treekem.json', () => {
  loadVectors<any>('treekem.json').forEach((v, i) => {
    it(`treekem.json case ${i}: ratchet_tree and update paths round-trip, path leaves verify`, () => {
      roundTrip(ratchetTreeCodec, v.ratchet_tree, `treekem.json case ${i} ratchet_tree`)
      v.update_paths.forEach((u: any, j: number) => {
        const path = roundTrip(updatePathCodec, u.update_path, `treekem.json case ${i} update_paths[${j}]`)
        expect(path.leafNode.leafNodeSource).toBe(LeafNodeSource.commit)
        verifyLeaf(v.cipher_suite, path.leafNode, hex(v.group_id), u.sender, `case ${i} path ${j}`)
      })
    })
  })
})

describe('tree-operations.json', () => {
  loadVectors<any>('tree-operations.json').forEach((v, i) => {
    it(`tree-operations.json case ${i}: trees, proposal round-trip; tree hashes match`, () => {
      const before = roundTrip(ratchetTreeCodec, v.tree_before, `case ${i} tree_before`)
      const after = roundTrip(ratchetTreeCodec, v.tree_after, `case ${i} tree_after`)
      roundTrip(proposalCodec, v.proposal, `case ${i} proposal`)
      const rootOf = (t: RatchetTree) => {
        const hs = treeHashes(v.cipher_suite, t)
        let n = 1
        while (2 * n - 1 < t.length) n *= 2
        return hs[n - 1]!
      }
      expect(toHex(rootOf(before))).toBe(v.tree_hash_before)
      expect(toHex(rootOf(after))).toBe(v.tree_hash_after)
    })
  })
})

function checkKeyPackage(cs: number, h: string, where: string): void {
  roundTrip(mlsMessageCodec, h, where)
  const { value: kp, bytes } = decodeMLSMessageKeyPackage(hex(h))
  expect(toHex(bytes)).toBe(h.slice(8)) // after version + wire_format
  const tbs = keyPackageTbsBytes(kp)
  expect(toHex(keyPackageTbsBytes(kp, bytes))).toBe(toHex(tbs))
  const s = suite(cs)
  expect(verifyWithLabel(s, kp.leafNode.signatureKey, 'KeyPackageTBS', tbs, kp.signature), `${where} signature`).toBe(true)
  verifyLeaf(cs, kp.leafNode, new Uint8Array(0), 0, `${where} leaf`)
}

describe('welcome.json', () => {
  loadVectors<any>('welcome.json').forEach((v, i) => {
    it(`welcome.json case ${i}: key_package verifies, welcome round-trips`, () => {
      checkKeyPackage(v.cipher_suite, v.key_package, `welcome.json case ${i} key_package`)
      roundTrip(mlsMessageCodec, v.welcome, `welcome.json case ${i} welcome`)
    })
  })
})

for (const file of ['passive-client-welcome.json', 'passive-client-handling-commit.json']) {
  describe(file, () => {
    loadVectors<any>(file).forEach((v, i) => {
      it(`${file} case ${i}: key_package, welcome, ratchet_tree and every epoch message round-trip`, () => {
        checkKeyPackage(v.cipher_suite, v.key_package, `${file} case ${i} key_package`)
        roundTrip(mlsMessageCodec, v.welcome, `${file} case ${i} welcome`)
        if (v.ratchet_tree !== null) roundTrip(ratchetTreeCodec, v.ratchet_tree, `${file} case ${i} ratchet_tree`)
        v.epochs.forEach((e: any, j: number) => {
          e.proposals.forEach((p: string, k: number) =>
            roundTrip(mlsMessageCodec, p, `${file} case ${i} epochs[${j}].proposals[${k}]`),
          )
          roundTrip(mlsMessageCodec, e.commit, `${file} case ${i} epochs[${j}].commit`)
        })
      })
    })
  })
}

describe('message-protection.json', () => {
  loadVectors<any>('message-protection.json').forEach((v, i) => {
    it(`message-protection.json case ${i}: proposal, commit and the five MLSMessages round-trip`, () => {
      roundTrip(proposalCodec, v.proposal, `case ${i} proposal`)
      roundTrip(commitCodec, v.commit, `case ${i} commit`)
      for (const f of ['proposal_pub', 'proposal_priv', 'commit_pub', 'commit_priv', 'application_priv']) {
        roundTrip(mlsMessageCodec, v[f], `case ${i} ${f}`)
      }
    })
  })
})

describe('key-schedule.json', () => {
  loadVectors<any>('key-schedule.json').forEach((v, i) => {
    it(`key-schedule.json case ${i}: every epoch's group_context round-trips`, () => {
      v.epochs.forEach((e: any, j: number) => {
        const gc = roundTrip(groupContextCodec, e.group_context, `case ${i} epoch ${j} group_context`)
        expect(toHex(gc.treeHash)).toBe(e.tree_hash)
        expect(toHex(gc.confirmedTranscriptHash)).toBe(e.confirmed_transcript_hash)
      })
    })
  })
})

describe('transcript-hashes.json', () => {
  loadVectors<any>('transcript-hashes.json').forEach((v, i) => {
    it(`transcript-hashes.json case ${i}: transcript hashes and confirmation tag over our inputs`, () => {
      const s = suite(v.cipher_suite)
      const ac = roundTrip(authenticatedContentCodec, v.authenticated_content, `case ${i} authenticated_content`)
      const confirmed = hash(s, hex(v.interim_transcript_hash_before), confirmedTranscriptHashInputBytes(ac))
      expect(toHex(confirmed)).toBe(v.confirmed_transcript_hash_after)
      expect(toHex(mac(s, hex(v.confirmation_key), confirmed))).toBe(toHex(ac.auth.confirmationTag!))
      const interim = hash(s, confirmed, interimTranscriptHashInputBytes(ac.auth.confirmationTag!))
      expect(toHex(interim)).toBe(v.interim_transcript_hash_after)
    })
  })
})
