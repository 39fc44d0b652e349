/**
 * Our MlsGroup against ts-mls 1.6.4 on the same group shape and operations
 * as bench/peers/ts-mls.ts (see there), side by side with the ratio. A script,
 * not a registered suite (the MLS bench proper lives elsewhere):
 *
 *   npx tsx bench/peers/compare-ts-mls.ts [n ...]     default 2 16 128
 *
 * ts-mls's numbers are read from the last `npm run bench ts-mls` (bench/results/ts-mls*.json);
 * ours are measured here, suite 3. Differences in method, so the ratio is read right:
 *   - ours' "process *" and "decrypt" rows are stageMessage + reject: every check and derivation of
 *     processing, without adopting the staged state (ts-mls returns a new state, which it always builds);
 *   - "commit add" is ours without a path ('when-required'), as ts-mls makes an Add-only commit;
 *   - commits are created and discarded (discardPendingCommit), so each op starts from the same state.
 * Writes bench/results/ours-vs-ts-mls.json.
 */
import { Bench } from 'tinybench'
import { basicCredential, decodeMLSMessage, generateKeyPackage, keyPackageMessage, MlsGroup } from '../../src/mls/index.js'
import { WireFormat } from '../../src/mls/wire/framing.js'
import { emptyResults, peerStat, setPeer, sideBySide, writeResult } from './common.js'
import { populatingCommitters, readTsMlsResults, TS_MLS_OPS } from './ts-mls.js'

const suite = 3
async function kp(name: string) {
  const b = await generateKeyPackage({ cipherSuite: suite, credential: basicCredential(`did:talos:${name}`) })
  return { b, msg: keyPackageMessage(b.keyPackage) }
}
async function join(welcome: Uint8Array, k: Awaited<ReturnType<typeof kp>>) {
  const m = decodeMLSMessage(welcome)
  if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('x')
  return MlsGroup.join({ welcome: m.welcome, keyPackage: { value: k.b.keyPackage, bytes: k.b.bytes }, secrets: k.b })
}
const ours = emptyResults<string>()
const sizes = process.argv.slice(2).map(Number)
for (const n of sizes.length ? sizes : [2, 16, 128]) {
  const t0 = performance.now()
  const alice = await MlsGroup.create({ cipherSuite: suite, credential: basicCredential('did:talos:alice') })
  const kps = [] as Awaited<ReturnType<typeof kp>>[]
  for (let i = 1; i < n; i++) kps.push(await kp(`m${i}`))
  const c0 = await alice.commit({ add: kps.map((k) => k.msg) }); alice.mergePendingCommit()
  const committers = populatingCommitters(n)
  const live = new Map<number, MlsGroup>([[0, alice]])
  for (const leaf of new Set([1, ...committers])) live.set(leaf, await join(c0.welcome!, kps[leaf - 1]!))
  for (const leaf of committers) {
    const g = live.get(leaf)!
    const c = await g.commit({}); g.mergePendingCommit()
    for (const [l, other] of live) if (l !== leaf) await other.processMessage(c.commit)
  }
  const bob = live.get(1)!
  console.error(`ours n=${n} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const pt = crypto.getRandomValues(new Uint8Array(1024))
  const newcomer = await kp('newcomer')
  const add = await alice.commit({ add: [newcomer.msg], path: 'when-required' }); alice.discardPendingCommit()
  const upd = await alice.commit({}); alice.discardPendingCommit()
  const rem = await alice.commit({ remove: [n - 1] }); alice.discardPendingCommit()
  await bob.processMessage(alice.send(pt))
  const msg1 = alice.send(pt)
  const stage = async (b: Uint8Array) => (await bob.stageMessage(b)).reject()
  const tasks: [string, () => unknown][] = [
    ['encrypt 1 KiB', () => alice.send(pt)],
    ['decrypt 1 KiB', () => stage(msg1)],
    ['commit add', async () => { await alice.commit({ add: [newcomer.msg], path: 'when-required' }); alice.discardPendingCommit() }],
    ['process add', () => stage(add.commit)],
    ['join (Welcome)', () => join(add.welcome!, newcomer)],
    ['commit update', async () => { await alice.commit({}); alice.discardPendingCommit() }],
    ['process update', () => stage(upd.commit)],
    ['commit remove', async () => { await alice.commit({ remove: [n - 1] }); alice.discardPendingCommit() }],
    ['process remove', () => (n > 2 ? stage(rem.commit) : undefined)],
  ]
  for (const [op, fn] of tasks) {
    if (op === 'process remove' && n === 2) continue
    const b = new Bench({ time: 300, iterations: n >= 512 ? 5 : 32, warmupIterations: 4, throws: true })
    b.add(op, fn)
    await b.run()
    const r = b.tasks[0]!.result
    if (r === undefined || !('latency' in r)) throw new Error(`${op}: no result`)
    setPeer(ours, op, n, peerStat(r.latency))
    console.error(`  ours n=${n} ${op}: ${(r.latency.p50 * 1000).toFixed(0)} µs`)
  }
}
const peer = readTsMlsResults()
if (peer === undefined) throw new Error('no ts-mls results: run `npm run bench ts-mls` first')
writeResult('ours-vs-ts-mls', ours, 'default')
console.log(sideBySide(ours, peer, 'ts-mls 1.6.4', TS_MLS_OPS))
