/**
 * Generates test/vectors/hybrid.json, the published vectors of the hybrid
 * mode (design/HYBRID.md §3–§5; how to use them: docs/hybrid-vectors.md).
 *
 *   npx tsx scripts/gen-hybrid-vectors.ts          (re)writes the file
 *   test/hybrid/vectors.test.ts                    regenerates and compares byte for byte
 *
 * Everything is deterministic:
 *  - randomness (r, reuse guards, pairwise receive-key seeds) comes from a
 *    SHA-256 counter stream per member, and every value drawn is recorded in
 *    the JSON, so a checker never needs the stream;
 *  - HPKE ephemeral keys are DeriveKeyPair(ikm_e) (RFC 9180 §7.1.3) with ikm_e
 *    from a separate stream, also recorded: kem_output and ciphertext are
 *    reproducible byte for byte (RFC 9180 Appendix A style);
 *  - node key pairs of the test tree are DeriveKeyPair(SHA-256(seed/node/x))
 *    and application_export_secret is fixed; both are recorded.
 *
 * The values are produced by running the real HybridSession (send and
 * receive) and are cross-checked here against a direct computation with the
 * exported derivation functions; a mismatch aborts generation.
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CipherSuite as HpkeCipherSuite } from '@hpke/core'
import { aead as getAead } from '../src/crypto/aead.js'
import { Dhkem, HpkeKey } from '../src/crypto/hpke/dhkem.js'
import { HpkeAead } from '../src/crypto/hpke/aead.js'
import { HpkeKdf } from '../src/crypto/hpke/kdf.js'
import { encryptContext } from '../src/crypto/labeled.js'
import { hashKdf } from '../src/crypto/kdf.js'
import { SUITE_SPECS } from '../src/crypto/suites.js'
import type { CipherSuite, CipherSuiteId, HpkeCiphertext } from '../src/crypto/suite.js'
import { ExporterTree } from '../src/mls/schedule/index.js'
import {
  HybridSession,
  HYBRID_COMPONENT_ID,
  SeedTree,
  applyReuseGuard,
  chainFromBase,
  decodeFrame,
  encodeAad,
  encodePairwiseContext,
  encodeRekeyBlob,
  encodeRekeyContext,
  rekeyTargets,
  hybExpand,
  hybLabel,
  messageKey,
  nextChainKey,
  rekeyHash,
  rootStep,
  uint32Bytes,
  type HybridDeps,
} from '../src/hybrid/index.js'
import type { HybridMessage } from '../src/proto/hybrid.js'
import { MemoryTree } from '../test/hybrid/harness/memory-tree.js'

export const VECTOR_SUITES: readonly CipherSuiteId[] = [1, 2, 3, 4, 5, 6, 7]
const LEAF_WIDTH = 8
const MEMBERS = [0, 1, 2, 3, 5, 6, 7]
const BLANK_PARENTS = [9]
const UNMERGED = { 11: [7], 13: [7] }
const T0 = 1_700_000_000_000

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** SHA-256 counter stream: block i = SHA-256("talos hybrid vectors" || label || uint32(i)). */
export function drbg(label: string): (n: number) => Uint8Array {
  let counter = 0
  let pool = new Uint8Array(0)
  return (n) => {
    while (pool.length < n) {
      const block = createHash('sha256').update('talos hybrid vectors').update(label).update(uint32Bytes(counter++)).digest()
      const next = new Uint8Array(pool.length + block.length)
      next.set(pool)
      next.set(block, pool.length)
      pool = next
    }
    const out = pool.slice(0, n)
    pool = pool.slice(n)
    return out
  }
}

interface SealRecord {
  readonly publicKey: Uint8Array
  readonly label: string
  readonly context: Uint8Array
  readonly ikmE: Uint8Array
  readonly out: HpkeCiphertext
}

/** EncryptWithLabel with ephemeral key DeriveKeyPair(ikm_e). */
function deterministicSeal(id: CipherSuiteId, ikm: (n: number) => Uint8Array, log: SealRecord[]): HybridDeps['encryptWithLabel'] {
  const spec = SUITE_SPECS[id]
  const kem = new Dhkem(spec.group)
  const hs = new HpkeCipherSuite({ kem, kdf: new HpkeKdf(hashKdf(spec.hash)), aead: new HpkeAead(getAead(spec.aead)) })
  return async (_suite, publicKey, label, context, plaintext) => {
    const ikmE = ikm(32)
    const r = await hs.seal(
      { recipientPublicKey: new HpkeKey('public', publicKey, spec.group.name), info: encryptContext(label, context), ekm: ikmE },
      plaintext,
      new Uint8Array(0),
    )
    const out = { kemOutput: new Uint8Array(r.enc), ciphertext: new Uint8Array(r.ct) }
    log.push({ publicKey, label, context, ikmE, out })
    return out
  }
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`vector self-check failed: ${what}`)
}
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

function parse(frame: Uint8Array): HybridMessage {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('not a message')
  return d.message
}

/** Recomputes one message from its chain key and compares it with what the session sent. */
function messageVector(suite: CipherSuite, tree: MemoryTree, sender: number, chainKey: Uint8Array, m: HybridMessage, frame: Uint8Array, plaintext: Uint8Array) {
  const mk = messageKey(suite, chainKey, m.n)
  const blob = encodeRekeyBlob(rekeyTargets(m), m.announcement)
  const aad = encodeAad({
    groupId: tree.groupId,
    epoch: tree.epoch,
    senderLeaf: sender,
    version: 1,
    type: m.type,
    step: m.step,
    n: m.n,
    pn: m.pn,
    reuseGuard: m.reuseGuard,
    rekeyHash: rekeyHash(suite, blob),
  })
  const nonce = applyReuseGuard(mk.nonce, m.reuseGuard)
  check(eq(suite.seal(mk.key, nonce, aad, plaintext), m.ciphertext), `ciphertext of (${m.step}, ${m.n})`)
  return {
    step: m.step,
    n: m.n,
    pn: m.pn,
    type: m.type,
    chain_key: hex(chainKey),
    key: hex(mk.key),
    nonce: hex(mk.nonce),
    next_chain_key: hex(nextChainKey(suite, chainKey, m.n)),
    reuse_guard: hex(m.reuseGuard),
    aead_nonce: hex(nonce),
    rekey_blob: blob === undefined ? null : hex(blob),
    rekey_hash: hex(rekeyHash(suite, blob)),
    aad: hex(aad),
    plaintext: hex(plaintext),
    ciphertext: hex(m.ciphertext),
    frame: hex(frame),
  }
}

async function suiteVector(id: CipherSuiteId): Promise<Record<string, unknown>> {
  let now = T0
  const clock = () => now
  const tree = await MemoryTree.build({
    suiteId: id,
    leafWidth: LEAF_WIDTH,
    members: MEMBERS,
    blankParents: BLANK_PARENTS,
    unmerged: UNMERGED,
    epoch: 1n,
    groupId: utf8('talos hybrid vector group'),
    seed: 'talos hybrid vectors',
  })
  const suite = tree.suite

  // --- §3 epoch seed, seed tree, per-sender bases ---
  const epochSeed = ExporterTree.create(suite, tree.applicationExportSecret.slice()).safeExportSecret(HYBRID_COMPONENT_ID)
  const seeds = SeedTree.fromEpochSeed(suite, LEAF_WIDTH, epochSeed.slice())
  const senders = []
  const chains = new Map<number, { rootKey: Uint8Array; chainKey: Uint8Array }>()
  for (let leaf = 0; leaf < LEAF_WIDTH; leaf++) {
    const st = seeds.stage(leaf)!
    const base = st.base.slice()
    st.apply()
    const c = chainFromBase(suite, base)
    chains.set(leaf, c)
    senders.push({ leaf, base: hex(base), root_key: hex(c.rootKey), chain_key: hex(c.chainKey) })
  }
  const hybExpandExamples = [
    { secret: epochSeed, label: 'tree', context: utf8('left'), length: suite.Nh },
    { secret: chains.get(0)!.chainKey, label: 'key', context: uint32Bytes(0), length: suite.Nk },
  ].map((x) => ({
    secret: hex(x.secret),
    label: x.label,
    context: hex(x.context),
    length: x.length,
    hyb_label: hex(hybLabel(x.label, x.context, x.length)),
    out: hex(hybExpand(suite, x.secret, x.label, x.context, x.length)),
  }))

  // --- symmetric ratchet: leaf 0 sends 4 DATA messages in chain 0 ---
  const seals: SealRecord[] = []
  const rngLog: Uint8Array[] = []
  const stream0 = drbg(`suite ${id} leaf 0`)
  const senderDeps = {
    now: clock,
    rng: (n: number) => {
      const b = stream0(n)
      rngLog.push(b.slice())
      return b
    },
    encryptWithLabel: deterministicSeal(id, drbg(`suite ${id} ikm_e`), seals),
  }
  const a = HybridSession.create(tree.view(0), { policy: { rekeyMode: 'copath', rekeyAfterMessages: 4 }, deps: senderDeps })
  const ratchet = []
  let ck = chains.get(0)!.chainKey
  for (let i = 0; i < 4; i++) {
    now += 100
    const pt = utf8(`chain 0 message ${i}`)
    const frame = await a.encrypt(pt)
    const m = parse(frame)
    check(m.step === 0 && m.n === i, 'DATA position')
    ratchet.push(messageVector(suite, tree, 0, ck, m, frame, pt))
    ck = nextChainKey(suite, ck, i)
  }

  // --- copath rekey: the 5th message of leaf 0 starts chain 1 (pn = 4) ---
  now += 2000
  rngLog.length = 0
  const ptRekey = utf8('first message of chain 1 (copath)')
  const rekeyFrame = await a.encrypt(ptRekey)
  const rm = parse(rekeyFrame)
  const r = rngLog[0]!
  check(rm.step === 1 && rm.pn === 4 && r.length === suite.Nh, 'copath rekey header')
  const ctx = encodeRekeyContext({ groupId: tree.groupId, epoch: tree.epoch, senderLeaf: 0, step: 1, pn: 4 })
  const prk = suite.extract(chains.get(0)!.rootKey, r)
  const stepped = rootStep(suite, chains.get(0)!.rootKey, r, ctx)
  check(rm.copath.length > 0 && rm.pairwise.length === 0, 'copath mode')
  const entries = rm.copath.map((e, i) => {
    const s = seals[i]!
    check(eq(s.out.kemOutput, e.kemOutput) && eq(s.publicKey, tree.publicKey(e.nodeIndex)), `copath entry ${i}`)
    return {
      node_index: e.nodeIndex,
      public_key: hex(s.publicKey),
      ikm_e: hex(s.ikmE),
      encrypt_context: hex(encryptContext('HYB1 rekey', ctx)),
      kem_output: hex(e.kemOutput),
      ciphertext: hex(e.ciphertext),
    }
  })
  const receivers = []
  for (const leaf of MEMBERS.filter((l) => l !== 0)) {
    const rx = HybridSession.create(tree.view(leaf), { deps: { now: clock } })
    const res = await rx.receive(0, 1n, rekeyFrame)
    check(res.kind === 'messages' && eq(res.messages[0]!.plaintext, ptRekey), `copath receiver ${leaf}`)
    const node = entries.find((e) => tree.holds(leaf, e.node_index))!.node_index
    receivers.push({ leaf, node_index: node })
  }
  const copath = {
    sender_leaf: 0,
    step: 1,
    pn: 4,
    root_key: hex(chains.get(0)!.rootKey),
    r: hex(r),
    rekey_context: hex(ctx),
    prk: hex(prk),
    new_root_key: hex(stepped.rootKey),
    new_chain_key: hex(stepped.chainKey),
    entries,
    receivers,
    message: messageVector(suite, tree, 0, stepped.chainKey, rm, rekeyFrame, ptRekey),
  }

  // --- pairwise rekey: leaf 2 announces HRK[2,1]; leaf 3 then rekeys (chain 0 -> 1, pn = 1) ---
  const rng2Log: Uint8Array[] = []
  const stream2 = drbg(`suite ${id} leaf 2`)
  const c = HybridSession.create(tree.view(2), {
    policy: { rekeyMode: 'pairwise', announceAfterMessages: 1 },
    deps: { now: clock, rng: (n) => { const b = stream2(n); rng2Log.push(b.slice()); return b } },
  })
  await c.encrypt(utf8('leaf 2, message 0'))
  rng2Log.length = 0
  const annFrame = await c.encrypt(utf8('leaf 2, message 1, announcing HRK[2,1]'))
  const ann = parse(annFrame).announcement!
  const hrkIkm = rng2Log[0]!
  const hrk = await suite.deriveHpkeKeyPair(hrkIkm)
  check(ann.version === 1 && eq(ann.publicKey, hrk.publicKey), 'announcement')

  const pwSeals: SealRecord[] = []
  const rng3Log: Uint8Array[] = []
  const stream3 = drbg(`suite ${id} leaf 3`)
  const d = HybridSession.create(tree.view(3), {
    policy: { rekeyMode: 'pairwise' },
    deps: {
      now: clock,
      rng: (n) => { const b = stream3(n); rng3Log.push(b.slice()); return b },
      encryptWithLabel: deterministicSeal(id, drbg(`suite ${id} pairwise ikm_e`), pwSeals),
    },
  })
  await d.encrypt(utf8('leaf 3, message 0'))
  check((await d.receive(2, 1n, annFrame)).kind === 'messages', 'announcement delivery')
  now += 2000
  rng3Log.length = 0
  const ptPw = utf8('first message of chain 1 (pairwise)')
  const pwFrame = await d.encrypt(ptPw)
  const pm = parse(pwFrame)
  const r3 = rng3Log[0]!
  check(pm.step === 1 && pm.pn === 1 && pm.pairwise.length > 0 && pm.copath.length === 0, 'pairwise rekey header')
  const ctx3 = encodeRekeyContext({ groupId: tree.groupId, epoch: tree.epoch, senderLeaf: 3, step: 1, pn: 1 })
  const rk3 = chains.get(3)!.rootKey
  const stepped3 = rootStep(suite, rk3, r3, ctx3)
  const pwEntries = pm.pairwise.map(
    (e, i) => {
      const s = pwSeals[i]!
      const pctx = encodePairwiseContext(ctx3, e.leaf, e.keyVersion)
      check(eq(s.context, pctx) && eq(s.out.ciphertext, e.ciphertext), `pairwise entry ${i}`)
      return {
        leaf: e.leaf,
        key_version: e.keyVersion,
        public_key: hex(s.publicKey),
        context: hex(pctx),
        encrypt_context: hex(encryptContext('HYB1 pairwise rekey', pctx)),
        ikm_e: hex(s.ikmE),
        kem_output: hex(e.kemOutput),
        ciphertext: hex(e.ciphertext),
      }
    },
  )
  check(pwEntries.find((e) => e.leaf === 2)!.key_version === 1, 'leaf 2 sealed to its announced key')
  for (const leaf of MEMBERS.filter((l) => l !== 3 && l !== 2)) {
    const rx = HybridSession.create(tree.view(leaf), { deps: { now: clock } })
    const res = await rx.receive(3, 1n, pwFrame)
    check(res.kind === 'messages' && eq(res.messages[0]!.plaintext, ptPw), `pairwise receiver ${leaf}`)
  }
  const res2 = await c.receive(3, 1n, pwFrame)
  check(res2.kind === 'messages' && eq(res2.messages[0]!.plaintext, ptPw), 'pairwise receiver 2 with HRK[2,1]')
  const pairwise = {
    sender_leaf: 3,
    step: 1,
    pn: 1,
    announcement: { leaf: 2, version: 1, ikm: hex(hrkIkm), private_key: hex(hrk.privateKey), public_key: hex(hrk.publicKey), frame: hex(annFrame) },
    root_key: hex(rk3),
    r: hex(r3),
    rekey_context: hex(ctx3),
    prk: hex(suite.extract(rk3, r3)),
    new_root_key: hex(stepped3.rootKey),
    new_chain_key: hex(stepped3.chainKey),
    entries: pwEntries,
    message: messageVector(suite, tree, 3, stepped3.chainKey, pm, pwFrame, ptPw),
  }

  const nodes = []
  for (let x = 0; x < 2 * LEAF_WIDTH - 1; x++) {
    try {
      nodes.push({ node: x, public_key: hex(tree.publicKey(x)), private_key: hex(tree.privateKeyOf(x)) })
    } catch {
      nodes.push({ node: x, public_key: null, private_key: null })
    }
  }
  return {
    cipher_suite: id,
    group_id: hex(tree.groupId),
    epoch: Number(tree.epoch),
    tree: { leaf_width: LEAF_WIDTH, members: MEMBERS, blank_parents: BLANK_PARENTS, unmerged_leaves: UNMERGED, nodes },
    application_export_secret: hex(tree.applicationExportSecret),
    epoch_seed: hex(epochSeed),
    hyb_expand: hybExpandExamples,
    senders,
    ratchet: { sender_leaf: 0, messages: ratchet },
    copath_rekey: copath,
    pairwise_rekey: pairwise,
  }
}

export async function generateHybridVectors(): Promise<string> {
  const out = []
  for (const id of VECTOR_SUITES) out.push(await suiteVector(id))
  return JSON.stringify(out, null, 2) + '\n'
}

export const VECTORS_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors', 'hybrid.json')

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  generateHybridVectors().then(
    (json) => {
      writeFileSync(VECTORS_PATH, json)
      process.stdout.write(`wrote ${VECTORS_PATH} (${json.length} bytes)\n`)
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exitCode = 1
    },
  )
}
