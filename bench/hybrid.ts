/**
 * Hybrid mode costs (design/HYBRID.md), suite 0x0003 (X25519,
 * ChaCha20-Poly1305, SHA-256), over the in-memory test tree with real HPKE:
 *
 *   per message   what the hybrid layer adds to an MLS application message:
 *                 encrypt = HybridSession.encrypt (3 HybExpand, AEAD seal of
 *                 1 KiB, AAD, Protobuf frame); decrypt = frame decode, checks,
 *                 3 HybExpand, AEAD open (stageReceive, then discard so the same
 *                 message can be processed again: apply is a few assignments).
 *                 Floor: one AEAD seal of 1 KiB + three HKDF-Expand.
 *   rekey         create = a DATA_REKEY send (r, every HPKE seal to the targets,
 *                 root step, the message itself) staged and discarded; process =
 *                 the receiving side (target check, one HPKE open, root step,
 *                 message open) staged and discarded. Copath at n = 2, 16, 128,
 *                 1024 (and 10 000 with --full), pairwise up to 1024.
 *   wire bytes    len(DATA_REKEY frame) - len(DATA frame) for the same plaintext,
 *                 next to HYBRID.md §5's estimate (copath: log2(leaf width) x 86
 *                 in a full tree; pairwise: (n - 1) x 90).
 */
import { getCipherSuite, randomBytes } from '../src/crypto/index.js'
import { HybridSession } from '../src/hybrid/index.js'
import { resolveDeps } from '../src/hybrid/deps.js'
import { decodeFrame } from '../src/hybrid/message.js'
import { resolvePolicy } from '../src/hybrid/policy.js'
import { stageReceive } from '../src/hybrid/receive.js'
import { stageSend } from '../src/hybrid/send.js'
import { newEpochState, type EpochState } from '../src/hybrid/state.js'
import { MemoryTree } from '../test/hybrid/harness/memory-tree.js'
import { registerSuite, type BenchMode, type BenchTask, type TaskResult } from './harness.js'

const KIB = randomBytes(1024)
const ENC = 'message encrypt 1 KiB (HybridSession.encrypt)'
const DEC = 'message decrypt 1 KiB (decode + stageReceive)'
const FLOOR = 'floor: AEAD seal 1 KiB + 3 HKDF-Expand'
const SEAL = 'floor: HPKE EncryptWithLabel of 32 B'
const OPEN = 'floor: HPKE DecryptWithLabel of 32 B'

interface WireRow {
  readonly mode: string
  readonly n: number
  readonly bytes: number
  readonly estimate: number
  readonly entries: number
}
const wireRows: WireRow[] = []

function sizes(mode: BenchMode, kind: 'copath' | 'pairwise'): number[] {
  const base = mode === 'quick' ? [2, 16, 128] : [2, 16, 128, 1024]
  return kind === 'copath' && mode === 'full' ? [...base, 10_000] : base
}

const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)))

function msg(frame: Uint8Array) {
  const d = decodeFrame(frame, 1 << 20)
  if (d.kind !== 'message') throw new Error('not a message')
  return d.message
}

async function rekeyTasks(kind: 'copath' | 'pairwise', n: number): Promise<BenchTask[]> {
  const tree = await MemoryTree.build({ leafWidth: pow2(n), members: [...Array(n).keys()], seed: `bench ${n}` })
  const policy = resolvePolicy({ rekeyMode: kind, rekeyAfterMessages: 1, minRekeyIntervalMs: 0 })
  const deps = resolveDeps()
  const sender: EpochState = newEpochState(tree.view(0), deps.now())
  const receiverLeaf = n - 1
  const receiver: EpochState = newEpochState(tree.view(receiverLeaf), deps.now())
  // One DATA message first, so both sides hold chain 0 (the steady state a rekey starts from).
  const first = await stageSend(sender, resolvePolicy({ rekeyAfterMessages: 1 << 30 }), deps, KIB)
  first.apply()
  const got = await stageReceive(receiver, policy, 0, msg(first.frame), first.frame, deps.now())
  got.apply()
  const rekey = await stageSend(sender, policy, deps, KIB)
  rekey.discard()
  const rekeyMsg = msg(rekey.frame)
  const entries = rekeyMsg.rekey?.targets?.value.entries.length ?? 0
  const estimate = kind === 'copath' ? Math.log2(pow2(n)) * 86 : (n - 1) * 90
  wireRows.push({ mode: kind, n, bytes: rekey.frame.length - first.frame.length, estimate, entries })
  if (entries === 0 && n > 1) throw new Error('rekey without entries')
  return [
    {
      name: `${kind} rekey create, n = ${n}`,
      fn: async () => {
        const st = await stageSend(sender, policy, deps, KIB)
        st.discard()
      },
    },
    {
      name: `${kind} rekey process, n = ${n}`,
      fn: async () => {
        const st = await stageReceive(receiver, policy, 0, msg(rekey.frame), rekey.frame, deps.now())
        st.discard()
      },
    },
  ]
}

function notes(results: readonly TaskResult[]): string {
  const row = (name: string) => results.find((r) => r.task === name)
  const enc = row(ENC)
  const dec = row(DEC)
  const floor = row(FLOOR)
  const seal = row(SEAL)
  const open = row(OPEN)
  const rel = (task: string, floor: TaskResult | undefined, count: number): string => {
    const t = row(task)
    return t === undefined || floor === undefined ? 'n/a' : (t.medianUs / (floor.medianUs * count)).toFixed(2)
  }
  const rekeyRows = wireRows.map((w) => {
    const seals = w.mode === 'copath' ? w.entries : w.n - 1
    return `| ${w.mode} | ${w.n} | ${w.entries} | ${rel(`${w.mode} rekey create, n = ${w.n}`, seal, seals)} | ${rel(`${w.mode} rekey process, n = ${w.n}`, open, 1)} |`
  })
  const lines = [
    'Rekey cost in units of the HPKE floor measured in the same run (load-independent): create / (entries x seal), process / (1 open).',
    '',
    '| mode | n | entries | create / seals | process / open |',
    '|---|---:|---:|---:|---:|',
    ...rekeyRows,
    '',
    'Per-message overhead target: <= 8 µs. ' +
      (enc && dec && floor
        ? `Measured medians: encrypt ${enc.medianUs.toFixed(2)} µs, decrypt ${dec.medianUs.toFixed(2)} µs, floor ${floor.medianUs.toFixed(2)} µs.`
        : ''),
    'Copath rekey targets at n = 1024: create <= 1.2 ms, process <= 0.15 ms. Wire bytes per rekey vs HYBRID.md §5:',
    '',
    '| mode | n | rekey bytes | §5 estimate | ratio |',
    '|---|---:|---:|---:|---:|',
    ...wireRows.map((w) => `| ${w.mode} | ${w.n} | ${w.bytes} | ${Math.round(w.estimate)} | ${(w.bytes / w.estimate).toFixed(3)} |`),
  ]
  return lines.join('\n')
}

registerSuite({
  name: 'hybrid',
  title: 'Hybrid mode, suite 0x0003: per-message overhead (1 KiB), rekey create/process, wire bytes',
  notes,
  tasks: async (mode) => {
    wireRows.length = 0
    const cs = getCipherSuite(3)
    const tree = await MemoryTree.build({ leafWidth: 4, seed: 'bench per message' })
    const quiet = { rekeyAfterMessages: 2 ** 31, rekeyAfterMs: 2 ** 40 }
    const a = HybridSession.create(tree.view(0), { policy: quiet })
    const policy = resolvePolicy(quiet)
    const receiver = newEpochState(tree.view(1), Date.now())
    const sender = newEpochState(tree.view(0), Date.now())
    // The receiver has chain 0 already (first message applied); the timed one is the second.
    const first = await stageSend(sender, policy, resolveDeps(), KIB)
    first.apply()
    ;(await stageReceive(receiver, policy, 0, msg(first.frame), first.frame, Date.now())).apply()
    const data = await stageSend(sender, policy, resolveDeps(), KIB)
    data.apply()
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const aad = randomBytes(64)
    const ck = randomBytes(32)
    const info = randomBytes(12)
    const hk = await cs.generateHpkeKeyPair()
    const ctx = randomBytes(60)
    const secret = randomBytes(32)
    const sealed = await cs.encryptWithLabel(hk.publicKey, 'HYB1 rekey', ctx, secret)
    const tasks: BenchTask[] = [
      { name: SEAL, fn: () => cs.encryptWithLabel(hk.publicKey, 'HYB1 rekey', ctx, secret) },
      { name: OPEN, fn: () => cs.decryptWithLabel(hk.privateKey, 'HYB1 rekey', ctx, sealed.kemOutput, sealed.ciphertext) },
      { name: ENC, fn: () => a.encrypt(KIB) },
      {
        name: DEC,
        fn: async () => {
          const st = await stageReceive(receiver, policy, 0, msg(data.frame), data.frame, Date.now())
          st.discard()
        },
      },
      {
        name: FLOOR,
        fn: () => {
          cs.expand(ck, info, 32)
          cs.expand(ck, info, 12)
          cs.expand(ck, info, 32)
          return cs.seal(key, nonce, aad, KIB)
        },
      },
    ]
    for (const n of sizes(mode, 'copath')) tasks.push(...(await rekeyTasks('copath', n)))
    for (const n of sizes(mode, 'pairwise')) tasks.push(...(await rekeyTasks('pairwise', n)))
    return tasks
  },
})
