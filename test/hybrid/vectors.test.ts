/**
 * test/vectors/hybrid.json: (1) regenerated from fixed randomness by the real
 * implementation and compared byte for byte; (2) checked from the JSON alone
 * with a from-scratch reading of HYBRID.md §3–§5 (HybLabel written by hand,
 * the seed tree walked by hand, AAD and contexts assembled field by field),
 * which is what another implementation does (docs/hybrid-vectors.md).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeProto } from '../../src/codec/proto.js'
import { Writer } from '../../src/codec/tls.js'
import { getCipherSuite, type CipherSuite } from '../../src/crypto/index.js'
import { ExporterTree } from '../../src/mls/schedule/index.js'
import { left, right } from '../../src/mls/treemath.js'
import { HybridFrame } from '../../src/proto/hybrid.js'
import { generateHybridVectors, VECTORS_PATH } from '../../scripts/gen-hybrid-vectors.js'

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

/* eslint-disable @typescript-eslint/no-explicit-any */
type V = any
const vectors: V[] = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'))

// --- an independent, minimal reading of the spec ---
function hybExpand(cs: CipherSuite, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const info = new Writer().u16(length).opaque(ascii('HYB1 ' + label)).opaque(context).finish()
  return cs.expand(secret, info, length)
}
const u32 = (n: number): Uint8Array => new Writer().u32(n).finish()

function aadOf(v: V, sender: number, m: V): Uint8Array {
  return new Writer()
    .bytes(ascii('HYB1 msg'))
    .opaque(h(v.group_id))
    .u64(BigInt(v.epoch))
    .u32(sender)
    .u8(1)
    .u8(m.type)
    .u32(m.step)
    .u32(m.n)
    .u32(m.pn)
    .bytes(h(m.reuse_guard))
    .bytes(h(m.rekey_hash))
    .finish()
}

function checkMessage(cs: CipherSuite, v: V, sender: number, m: V): void {
  const ck = h(m.chain_key)
  expect(hex(hybExpand(cs, ck, 'key', u32(m.n), cs.Nk))).toBe(m.key)
  expect(hex(hybExpand(cs, ck, 'nonce', u32(m.n), cs.Nn))).toBe(m.nonce)
  expect(hex(hybExpand(cs, ck, 'secret', u32(m.n), cs.Nh))).toBe(m.next_chain_key)
  const nonce = h(m.nonce)
  h(m.reuse_guard).forEach((b, i) => (nonce[i]! ^= b))
  expect(hex(nonce)).toBe(m.aead_nonce)
  const blobHash = m.rekey_blob === null ? cs.hash(new Uint8Array(0)) : cs.hash(h(m.rekey_blob))
  expect(hex(blobHash)).toBe(m.rekey_hash)
  const aad = aadOf(v, sender, m)
  expect(hex(aad)).toBe(m.aad)
  expect(hex(cs.open(h(m.key), nonce, aad, h(m.ciphertext)))).toBe(m.plaintext)
}

function rekeyContext(v: V, sender: number, step: number, pn: number): Uint8Array {
  return new Writer().opaque(h(v.group_id)).u64(BigInt(v.epoch)).u32(sender).u32(step).u32(pn).finish()
}

describe('hybrid vectors', () => {
  it('regenerate byte for byte from fixed randomness', async () => {
    expect(await generateHybridVectors()).toBe(readFileSync(VECTORS_PATH, 'utf8'))
  })

  for (const v of vectors) {
    describe(`suite ${v.cipher_suite}`, () => {
      const cs = getCipherSuite(v.cipher_suite)

      it('epoch seed = SafeExportSecret(0xF001); HybExpand and HybLabel', () => {
        const e = ExporterTree.create(cs, h(v.application_export_secret)).safeExportSecret(0xf001)
        expect(hex(e)).toBe(v.epoch_seed)
        for (const x of v.hyb_expand) {
          const info = new Writer().u16(x.length).opaque(ascii('HYB1 ' + x.label)).opaque(h(x.context)).finish()
          expect(hex(info)).toBe(x.hyb_label)
          expect(hex(cs.expand(h(x.secret), info, x.length))).toBe(x.out)
        }
      })

      it('seed tree bases, RK[L,0], CK[L,0,0]', () => {
        const w = v.tree.leaf_width
        for (const s of v.senders) {
          let x = w - 1
          let seed = h(v.epoch_seed)
          while (x !== 2 * s.leaf) {
            const goLeft = 2 * s.leaf < x
            seed = hybExpand(cs, seed, 'tree', ascii(goLeft ? 'left' : 'right'), cs.Nh)
            x = goLeft ? left(x) : right(x)
          }
          expect(hex(seed)).toBe(s.base)
          expect(hex(hybExpand(cs, seed, 'root', new Uint8Array(0), cs.Nh))).toBe(s.root_key)
          expect(hex(hybExpand(cs, seed, 'chain', new Uint8Array(0), cs.Nh))).toBe(s.chain_key)
        }
      })

      it('symmetric ratchet run', () => {
        const msgs = v.ratchet.messages
        expect(msgs[0].chain_key).toBe(v.senders[v.ratchet.sender_leaf].chain_key)
        for (let i = 0; i < msgs.length; i++) {
          checkMessage(cs, v, v.ratchet.sender_leaf, msgs[i])
          if (i + 1 < msgs.length) expect(msgs[i + 1].chain_key).toBe(msgs[i].next_chain_key)
        }
      })

      for (const mode of ['copath_rekey', 'pairwise_rekey'] as const) {
        it(`${mode}: context, root step, HPKE entries, first message`, async () => {
          const rk = v[mode]
          expect(rk.root_key).toBe(v.senders[rk.sender_leaf].root_key)
          const ctx = rekeyContext(v, rk.sender_leaf, rk.step, rk.pn)
          expect(hex(ctx)).toBe(rk.rekey_context)
          const prk = cs.extract(h(rk.root_key), h(rk.r))
          expect(hex(prk)).toBe(rk.prk)
          expect(hex(hybExpand(cs, prk, 'rk', ctx, cs.Nh))).toBe(rk.new_root_key)
          expect(hex(hybExpand(cs, prk, 'ck', ctx, cs.Nh))).toBe(rk.new_chain_key)
          const nodes = new Map<number, V>(v.tree.nodes.map((n: V) => [n.node, n]))
          for (const e of rk.entries) {
            // kem_output is the ephemeral public key of DeriveKeyPair(ikm_e).
            expect(hex((await cs.deriveHpkeKeyPair(h(e.ikm_e))).publicKey)).toBe(e.kem_output)
            let sk: Uint8Array
            let label: string
            let context: Uint8Array
            if (mode === 'copath_rekey') {
              sk = h(nodes.get(e.node_index).private_key)
              label = 'HYB1 rekey'
              context = ctx
            } else {
              context = new Writer().bytes(ctx).u32(e.leaf).u32(e.key_version).finish()
              expect(hex(context)).toBe(e.context)
              label = 'HYB1 pairwise rekey'
              sk = e.key_version === 0 ? h(nodes.get(2 * e.leaf).private_key) : h(rk.announcement?.private_key ?? v.pairwise_rekey.announcement.private_key)
            }
            expect(hex(new Writer().opaque(ascii('MLS 1.0 ' + label)).opaque(context).finish())).toBe(e.encrypt_context)
            expect(hex(await cs.decryptWithLabel(sk, label, context, h(e.kem_output), h(e.ciphertext)))).toBe(rk.r)
          }
          expect(rk.message.chain_key).toBe(rk.new_chain_key)
          expect([rk.message.step, rk.message.n, rk.message.pn, rk.message.type]).toEqual([rk.step, 0, rk.pn, 2])
          checkMessage(cs, v, rk.sender_leaf, rk.message)
          // The frame carries these entries as HybridMessage field 10 (copath) or 11 (pairwise); rekey_blob
          // is HybRekeyBlob over the same entries (and the frame's announcement, if any).
          const body = decodeProto(HybridFrame, h(rk.message.frame)).body
          if (body?.case !== 'message') throw new Error('frame is not a message')
          const fm = body.value
          expect([fm.step, fm.n, fm.pn, fm.type, hex(fm.reuseGuard), hex(fm.ciphertext)]).toEqual([rk.step, 0, rk.pn, 2, rk.message.reuse_guard, rk.message.ciphertext])
          const listed = rk.entries.map((e: V) => ({ kem: e.kem_output, ct: e.ciphertext }))
          const onWire = mode === 'copath_rekey' ? fm.copath : fm.pairwise
          expect(mode === 'copath_rekey' ? fm.pairwise : fm.copath).toEqual([])
          expect(onWire.map((e) => ({ kem: hex(e.kemOutput), ct: hex(e.ciphertext) }))).toEqual(listed)
          const blob = new Writer()
            .u8(1)
            .u8(mode === 'copath_rekey' ? 1 : 2)
            .list(rk.entries, (w, e: V) => {
              if (mode === 'copath_rekey') w.u32(e.node_index)
              else w.u32(e.leaf).u32(e.key_version)
              w.opaque(h(e.kem_output)).opaque(h(e.ciphertext))
            })
            .optional(fm.announcement, (w, a) => void w.u32(a.version).opaque(a.publicKey))
            .finish()
          expect(hex(blob)).toBe(rk.message.rekey_blob)
        })
      }

      it('copath targets are the UpdatePath target set of the tree (blank parent 9, leaf 7 unmerged at 11 and 13)', () => {
        expect(v.copath_rekey.entries.map((e: V) => e.node_index)).toEqual([2, 5, 11, 14])
        expect(v.copath_rekey.receivers).toEqual([
          { leaf: 1, node_index: 2 },
          { leaf: 2, node_index: 5 },
          { leaf: 3, node_index: 5 },
          { leaf: 5, node_index: 11 },
          { leaf: 6, node_index: 11 },
          { leaf: 7, node_index: 14 },
        ])
      })
    })
  }
})
