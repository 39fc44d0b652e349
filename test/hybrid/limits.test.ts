/**
 * HYBRID.md §6 limits and T11/T12: every rejected message raises its typed
 * error, derives no key (counted through a wrapping suite), and leaves the
 * serialized state byte-identical.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { HybridSession, decodeFrame } from '../../src/hybrid/index.js'
import { HybridCopathEntry, HybridFrame, HybridMessage, HybridMessageType, HybridPairwiseEntry } from '../../src/proto/hybrid.js'
import { countingSuite, type CountingSuite } from './harness/counting-suite.js'
import { ManualClock, SimGroup } from './harness/group.js'
import { MemoryTree } from './harness/memory-tree.js'

const te = new TextEncoder()

function parse(frame: Uint8Array): HybridMessage {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('not a message')
  return d.message
}
const frameOf = (m: HybridMessage): Uint8Array => encodeProto(HybridFrame, { body: { case: 'message', value: m } })

/** tag || varint(length) || body: one length-delimited Protobuf field. */
function field(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.length, 0)
  const head = [tag]
  for (let v = len; ; v >>>= 7) {
    if (v < 0x80) {
      head.push(v)
      break
    }
    head.push((v & 0x7f) | 0x80)
  }
  const out = new Uint8Array(head.length + len)
  out.set(head)
  let p = head.length
  for (const x of parts) {
    out.set(x, p)
    p += x.length
  }
  return out
}

/**
 * `m` in the earlier wire layout: its entries wrapped as field 7 (now
 * reserved), HybridRekey { copath = 1 | pairwise = 2 } -> { repeated entries = 1 },
 * between reuse_guard (6) and announcement (8) as that encoder wrote them.
 */
function oldLayoutFrame(m: HybridMessage): Uint8Array {
  const entries =
    m.pairwise.length > 0
      ? field(0x12, ...m.pairwise.map((e) => field(0x0a, encodeProto(HybridPairwiseEntry, e))))
      : field(0x0a, ...m.copath.map((e) => field(0x0a, encodeProto(HybridCopathEntry, e))))
  const head = encodeProto(HybridMessage, { ...m, announcement: undefined, ciphertext: new Uint8Array(0), copath: [], pairwise: [] })
  const tail = encodeProto(HybridMessage, HybridMessage.create({ announcement: m.announcement, ciphertext: m.ciphertext }))
  return field(0x0a, head, field(0x3a, entries), tail)
}

interface Fixture {
  tree: MemoryTree
  clock: ManualClock
  sender: HybridSession
  receiver: HybridSession
  counting: CountingSuite
}

async function fixture(leafWidth = 4, policy = {}): Promise<Fixture> {
  const tree = await MemoryTree.build({ leafWidth })
  const clock = new ManualClock()
  const options = { policy, deps: { now: clock.now } }
  const counting = countingSuite(tree.suite)
  return {
    tree,
    clock,
    counting,
    sender: HybridSession.create(tree.view(0), options),
    receiver: HybridSession.create(tree.view(1, counting.suite), options),
  }
}

/** Expects `frame` from leaf 0 to be rejected with `code`, with no derivation and no state change. */
async function expectRejectedBeforeDerivation(f: Fixture, frame: Uint8Array, code: string, epoch = 1n): Promise<void> {
  const before = f.receiver.serialize()
  f.counting.reset()
  await expect(f.receiver.receive(0, epoch, frame)).rejects.toMatchObject({ name: 'TalosError', code })
  expect(f.counting.counts).toEqual({})
  expect(f.receiver.serialize()).toEqual(before)
}

describe('limits: rejected before any derivation, state unchanged', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await fixture()
  })

  it('maximum_forward_distance: n = next + 1001 is refused, n = next + 1000 is accepted', async () => {
    const first = await f.sender.encrypt(te.encode('m0'))
    f.counting.reset()
    await f.receiver.receive(0, 1n, first)
    // The counting suite sees the derivations of an accepted message (so an empty count below means none ran).
    expect(f.counting.counts['expand']).toBeGreaterThan(0)
    expect(f.counting.counts['ratchetOpen']).toBe(1)
    const far = { ...parse(first), n: 1 + 1001 }
    await expectRejectedBeforeDerivation(f, frameOf(far), 'HYBRID_TOO_FAR_AHEAD')
    // The boundary: a real message exactly 1000 ahead decrypts (and only the last 100 skipped keys are kept).
    const g = await fixture(4, { rekeyAfterMessages: 5000 })
    let last: Uint8Array = new Uint8Array()
    for (let i = 0; i <= 1000; i++) last = await g.sender.encrypt(te.encode(`m${i}`))
    expect(parse(last).n).toBe(1000)
    const r = await g.receiver.receive(0, 1n, last)
    expect(r.kind).toBe('messages')
  })

  it('a rekey whose pn is too far ahead is refused before its HPKE entry is opened', async () => {
    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'copath' })
    await g.broadcast(0, 'a1')
    g.clock.advance(2000)
    await g.broadcast(1, 'b1')
    const rk = parse((await g.send(0, 'rekey')).frame)
    expect(rk.type).toBe(HybridMessageType.DATA_REKEY)
    const counting = countingSuite(g.tree.suite)
    const rx = HybridSession.create(g.tree.view(2, counting.suite), g.options)
    const before = rx.serialize()
    await expect(rx.receive(0, 1n, frameOf({ ...rk, pn: 1001 }))).rejects.toMatchObject({ code: 'HYBRID_TOO_FAR_AHEAD' })
    expect(counting.counts).toEqual({})
    expect(rx.serialize()).toEqual(before)
  })

  it('pending buffer: 64 messages wait for a missing rekey, the 65th is refused', async () => {
    const base = parse(await f.sender.encrypt(te.encode('x')))
    for (let i = 0; i < 64; i++) {
      const r = await f.receiver.receive(0, 1n, frameOf({ ...base, step: 2, n: i }))
      expect(r.kind).toBe('buffered')
    }
    expect(f.counting.counts).toEqual({})
    await expectRejectedBeforeDerivation(f, frameOf({ ...base, step: 2, n: 64 }), 'HYBRID_BUFFER_FULL')
    // and the same message again is a duplicate, not a second buffer slot
    await expectRejectedBeforeDerivation(f, frameOf({ ...base, step: 2, n: 3 }), 'HYBRID_DUPLICATE')
  })

  it('oversized rekey blob (more entries than members - 1) is refused', async () => {
    const base = parse(await f.sender.encrypt(te.encode('x')))
    const entry = { nodeIndex: 2, kemOutput: new Uint8Array(32).fill(9), ciphertext: new Uint8Array(48) }
    const big: HybridMessage = {
      ...base,
      type: HybridMessageType.DATA_REKEY,
      step: 1,
      n: 0,
      copath: [entry, entry, entry, entry],
    }
    await expectRejectedBeforeDerivation(f, frameOf(big), 'HYBRID_BLOB_TOO_LARGE')
    const pw = { ...big, copath: [], pairwise: [1, 2, 3, 4].map((leaf) => ({ leaf, keyVersion: 0, kemOutput: entry.kemOutput, ciphertext: entry.ciphertext })) }
    await expectRejectedBeforeDerivation(f, frameOf(pw), 'HYBRID_BLOB_TOO_LARGE')
  })

  it('a copath blob that is not the prescribed target list is refused', async () => {
    const base = parse(await f.sender.encrypt(te.encode('x')))
    const entry = { nodeIndex: 4, kemOutput: new Uint8Array(32).fill(9), ciphertext: new Uint8Array(48) }
    const wrong: HybridMessage = {
      ...base,
      type: HybridMessageType.DATA_REKEY,
      step: 1,
      n: 0,
      copath: [entry, { ...entry, nodeIndex: 2 }],
    }
    await expectRejectedBeforeDerivation(f, frameOf(wrong), 'HYBRID_BLOB_MISMATCH')
  })

  it('rekey entries only on DATA_REKEY, and in one list: DATA with entries, DATA_REKEY with both lists are malformed', async () => {
    const base = parse(await f.sender.encrypt(te.encode('x')))
    const copath = { nodeIndex: 2, kemOutput: new Uint8Array(32).fill(9), ciphertext: new Uint8Array(48) }
    const pairwise = { leaf: 1, keyVersion: 0, kemOutput: copath.kemOutput, ciphertext: copath.ciphertext }
    await expectRejectedBeforeDerivation(f, frameOf({ ...base, copath: [copath] }), 'HYBRID_MALFORMED')
    await expectRejectedBeforeDerivation(f, frameOf({ ...base, pairwise: [pairwise] }), 'HYBRID_MALFORMED')
    const rekey = { ...base, type: HybridMessageType.DATA_REKEY, step: 1, n: 0 }
    await expectRejectedBeforeDerivation(f, frameOf({ ...rekey, copath: [copath], pairwise: [pairwise] }), 'HYBRID_MALFORMED')
    // The same header with one list gets past the structural checks (and fails later, on the tree or the entry).
    await expectRejectedBeforeDerivation(f, frameOf({ ...rekey, copath: [copath, copath] }), 'HYBRID_BLOB_MISMATCH')
  })

  for (const mode of ['copath', 'pairwise'] as const) {
    it(`(${mode}) a rekey in the earlier layout (entries in reserved field 7) is not taken as a rekey: refused before any HPKE, state unchanged`, async () => {
      const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: mode })
      await g.broadcast(0, 'a1')
      g.clock.advance(2000)
      await g.broadcast(1, 'b1')
      const frame = (await g.send(0, 'rekey')).frame
      const rk = parse(frame)
      expect(rk.type).toBe(HybridMessageType.DATA_REKEY)
      const old = oldLayoutFrame(rk)
      // Field 7 is skipped as unknown: a DATA_REKEY without entries, which no tree of 4 members prescribes.
      const decoded = parse(old)
      expect([decoded.copath.length, decoded.pairwise.length]).toEqual([0, 0])
      const counting = countingSuite(g.tree.suite)
      const rx = HybridSession.create(g.tree.view(2, counting.suite), g.options)
      const before = rx.serialize()
      await expect(rx.receive(0, 1n, old)).rejects.toMatchObject({ name: 'TalosError', code: 'HYBRID_BLOB_MISMATCH' })
      expect(counting.counts).toEqual({})
      expect(rx.serialize()).toEqual(before)
      // The same rekey in the current layout is accepted.
      const ok = await rx.receive(0, 1n, frame)
      expect(ok.kind === 'messages' && ok.messages[0]!.rekeyed).toBe(true)
    })
  }

  it('a DATA frame with an unknown field 7 is a plain DATA message: the field is skipped, nothing is rekeyed', async () => {
    const frame = await f.sender.encrypt(te.encode('x'))
    const m = parse(frame)
    const withField7 = oldLayoutFrame({ ...m, copath: [{ nodeIndex: 2, kemOutput: new Uint8Array(32), ciphertext: new Uint8Array(48) }] })
    const r = await f.receiver.receive(0, 1n, withField7)
    expect(r.kind === 'messages' && r.messages.map((x) => [x.step, x.n, x.rekeyed])).toEqual([[m.step, m.n, false]])
  })

  it('T11: replay and duplicate (same step, n) are refused without plaintext', async () => {
    const m0 = await f.sender.encrypt(te.encode('m0'))
    const m1 = await f.sender.encrypt(te.encode('m1'))
    const m2 = await f.sender.encrypt(te.encode('m2'))
    await f.receiver.receive(0, 1n, m0)
    await expectRejectedBeforeDerivation(f, m0, 'HYBRID_DUPLICATE')
    await f.receiver.receive(0, 1n, m2) // m1's key is now a skipped key
    await f.receiver.receive(0, 1n, m1) // consumes it
    await expectRejectedBeforeDerivation(f, m1, 'HYBRID_DUPLICATE')
    await expectRejectedBeforeDerivation(f, m2, 'HYBRID_DUPLICATE')
    // same (step, n) with a different body (a forgery attempt at a used position)
    await expectRejectedBeforeDerivation(f, frameOf({ ...parse(m1), ciphertext: parse(m2).ciphertext }), 'HYBRID_DUPLICATE')
  })

  it('structural errors: version, type, reuse guard, sender, epoch', async () => {
    const m = parse(await f.sender.encrypt(te.encode('x')))
    await expectRejectedBeforeDerivation(f, frameOf({ ...m, version: 2 }), 'HYBRID_UNSUPPORTED_VERSION')
    await expectRejectedBeforeDerivation(f, frameOf({ ...m, reuseGuard: new Uint8Array(3) }), 'HYBRID_MALFORMED')
    await expectRejectedBeforeDerivation(f, frameOf({ ...m, type: HybridMessageType.HYBRID_MESSAGE_TYPE_UNSPECIFIED }), 'HYBRID_MALFORMED')
    await expectRejectedBeforeDerivation(f, frameOf({ ...m, pn: 1 }), 'HYBRID_MALFORMED')
    await expectRejectedBeforeDerivation(f, frameOf(m), 'HYBRID_EPOCH_EXPIRED', 7n)
    await expectRejectedBeforeDerivation(f, new Uint8Array([0x0a, 0x05, 1, 2]), 'HYBRID_MALFORMED')
    const before = f.receiver.serialize()
    await expect(f.receiver.receive(1, 1n, frameOf(m))).rejects.toMatchObject({ code: 'HYBRID_UNKNOWN_SENDER' })
    await expect(f.receiver.receive(9, 1n, frameOf(m))).rejects.toMatchObject({ code: 'HYBRID_UNKNOWN_SENDER' })
    expect(f.receiver.serialize()).toEqual(before)
  })

  it('tampering after derivation (AEAD or HPKE failure) still leaves the state unchanged', async () => {
    const m = parse(await f.sender.encrypt(te.encode('x')))
    const before = f.receiver.serialize()
    const ct = m.ciphertext.slice()
    ct[0]! ^= 1
    await expect(f.receiver.receive(0, 1n, frameOf({ ...m, ciphertext: ct }))).rejects.toMatchObject({ code: 'HYBRID_DECRYPT' })
    await expect(f.receiver.receive(0, 1n, frameOf({ ...m, reuseGuard: new Uint8Array(4) }))).rejects.toMatchObject({ code: 'HYBRID_DECRYPT' })
    expect(f.receiver.serialize()).toEqual(before)
    expect((await f.receiver.receive(0, 1n, frameOf(m))).kind).toBe('messages')

    const g = await SimGroup.create({ leafWidth: 4 }, { rekeyMode: 'pairwise' })
    await g.broadcast(0, 'a1')
    g.clock.advance(2000)
    await g.broadcast(1, 'b1')
    const rk = parse((await g.send(0, 'rekey')).frame)
    const entries = rk.pairwise.map((e) => (e.leaf === 2 ? { ...e, ciphertext: e.ciphertext.map((b, i) => (i === 0 ? b ^ 1 : b)) } : e))
    const rx = g.member(2)
    const snap = rx.serialize()
    await expect(rx.receive(0, 1n, frameOf({ ...rk, pairwise: entries }))).rejects.toMatchObject({
      code: 'HYBRID_REKEY_DECRYPT',
    })
    expect(rx.serialize()).toEqual(snap)
  })
})
