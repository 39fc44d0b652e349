/**
 * Skipped-key bookkeeping (HYBRID.md §6, §7; src/hybrid/skipped.ts over the
 * indexed store of skipped-store.ts) against a reference model written the
 * plain way, one list scanned for everything (what skipped.ts did before the
 * store): on random sequences of adds, uses, rekey step expiries and
 * periodic expiry, both keep exactly the same keys in the same order, every
 * key dropped is zeroed, and the store's indexes stay consistent.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { resolvePolicy, type HybridPolicy } from '../../src/hybrid/policy.js'
import { addSkipped, deleteSkipped, expireSkipped, expireSkippedSteps, lookupSkipped } from '../../src/hybrid/skipped.js'
import { SkippedKeys } from '../../src/hybrid/skipped-store.js'
import type { Chain, EpochState } from '../../src/hybrid/state.js'

interface ModelKey {
  sender: number
  step: number
  n: number
  createdMs: number
  seq: number
  key: Uint8Array
}

/** The reference: a list in seq order, every rule a scan over all of it. */
class Model {
  keys: ModelKey[] = []
  seq = 0
  constructor(private readonly p: HybridPolicy) {}

  add(sender: number, step: number, ns: number[], now: number, keyOf: (n: number) => Uint8Array): void {
    for (const n of ns) this.keys.push({ sender, step, n, createdMs: now, seq: this.seq++, key: keyOf(n) })
    const chain = this.keys.filter((k) => k.sender === sender && k.step === step).sort((a, b) => a.n - b.n)
    const drop = new Set(chain.slice(0, Math.max(0, chain.length - this.p.maxSkippedPerChain)))
    this.keys = this.keys.filter((k) => !drop.has(k))
    while (this.keys.length > this.p.maxSkippedPerGroup) this.keys.shift()
  }

  lookup(sender: number, step: number, n: number, now: number): ModelKey | undefined {
    const k = this.keys.find((x) => x.sender === sender && x.step === step && x.n === n)
    return k !== undefined && now - k.createdMs <= this.p.skippedKeyTtlMs ? k : undefined
  }

  use(k: ModelKey): void {
    this.keys = this.keys.filter((x) => x !== k)
  }

  rekey(sender: number, step: number): void {
    this.keys = this.keys.filter((k) => !(k.sender === sender && step - k.step >= this.p.skippedKeyMaxSteps))
  }

  expire(receive: Map<number, number>, now: number): void {
    this.keys = this.keys.filter((k) => {
      const cur = receive.get(k.sender)
      const stepGone = cur !== undefined && cur - k.step >= this.p.skippedKeyMaxSteps
      return !(stepGone || now - k.createdMs > this.p.skippedKeyTtlMs)
    })
  }
}

type Op =
  | { op: 'skip'; sender: number; count: number }
  | { op: 'use'; sender: number; back: number }
  | { op: 'rekey'; sender: number }
  | { op: 'tick'; ms: number }
  | { op: 'expire' }

const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('skip' as const), sender: fc.nat({ max: 3 }), count: fc.integer({ min: 1, max: 9 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('use' as const), sender: fc.nat({ max: 3 }), back: fc.nat({ max: 12 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('rekey' as const), sender: fc.nat({ max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
    { weight: 1, arbitrary: fc.constant({ op: 'expire' as const }) },
  ),
  { maxLength: 120 },
)

function epochState(): EpochState {
  // Only the fields skipped.ts reads.
  return { skipped: new SkippedKeys(), skippedSeq: 0, receive: new Map<number, Chain>(), buffered: [] } as unknown as EpochState
}

describe('skipped keys: indexed store = the scan-everything reference', () => {
  it('random adds, uses, rekeys, ticks and expiries keep the same keys, in the same order, and zero what they drop', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 3, max: 30 }), fc.integer({ min: 1, max: 3 }), (list, perChain, perGroup, maxSteps) => {
        const p = resolvePolicy({ maxSkippedPerChain: perChain, maxSkippedPerGroup: perGroup, skippedKeyTtlMs: 1000, skippedKeyMaxSteps: maxSteps })
        const s = epochState()
        const model = new Model(p)
        const chains = new Map<number, { step: number; next: number }>()
        const dropped: Uint8Array[] = []
        const live = new Set<Uint8Array>()
        let now = 0
        for (const o of list) {
          if (o.op === 'skip') {
            const c = chains.get(o.sender) ?? { step: 0, next: 0 }
            const ns = Array.from({ length: o.count }, (_, i) => c.next + i)
            const made = new Map(ns.map((n) => [n, new Uint8Array(4).fill(1 + (n % 250))]))
            addSkipped(s, p, o.sender, c.step, ns.map((n) => ({ n, key: made.get(n)!, nonce: new Uint8Array(2).fill(7) })), now)
            model.add(o.sender, c.step, ns, now, (n) => made.get(n)!)
            for (const k of made.values()) live.add(k)
            chains.set(o.sender, { step: c.step, next: c.next + o.count + 1 }) // the message after them was received
            s.receive.set(o.sender, { step: c.step, n: c.next + o.count + 1 } as Chain)
          } else if (o.op === 'use') {
            const c = chains.get(o.sender) ?? { step: 0, next: 0 }
            const n = Math.max(0, c.next - 1 - o.back)
            const got = lookupSkipped(s, p, o.sender, c.step, n, now)
            const want = model.lookup(o.sender, c.step, n, now)
            expect(got?.key).toBe(want?.key)
            if (got !== undefined && want !== undefined) {
              deleteSkipped(s, got)
              model.use(want)
            }
          } else if (o.op === 'rekey') {
            const c = chains.get(o.sender) ?? { step: 0, next: 0 }
            chains.set(o.sender, { step: c.step + 1, next: 1 })
            s.receive.set(o.sender, { step: c.step + 1, n: 1 } as Chain)
            expireSkippedSteps(s, p, o.sender, c.step + 1)
            model.rekey(o.sender, c.step + 1)
          } else if (o.op === 'tick') {
            now += o.ms
          } else {
            expireSkipped(s, p, now)
            model.expire(new Map([...chains].map(([l, c]) => [l, c.step])), now)
          }
          const ours = [...s.skipped.values()]
          expect(ours.map((k) => [k.sender, k.step, k.n, k.seq])).toEqual(model.keys.map((k) => [k.sender, k.step, k.n, k.seq]))
          expect(s.skipped.size).toBe(model.keys.length)
          for (const k of ours) expect(s.skipped.get(k.sender, k.step, k.n)).toBe(k)
          expect(s.skipped.oldest()).toBe(ours[0])
          for (const k of live) {
            if (ours.some((x) => x.key === k)) continue
            live.delete(k)
            dropped.push(k)
          }
        }
        for (const k of dropped) expect(k.every((b) => b === 0)).toBe(true)
        for (const k of live) expect(k.some((b) => b !== 0)).toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  it('large counts stay cheap: 20,000 keys added one chain at a time under a 2,000 group cap', () => {
    const p = resolvePolicy({})
    const s = epochState()
    for (let sender = 0; sender < 200; sender++) {
      addSkipped(s, p, sender, 0, Array.from({ length: 100 }, (_, n) => ({ n, key: new Uint8Array(1).fill(1), nonce: new Uint8Array(1) })), 0)
    }
    expect(s.skipped.size).toBe(2000)
    expect(s.skipped.oldest()!.sender).toBe(180)
    expireSkippedSteps(s, p, 199, 5)
    expect(s.skipped.size).toBe(1900)
  })
})
