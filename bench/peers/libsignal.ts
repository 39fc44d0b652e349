/**
 * Peer benchmark: @signalapp/libsignal-client 0.103 (Signal's Rust library
 * through its Node native module), for our Sender Keys and Double Ratchet
 * numbers to be read against.
 *
 * Everything is measured bytes to bytes with in-memory stores implemented
 * here against libsignal's abstract store classes (records kept as objects,
 * not re-serialized; the identity store caches its key pair).
 *
 *   sender keys   SenderKeyDistributionMessage.create (fresh distribution id:
 *                 a new chain and signing key), processing one (deserialize +
 *                 processSenderKeyDistributionMessage), groupEncrypt and
 *                 groupDecrypt of 1 KiB.
 *   1:1 session   libsignal 0.103 sessions are PQXDH + Double Ratchet + SPQR
 *                 (the PreKeyBundle must carry a Kyber prekey). Session set-up
 *                 (processPreKeyBundle; the first PreKeySignalMessage decrypt).
 *                 signalEncrypt / signalDecrypt of 1 KiB in one direction (a
 *                 symmetric chain step, no DH), and ping-pong (the direction
 *                 alternates every message, so each encrypt and each decrypt
 *                 takes a DH ratchet step): one op = one message encrypted and
 *                 decrypted.
 *   remove model  whole-group CPU to remove one member of an n-member Sender
 *                 Keys group: each of the n-1 remaining members creates a new
 *                 sender key and sends its distribution message to the n-2
 *                 others over their pairwise sessions; each of those decrypts
 *                 and processes it:
 *                   total = (n-1)*create + (n-1)(n-2)*(session encrypt + session decrypt + process)
 *                 with the unit costs measured here (session costs at the
 *                 distribution message's size; lower bound: chain step, upper:
 *                 DH step). At n = 16 the model is checked against a direct
 *                 simulation over real sessions.
 *
 * If the native module cannot be loaded the suite prints why and has no tasks.
 */
import { Bench } from 'tinybench'
import type * as LibsignalNs from '@signalapp/libsignal-client'
import type { TaskResult } from '../harness.js'
import { emptyResults, peerStat, readResult, registerSuite, setPeer, writeResult, type BenchMode, type BenchTask, type PeerResults, type PeerStat } from './common.js'

type Lib = typeof LibsignalNs
type Address = LibsignalNs.ProtocolAddress

let libPromise: Promise<{ lib: Lib } | { error: string }> | undefined

/** Loads the native module once; resolves to the reason when it cannot. */
export function loadLibsignal(): Promise<{ lib: Lib } | { error: string }> {
  libPromise ??= import('@signalapp/libsignal-client').then(
    (lib) => {
      try {
        lib.PrivateKey.generate() // the native part loads lazily: touch it
        return { lib }
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) }
      }
    },
    (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
  )
  return libPromise
}

const key = (a: Address): string => `${a.name()}.${a.deviceId()}`

/** One party: its address and in-memory stores implementing libsignal's store interfaces. */
export interface Party {
  readonly address: Address
  readonly sessions: LibsignalNs.SessionStore & { records: Map<string, LibsignalNs.SessionRecord> }
  readonly identity: LibsignalNs.IdentityKeyStore & { readonly pair: LibsignalNs.IdentityKeyPair }
  readonly preKeys: LibsignalNs.PreKeyStore
  readonly signedPreKeys: LibsignalNs.SignedPreKeyStore
  readonly kyberPreKeys: LibsignalNs.KyberPreKeyStore
  readonly senderKeys: LibsignalNs.SenderKeyStore & { records: Map<string, LibsignalNs.SenderKeyRecord> }
  /** A fresh PreKeyBundle (new one-time, signed and Kyber prekeys). */
  bundle(): LibsignalNs.PreKeyBundle
}

let nextId = 1

/**
 * A party with fresh identity and stores. `replayable`: one-time prekeys are
 * kept after use, so a benchmark can decrypt the same first message again.
 */
export function makeParty(lib: Lib, name: string, replayable = false): Party {
  const address = lib.ProtocolAddress.new(name, 1)
  const pair = lib.IdentityKeyPair.generate()
  const registrationId = (nextId++ % 16000) + 1

  class Sessions extends lib.SessionStore {
    readonly records = new Map<string, LibsignalNs.SessionRecord>()
    async saveSession(a: Address, r: LibsignalNs.SessionRecord): Promise<void> {
      this.records.set(key(a), r)
    }
    async getSession(a: Address): Promise<LibsignalNs.SessionRecord | null> {
      return this.records.get(key(a)) ?? null
    }
    async getExistingSessions(as: Address[]): Promise<LibsignalNs.SessionRecord[]> {
      return as.map((a) => {
        const r = this.records.get(key(a))
        if (r === undefined) throw new Error(`no session with ${key(a)}`)
        return r
      })
    }
  }
  class Identity extends lib.IdentityKeyStore {
    readonly pair = pair
    readonly known = new Map<string, LibsignalNs.PublicKey>()
    async getIdentityKey(): Promise<LibsignalNs.PrivateKey> {
      return pair.privateKey
    }
    override async getIdentityKeyPair(): Promise<LibsignalNs.IdentityKeyPair> {
      return pair
    }
    async getLocalRegistrationId(): Promise<number> {
      return registrationId
    }
    async saveIdentity(a: Address, k: LibsignalNs.PublicKey): Promise<LibsignalNs.IdentityChange> {
      const old = this.known.get(key(a))
      this.known.set(key(a), k)
      return old !== undefined && !old.equals(k) ? lib.IdentityChange.ReplacedExisting : lib.IdentityChange.NewOrUnchanged
    }
    async isTrustedIdentity(a: Address, k: LibsignalNs.PublicKey): Promise<boolean> {
      const old = this.known.get(key(a))
      return old === undefined || old.equals(k) // trust on first use
    }
    async getIdentity(a: Address): Promise<LibsignalNs.PublicKey | null> {
      return this.known.get(key(a)) ?? null
    }
  }
  const pre = new Map<number, LibsignalNs.PreKeyRecord>()
  class PreKeys extends lib.PreKeyStore {
    async savePreKey(id: number, r: LibsignalNs.PreKeyRecord): Promise<void> {
      pre.set(id, r)
    }
    async getPreKey(id: number): Promise<LibsignalNs.PreKeyRecord> {
      const r = pre.get(id)
      if (r === undefined) throw new Error(`no prekey ${id}`)
      return r
    }
    async removePreKey(id: number): Promise<void> {
      if (!replayable) pre.delete(id)
    }
  }
  const signed = new Map<number, LibsignalNs.SignedPreKeyRecord>()
  class SignedPreKeys extends lib.SignedPreKeyStore {
    async saveSignedPreKey(id: number, r: LibsignalNs.SignedPreKeyRecord): Promise<void> {
      signed.set(id, r)
    }
    async getSignedPreKey(id: number): Promise<LibsignalNs.SignedPreKeyRecord> {
      const r = signed.get(id)
      if (r === undefined) throw new Error(`no signed prekey ${id}`)
      return r
    }
  }
  const kyber = new Map<number, LibsignalNs.KyberPreKeyRecord>()
  class KyberPreKeys extends lib.KyberPreKeyStore {
    async saveKyberPreKey(id: number, r: LibsignalNs.KyberPreKeyRecord): Promise<void> {
      kyber.set(id, r)
    }
    async getKyberPreKey(id: number): Promise<LibsignalNs.KyberPreKeyRecord> {
      const r = kyber.get(id)
      if (r === undefined) throw new Error(`no kyber prekey ${id}`)
      return r
    }
    async markKyberPreKeyUsed(): Promise<void> {
      // last-resort semantics: keep it
    }
  }
  class SenderKeys extends lib.SenderKeyStore {
    readonly records = new Map<string, LibsignalNs.SenderKeyRecord>()
    async saveSenderKey(a: Address, d: string, r: LibsignalNs.SenderKeyRecord): Promise<void> {
      this.records.set(`${key(a)}/${d}`, r)
    }
    async getSenderKey(a: Address, d: string): Promise<LibsignalNs.SenderKeyRecord | null> {
      return this.records.get(`${key(a)}/${d}`) ?? null
    }
  }

  const party: Party = {
    address,
    sessions: new Sessions(),
    identity: new Identity(),
    preKeys: new PreKeys(),
    signedPreKeys: new SignedPreKeys(),
    kyberPreKeys: new KyberPreKeys(),
    senderKeys: new SenderKeys(),
    bundle() {
      const id = nextId++
      const now = Date.now()
      const pk = lib.PrivateKey.generate()
      pre.set(id, lib.PreKeyRecord.new(id, pk.getPublicKey(), pk))
      const spk = lib.PrivateKey.generate()
      const spkSig = pair.privateKey.sign(spk.getPublicKey().serialize())
      signed.set(id, lib.SignedPreKeyRecord.new(id, now, spk.getPublicKey(), spk, spkSig))
      const kem = lib.KEMKeyPair.generate()
      const kemSig = pair.privateKey.sign(kem.getPublicKey().serialize())
      kyber.set(id, lib.KyberPreKeyRecord.new(id, now, kem, kemSig))
      return lib.PreKeyBundle.new(
        registrationId,
        address.deviceId(),
        id,
        pk.getPublicKey(),
        id,
        spk.getPublicKey(),
        spkSig,
        pair.publicKey,
        id,
        kem.getPublicKey(),
        kemSig,
      )
    },
  }
  return party
}

/** Encrypts on `from`'s session with `to`; returns the serialized CiphertextMessage and its type. */
export async function sessionEncrypt(lib: Lib, from: Party, to: Party, pt: Uint8Array<ArrayBuffer>): Promise<{ type: number; bytes: Uint8Array<ArrayBuffer> }> {
  const c = await lib.signalEncrypt(pt, to.address, from.address, from.sessions, from.identity)
  return { type: c.type(), bytes: c.serialize() }
}

/** Decrypts a serialized message from `from` at `to` (PreKey or Whisper). */
export async function sessionDecrypt(lib: Lib, to: Party, from: Party, m: { type: number; bytes: Uint8Array<ArrayBuffer> }): Promise<Uint8Array> {
  if (m.type === lib.CiphertextMessageType.PreKey) {
    return lib.signalDecryptPreKey(
      lib.PreKeySignalMessage.deserialize(m.bytes),
      from.address,
      to.address,
      to.sessions,
      to.identity,
      to.preKeys,
      to.signedPreKeys,
      to.kyberPreKeys,
    )
  }
  return lib.signalDecrypt(lib.SignalMessage.deserialize(m.bytes), from.address, to.address, to.sessions, to.identity)
}

/** Establishes a session a -> b from b's bundle, and b's reply, so both sides hold a confirmed session. */
export async function connect(lib: Lib, a: Party, b: Party): Promise<void> {
  await lib.processPreKeyBundle(b.bundle(), b.address, a.address, a.sessions, a.identity)
  const hello = new TextEncoder().encode('hello') as Uint8Array<ArrayBuffer>
  await sessionDecrypt(lib, b, a, await sessionEncrypt(lib, a, b, hello))
  await sessionDecrypt(lib, a, b, await sessionEncrypt(lib, b, a, hello))
}

/**
 * A decrypt task over a pool of messages decrypted in order; when the pool is
 * used up the receiver's record is restored from a snapshot (one deserialize
 * per `pool.length` ops) and the pool replays.
 */
function pooled<T>(pool: T[], restore: () => void, decrypt: (m: T) => Promise<unknown>): () => Promise<unknown> {
  let i = 0
  return () => {
    if (i === pool.length) {
      restore()
      i = 0
    }
    return decrypt(pool[i++]!)
  }
}

export const LIBSIGNAL_OPS = [
  'sender key: SKDM create',
  'sender key: SKDM process',
  'sender key: encrypt 1 KiB',
  'sender key: decrypt 1 KiB',
  'session: set up from PreKeyBundle',
  'session: first PreKey message decrypt',
  'session: encrypt 1 KiB (chain step)',
  'session: decrypt 1 KiB (chain step)',
  'session: encrypt+decrypt 1 KiB ping-pong (DH step)',
  'session: encrypt SKDM (chain step)',
  'session: decrypt SKDM (chain step)',
  'session: encrypt+decrypt SKDM ping-pong (DH step)',
] as const
export type LibsignalOp = (typeof LIBSIGNAL_OPS)[number]

const POOL = 2048

async function libsignalTasks(lib: Lib): Promise<{ op: LibsignalOp; task: BenchTask }[]> {
  const out: { op: LibsignalOp; task: BenchTask }[] = []
  const add = (op: LibsignalOp, fn: () => unknown): void => {
    out.push({ op, task: { name: `libsignal ${op}`, fn } })
  }
  const pt = crypto.getRandomValues(new Uint8Array(1024)) as Uint8Array<ArrayBuffer>

  // ---- sender keys
  const alice = makeParty(lib, 'alice')
  const bob = makeParty(lib, 'bob')
  add('sender key: SKDM create', () => lib.SenderKeyDistributionMessage.create(alice.address, crypto.randomUUID(), alice.senderKeys))
  const skdms: Uint8Array<ArrayBuffer>[] = []
  for (let i = 0; i < 256; i++) {
    skdms.push((await lib.SenderKeyDistributionMessage.create(alice.address, crypto.randomUUID(), alice.senderKeys)).serialize())
  }
  let k = 0
  const sink = makeParty(lib, 'sink')
  add('sender key: SKDM process', () =>
    lib.processSenderKeyDistributionMessage(alice.address, lib.SenderKeyDistributionMessage.deserialize(skdms[k++ % skdms.length]!), sink.senderKeys),
  )

  const dist = crypto.randomUUID()
  const skdm = await lib.SenderKeyDistributionMessage.create(alice.address, dist, alice.senderKeys)
  await lib.processSenderKeyDistributionMessage(alice.address, lib.SenderKeyDistributionMessage.deserialize(skdm.serialize()), bob.senderKeys)
  const bobSkKey = `${key(alice.address)}/${dist}`
  const bobSkSnapshot = bob.senderKeys.records.get(bobSkKey)!.serialize()
  const skPool: Uint8Array<ArrayBuffer>[] = []
  for (let i = 0; i < POOL; i++) skPool.push((await lib.groupEncrypt(alice.address, dist, alice.senderKeys, pt)).serialize())
  // sanity: the first pooled message decrypts to the plaintext
  if (Buffer.compare(await lib.groupDecrypt(alice.address, bob.senderKeys, skPool[0]!), pt) !== 0) throw new Error('libsignal: groupDecrypt mismatch')
  bob.senderKeys.records.set(bobSkKey, lib.SenderKeyRecord.deserialize(bobSkSnapshot))
  const encDist = crypto.randomUUID()
  await lib.SenderKeyDistributionMessage.create(alice.address, encDist, alice.senderKeys)
  add('sender key: encrypt 1 KiB', async () => (await lib.groupEncrypt(alice.address, encDist, alice.senderKeys, pt)).serialize())
  add(
    'sender key: decrypt 1 KiB',
    pooled(
      skPool,
      () => bob.senderKeys.records.set(bobSkKey, lib.SenderKeyRecord.deserialize(bobSkSnapshot)),
      (m) => lib.groupDecrypt(alice.address, bob.senderKeys, m),
    ),
  )

  // ---- 1:1 sessions
  const carol = makeParty(lib, 'carol')
  const bobBundle = bob.bundle() // made once: generating it is bob's cost, not the initiator's
  add('session: set up from PreKeyBundle', () => lib.processPreKeyBundle(bobBundle, bob.address, carol.address, carol.sessions, carol.identity))
  // first-message decrypt: a pool of fresh sessions' PreKey messages, each to a new responder store
  const firsts: { to: Party; from: Party; m: { type: number; bytes: Uint8Array<ArrayBuffer> } }[] = []
  for (let i = 0; i < 64; i++) {
    const from = makeParty(lib, `init-${i}`)
    const to = makeParty(lib, `resp-${i}`, true)
    await lib.processPreKeyBundle(to.bundle(), to.address, from.address, from.sessions, from.identity)
    firsts.push({ to, from, m: await sessionEncrypt(lib, from, to, pt) })
  }
  let fi = 0
  add('session: first PreKey message decrypt', () => {
    const f = firsts[fi++ % firsts.length]!
    f.to.sessions.records.clear() // a replay of the same PreKey message into a fresh session state
    return sessionDecrypt(lib, f.to, f.from, f.m)
  })

  for (const [label, payload] of [
    ['1 KiB', pt],
    ['SKDM', skdms[0]!],
  ] as const) {
    const a = makeParty(lib, `a-${label}`)
    const b = makeParty(lib, `b-${label}`)
    await connect(lib, a, b)
    add(`session: encrypt ${label} (chain step)` as LibsignalOp, () => sessionEncrypt(lib, a, b, payload))
    // decrypt pool, made on a second pair so the encrypt task's state is independent
    const c = makeParty(lib, `c-${label}`)
    const d = makeParty(lib, `d-${label}`)
    await connect(lib, c, d)
    const dSnapshot = d.sessions.records.get(key(c.address))!.serialize()
    const pool: { type: number; bytes: Uint8Array<ArrayBuffer> }[] = []
    for (let i = 0; i < POOL; i++) pool.push(await sessionEncrypt(lib, c, d, payload))
    add(
      `session: decrypt ${label} (chain step)` as LibsignalOp,
      pooled(
        pool,
        () => d.sessions.records.set(key(c.address), lib.SessionRecord.deserialize(dSnapshot)),
        (m) => sessionDecrypt(lib, d, c, m),
      ),
    )
    const e = makeParty(lib, `e-${label}`)
    const f = makeParty(lib, `f-${label}`)
    await connect(lib, e, f)
    let turn = 0
    add(`session: encrypt+decrypt ${label} ping-pong (DH step)` as LibsignalOp, async () => {
      const [s, r] = turn++ % 2 === 0 ? [e, f] : [f, e]
      return sessionDecrypt(lib, r, s, await sessionEncrypt(lib, s, r, payload))
    })
  }
  return out
}

export interface RemoveModelRow {
  readonly n: number
  /**
   * Whole-group CPU, µs: lower bound (every session message a chain step, no
   * DH ratchet turn), with one DH turn per pair of members (half the messages
   * take a DH step: what a removal where everyone sends at once costs, the
   * schedule bench/senderkeys.ts measures directly as "concurrent"), and with a
   * DH step on every message (upper bound, "sequential").
   */
  readonly wholeGroupUs: number
  readonly wholeGroupTurnUs: number
  readonly wholeGroupDhUs: number
  /** CPU of one remaining member (one create, n-2 sends, n-2 receives), µs, chain-step sessions. */
  readonly perMemberUs: number
  /** Distribution messages sent over sessions: (n-1)(n-2). */
  readonly messages: number
}

export const REMOVE_MODEL_METHOD =
  'Removing one member of an n-member Sender Keys group: each of the n-1 remaining members creates a new sender key ' +
  '(SKDM create) and sends its SenderKeyDistributionMessage to the n-2 others over their pairwise sessions (session ' +
  'encrypt of the SKDM bytes); each receiver decrypts it and processes it. Whole-group CPU = (n-1)*create + ' +
  '(n-1)(n-2)*(session encrypt + session decrypt + SKDM process), from the medians measured above; the lower bound ' +
  'uses chain-step session messages (no DH ratchet turn at all), the "one DH turn per pair" column makes one of each pair\'s two ' +
  'messages a ping-pong one (encrypt+decrypt with a DH ratchet step each; what happens when every member sends before reading), ' +
  'the DH column makes every message a ping-pong one. ' +
  'Per member = create + (n-2)*(encrypt) + (n-2)*(decrypt + process). No fan-out or server cost is counted.'

/** The model from the medians (default) or the means of the unit costs. */
export function removeModel(r: PeerResults<LibsignalOp>, sizes: readonly number[], stat: 'median' | 'mean' = 'median'): RemoveModelRow[] {
  const u = (op: LibsignalOp): number => {
    const s = r.get(op)?.get(0)
    if (s === undefined) throw new Error(`libsignal model: ${op} not measured`)
    return stat === 'median' ? s.medianUs : s.meanUs
  }
  const create = u('sender key: SKDM create')
  const proc = u('sender key: SKDM process')
  const enc = u('session: encrypt SKDM (chain step)')
  const dec = u('session: decrypt SKDM (chain step)')
  const pp = u('session: encrypt+decrypt SKDM ping-pong (DH step)')
  return sizes.map((n) => {
    const msgs = (n - 1) * (n - 2)
    return {
      n,
      wholeGroupUs: (n - 1) * create + msgs * (enc + dec + proc),
      wholeGroupTurnUs: (n - 1) * create + (msgs / 2) * (enc + dec + proc) + (msgs / 2) * (pp + proc),
      wholeGroupDhUs: (n - 1) * create + msgs * (pp + proc),
      perMemberUs: create + (n - 2) * (enc + dec + proc),
      messages: msgs,
    }
  })
}

/**
 * Direct check of the model: an n-member group with pairwise sessions; member
 * `removed` leaves and every remaining member re-keys and distributes over its
 * sessions. Returns the measured whole-group CPU (single-threaded wall time), µs.
 * Each session was confirmed by a reply, so the member that initiated it takes
 * a DH step on its next send and the other a chain step.
 */
export async function simulateRemove(lib: Lib, n: number): Promise<number> {
  const members = Array.from({ length: n }, (_, i) => makeParty(lib, `m${i}`))
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) await connect(lib, members[i]!, members[j]!)
  const remaining = members.slice(1)
  const t0 = performance.now()
  for (const s of remaining) {
    const d = await lib.SenderKeyDistributionMessage.create(s.address, crypto.randomUUID(), s.senderKeys)
    const bytes = d.serialize()
    for (const r of remaining) {
      if (r === s) continue
      const m = await sessionEncrypt(lib, s, r, bytes)
      const got = await sessionDecrypt(lib, r, s, m)
      await lib.processSenderKeyDistributionMessage(s.address, lib.SenderKeyDistributionMessage.deserialize(got as Uint8Array<ArrayBuffer>), r.senderKeys)
    }
  }
  return (performance.now() - t0) * 1000
}

/** simulateRemove after one warm-up run: the median of `runs` timed runs, µs. */
export async function simulateRemoveMedian(lib: Lib, n: number, runs = 3): Promise<number> {
  await simulateRemove(lib, n) // warm-up (JIT, native caches)
  const t: number[] = []
  for (let i = 0; i < runs; i++) t.push(await simulateRemove(lib, n))
  t.sort((a, b) => a - b)
  return t[Math.floor(t.length / 2)]!
}

export interface LibsignalMeasureOptions {
  readonly mode?: BenchMode
  /** Group sizes for the remove model (default 16, 128, 1024). */
  readonly removeSizes?: readonly number[]
  /** Run the direct simulation at this n to check the model (default 16; 0 to skip). */
  readonly simulateAt?: number
  readonly progress?: boolean
}

export interface LibsignalMeasurement {
  /** op -> 0 -> stats (no op here depends on a group size). */
  readonly results: PeerResults<LibsignalOp>
  readonly removeModel: RemoveModelRow[]
  readonly method: string
  /** Direct simulation at simulateAt: measured vs modelled (chain-step) whole-group µs. */
  /** modelUs/modelDhUs from medians, modelMean*Us from means (a one-shot run pays every slow sample, like a mean). */
  readonly check?: { n: number; measuredUs: number; modelUs: number; modelDhUs: number; modelMeanUs?: number; modelMeanDhUs?: number }
}

const SETTINGS: Record<BenchMode, { time: number; iterations: number; warmupTime: number; warmupIterations: number }> = {
  quick: { time: 20, iterations: 5, warmupTime: 5, warmupIterations: 2 },
  default: { time: 300, iterations: 32, warmupTime: 50, warmupIterations: 8 },
  full: { time: 2000, iterations: 200, warmupTime: 300, warmupIterations: 32 },
}

/** Measures libsignal's unit costs and the remove model. Throws with the reason if the native module does not load. */
export async function measureLibsignal(opts: LibsignalMeasureOptions = {}): Promise<LibsignalMeasurement> {
  const loaded = await loadLibsignal()
  if ('error' in loaded) throw new Error(`libsignal-client unavailable: ${loaded.error}`)
  const { lib } = loaded
  const mode = opts.mode ?? 'default'
  const results = emptyResults<LibsignalOp>()
  for (const { op, task } of await libsignalTasks(lib)) {
    const bench = new Bench({ name: task.name, throws: true, ...SETTINGS[mode] })
    bench.add(task.name, task.fn)
    await bench.run()
    const r = bench.tasks[0]?.result
    if (r === undefined || !('latency' in r)) throw new Error(`libsignal bench: ${task.name} produced no result`)
    const stat: PeerStat = peerStat(r.latency)
    setPeer(results, op, 0, stat)
    if (opts.progress !== false) process.stderr.write(`  [libsignal] ${op}: ${stat.medianUs.toFixed(1)} µs/op (${stat.samples} samples)\n`)
  }
  const rows = removeModel(results, opts.removeSizes ?? [16, 128, 1024])
  const simAt = opts.simulateAt ?? 16
  let check: LibsignalMeasurement['check']
  if (simAt > 2) {
    const measuredUs = await simulateRemoveMedian(lib, simAt)
    const row = removeModel(results, [simAt])[0]!
    const mean = removeModel(results, [simAt], 'mean')[0]!
    check = { n: simAt, measuredUs, modelUs: row.wholeGroupUs, modelDhUs: row.wholeGroupDhUs, modelMeanUs: mean.wholeGroupUs, modelMeanDhUs: mean.wholeGroupDhUs }
  }
  return { results, removeModel: rows, method: REMOVE_MODEL_METHOD, ...(check === undefined ? {} : { check }) }
}

function fmtUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`
  if (us >= 1e3) return `${(us / 1e3).toFixed(1)} ms`
  return `${us.toFixed(0)} µs`
}

export function removeModelTable(m: Pick<LibsignalMeasurement, 'removeModel' | 'check'>): string {
  const lines = [
    '| n | SKDMs over sessions | whole-group CPU (chain step, no DH turn) | one DH turn per pair | DH step every message | per remaining member (chain step) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...m.removeModel.map(
      (r) =>
        `| ${r.n} | ${r.messages.toLocaleString('en-US')} | ${fmtUs(r.wholeGroupUs)} | ${r.wholeGroupTurnUs === undefined ? '-' : fmtUs(r.wholeGroupTurnUs)} | ${fmtUs(r.wholeGroupDhUs)} | ${fmtUs(r.perMemberUs)} |`,
    ),
  ]
  if (m.check !== undefined) {
    lines.push(
      '',
      `Model check at n = ${m.check.n}: a direct simulation over real sessions took ${fmtUs(m.check.measuredUs)} (median of runs after a warm-up); the model ` +
        `gives ${fmtUs(m.check.modelUs)} (chain step) to ${fmtUs(m.check.modelDhUs)} (DH step) from the medians` +
        (m.check.modelMeanUs !== undefined && m.check.modelMeanDhUs !== undefined
          ? `, ${fmtUs(m.check.modelMeanUs)} to ${fmtUs(m.check.modelMeanDhUs)} from the means (a one-shot run pays every slow sample, as a mean does)`
          : '') +
        '. In the simulation about half the session messages take a DH step (the pair last spoke the other way when the session was confirmed).',
    )
  }
  return lines.join('\n')
}

/**
 * libsignal numbers and remove model from the last `npm run bench`
 * (bench/results/libsignal-model.json), without measuring again.
 */
export function readLibsignalResults(): LibsignalMeasurement | undefined {
  const r = readResult('libsignal-model')
  if (r === undefined) return undefined
  const extra = r.extra as { removeModel: RemoveModelRow[]; method: string; check?: LibsignalMeasurement['check'] }
  return { results: r.results as PeerResults<LibsignalOp>, removeModel: extra.removeModel, method: extra.method, ...(extra.check ? { check: extra.check } : {}) }
}

const BASE_NOTES =
  'Bytes to bytes with in-memory stores. "chain step": messages in one direction (symmetric ratchet only); ' +
  '"ping-pong": the direction alternates, so each encrypt and decrypt takes a DH ratchet step (one op = one message ' +
  'encrypted and decrypted). SKDM = SenderKeyDistributionMessage. Decrypt rows replay a pool of 2048 messages in order, ' +
  'restoring the receiver record from a snapshot between passes.'

/** Harness rows -> PeerResults (n = 0), by task name. */
function fromRows(rows: readonly TaskResult[]): PeerResults<LibsignalOp> {
  const r = emptyResults<LibsignalOp>()
  for (const op of LIBSIGNAL_OPS) {
    const row = rows.find((x) => x.task === `libsignal ${op}`)
    if (row !== undefined) setPeer(r, op, 0, { medianUs: row.medianUs, meanUs: row.meanUs, p99Us: row.p99Us, samples: row.samples, rmePct: row.rmePct })
  }
  return r
}

let run: { mode: BenchMode; skipped?: string; simulation?: { n: number; measuredUs: number } } = { mode: 'default' }

registerSuite({
  name: 'libsignal',
  title: 'Peer: @signalapp/libsignal-client 0.103 (Sender Keys, PQXDH + Double Ratchet + SPQR sessions)',
  notes: (rows) => {
    if (run.skipped !== undefined) return `${BASE_NOTES}\n\nSkipped: @signalapp/libsignal-client did not load (${run.skipped}).`
    // The remove model from this run's medians; written to bench/results/libsignal-model.json as well.
    const results = fromRows(rows)
    const removeModelRows = removeModel(results, [16, 128, 1024])
    let check: LibsignalMeasurement['check']
    if (run.simulation !== undefined) {
      const row = removeModel(results, [run.simulation.n])[0]!
      const mean = removeModel(results, [run.simulation.n], 'mean')[0]!
      check = {
        n: run.simulation.n,
        measuredUs: run.simulation.measuredUs,
        modelUs: row.wholeGroupUs,
        modelDhUs: row.wholeGroupDhUs,
        modelMeanUs: mean.wholeGroupUs,
        modelMeanDhUs: mean.wholeGroupDhUs,
      }
    }
    writeResult('libsignal-model', results, run.mode, { removeModel: removeModelRows, method: REMOVE_MODEL_METHOD, check })
    const table = removeModelTable({ removeModel: removeModelRows, check })
    return `${BASE_NOTES}\n\nRemove-member model (also in bench/results/libsignal-model.json). Method: ${REMOVE_MODEL_METHOD}\n\n${table}`
  },
  tasks: async (mode) => {
    run = { mode }
    const loaded = await loadLibsignal()
    if ('error' in loaded) {
      process.stderr.write(`  [libsignal] skipped: the native module does not load (${loaded.error})\n`)
      run = { mode, skipped: loaded.error }
      return []
    }
    const { lib } = loaded
    const n = mode === 'quick' ? 8 : 16
    run = { mode, simulation: { n, measuredUs: await simulateRemoveMedian(lib, n, mode === 'quick' ? 1 : 3) } }
    return (await libsignalTasks(lib)).map((t) => t.task)
  },
})
