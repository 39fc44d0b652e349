/**
 * Two-party sessions (src/ratchet): X3DH-style set-up and the Double Ratchet,
 * 1 KiB messages, bytes to bytes (SessionMessage Protobuf in and out).
 *
 *   chain step   one direction only: a symmetric-ratchet step per message
 *                (KDF_CK = 2 HMAC, message keys = 1 HKDF-Expand, 1 AEAD).
 *   DH step      ping-pong: the direction alternates, so every message is a
 *                DH ratchet turn (sender: fresh X25519 key pair + DH + KDF_RK;
 *                receiver: DH + KDF_RK); one op = one message encrypted and
 *                decrypted.
 *   HE           the same with header encryption (XChaCha20-Poly1305 header,
 *                trial decryption with HKr then NHKr).
 *   set-up       initiator: bundle verification (3 Ed25519 verifies) + X3DH
 *                (4 DH) ; responder: identity verification + X3DH + the first
 *                message's decryption (its DH step included).
 *
 * Side by side, in the same run: @signalapp/libsignal-client's sessions
 * (PQXDH + Double Ratchet + SPQR in 0.103, so its set-up also does ML-KEM and
 * its messages carry the SPQR chain). LIBSIGNAL HOOK: rows come from
 * bench/peers/libsignal.ts (makeParty/connect/sessionEncrypt/sessionDecrypt);
 * if the native module does not load, the rows are absent and the notes say so.
 */
import { secureRandom } from '../src/crypto/dh.js'
import { generateIdentity } from '../src/ratchet/identity.js'
import { MemoryPreKeyStore } from '../src/ratchet/prekeys.js'
import { Session, type SessionOptions } from '../src/ratchet/session.js'
import { registerSuite, type BenchTask, type TaskResult } from './harness.js'
import { connect, loadLibsignal, makeParty, sessionDecrypt, sessionEncrypt } from './peers/libsignal.js'

const KIB = secureRandom(1024)
const POOL = 2048

/** An established pair: A initiated, B answered, A read the answer. */
function pair(options: SessionOptions = {}): { a: Session; b: Session } {
  const alice = generateIdentity()
  const bob = generateIdentity()
  const store = new MemoryPreKeyStore(bob)
  store.generateOneTimePreKeys(1)
  const a = Session.initiate(alice, store.bundle(), options)
  const { session: b } = Session.respond(bob, store, a.encrypt(KIB), options)
  a.decrypt(b.encrypt(KIB))
  return { a, b }
}

/** Decrypts a pool of messages in order; restores the receiver from a snapshot when the pool wraps. */
function pooled(pool: Uint8Array[], snapshot: Uint8Array, options: SessionOptions): () => unknown {
  let receiver = Session.deserialize(snapshot, options)
  let i = 0
  return () => {
    if (i === pool.length) {
      receiver = Session.deserialize(snapshot, options)
      i = 0
    }
    return receiver.decrypt(pool[i++]!)
  }
}

function ourTasks(label: string, options: SessionOptions): BenchTask[] {
  const tasks: BenchTask[] = []
  const enc = pair(options)
  tasks.push({ name: `${label}encrypt 1 KiB (chain step)`, fn: () => enc.a.encrypt(KIB) })
  const dec = pair(options)
  const snapshot = dec.b.serialize()
  const pool = Array.from({ length: POOL }, () => dec.a.encrypt(KIB))
  tasks.push({ name: `${label}decrypt 1 KiB (chain step)`, fn: pooled(pool, snapshot, options) })
  const pp = pair(options)
  let turn = 0
  tasks.push({
    name: `${label}encrypt+decrypt 1 KiB ping-pong (DH step)`,
    fn: () => (turn++ % 2 === 0 ? pp.b.decrypt(pp.a.encrypt(KIB)) : pp.a.decrypt(pp.b.encrypt(KIB))),
  })
  return tasks
}

function setupTasks(): BenchTask[] {
  const alice = generateIdentity()
  const bob = generateIdentity()
  const store = new MemoryPreKeyStore(bob)
  const bundle = store.bundle() // no one-time prekey: the same bundle serves every iteration
  const firsts = Array.from({ length: 64 }, () => Session.initiate(alice, bundle).encrypt(KIB))
  let i = 0
  return [
    { name: 'DR set-up: initiate from a bundle (verify + X3DH)', fn: () => Session.initiate(alice, bundle) },
    { name: 'DR set-up: respond to the first PreKeyMessage (X3DH + decrypt)', fn: () => Session.respond(bob, store, firsts[i++ % firsts.length]!) },
  ]
}

function recordTasks(): BenchTask[] {
  const { a, b } = pair()
  for (let k = 0; k < 10; k++) a.decrypt(b.encrypt(KIB)) // a few chains' worth of state
  const bytes = a.serialize()
  return [
    { name: `DR session record serialize (${bytes.length} B)`, fn: () => a.serialize() },
    { name: 'DR session record deserialize', fn: () => Session.deserialize(bytes) },
  ]
}

// ---- LIBSIGNAL HOOK -----------------------------------------------------
let libsignalNote = ''

async function libsignalTasks(): Promise<BenchTask[]> {
  const loaded = await loadLibsignal()
  if ('error' in loaded) {
    libsignalNote = `libsignal rows absent: @signalapp/libsignal-client did not load (${loaded.error}).`
    return []
  }
  libsignalNote = ''
  const { lib } = loaded
  const pt = KIB.slice() as Uint8Array<ArrayBuffer>
  const a = makeParty(lib, 'lsa')
  const b = makeParty(lib, 'lsb')
  await connect(lib, a, b)
  const c = makeParty(lib, 'lsc')
  const d = makeParty(lib, 'lsd')
  await connect(lib, c, d)
  const dKey = `${c.address.name()}.${c.address.deviceId()}`
  const dSnap = d.sessions.records.get(dKey)!.serialize()
  const pool: { type: number; bytes: Uint8Array<ArrayBuffer> }[] = []
  for (let k = 0; k < POOL; k++) pool.push(await sessionEncrypt(lib, c, d, pt))
  let i = 0
  const e = makeParty(lib, 'lse')
  const f = makeParty(lib, 'lsf')
  await connect(lib, e, f)
  let turn = 0
  return [
    { name: 'libsignal: encrypt 1 KiB (chain step)', fn: () => sessionEncrypt(lib, a, b, pt) },
    {
      name: 'libsignal: decrypt 1 KiB (chain step)',
      fn: () => {
        if (i === pool.length) {
          d.sessions.records.set(dKey, lib.SessionRecord.deserialize(dSnap))
          i = 0
        }
        return sessionDecrypt(lib, d, c, pool[i++]!)
      },
    },
    {
      name: 'libsignal: encrypt+decrypt 1 KiB ping-pong (DH step)',
      fn: async () => {
        const [s, r] = turn++ % 2 === 0 ? [e, f] : [f, e]
        return sessionDecrypt(lib, r, s, await sessionEncrypt(lib, s, r, pt))
      },
    },
  ]
}

function notes(results: readonly TaskResult[]): string {
  const med = (name: string): number | undefined => results.find((r) => r.task === name)?.medianUs
  const rows: string[] = []
  for (const op of ['encrypt 1 KiB (chain step)', 'decrypt 1 KiB (chain step)', 'encrypt+decrypt 1 KiB ping-pong (DH step)']) {
    const ours = med(`DR ${op}`)
    const theirs = med(`libsignal: ${op}`)
    if (ours !== undefined && theirs !== undefined) {
      rows.push(`| ${op} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${(ours / theirs).toFixed(2)} |`)
    }
  }
  const parts = [
    'One op = one call, bytes to bytes. Decrypt rows replay a pool of 2048 messages in order, restoring the receiver ' +
      'from its serialized record when the pool wraps. X25519 runs on node:crypto (OpenSSL), key pairs by importing ' +
      'random bytes (see src/crypto/dh.ts); HKDF, HMAC, ChaCha20-Poly1305 and Ed25519 on libsodium.',
  ]
  if (rows.length > 0) {
    parts.push('', 'Side by side with libsignal-client (medians, µs; ratio < 1 means we are faster):', '', '| operation | talos | libsignal | talos / libsignal |', '|---|---:|---:|---:|', ...rows)
  }
  if (libsignalNote) parts.push('', libsignalNote)
  return parts.join('\n')
}

registerSuite({
  name: 'ratchet',
  title: 'Two-party sessions: X3DH-style set-up and Double Ratchet (1 KiB)',
  notes,
  tasks: async () => [
    ...ourTasks('DR ', {}),
    ...ourTasks('DR HE ', { headerEncryption: true }),
    ...setupTasks(),
    ...recordTasks(),
    ...(await libsignalTasks()),
  ],
})
