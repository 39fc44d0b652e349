/**
 * CowArray behaves exactly like a plain array under set / resize / clone,
 * and a clone and its source never see each other's writes (the staging
 * guarantee RatchetTree relies on). Model-based property test. The
 * per-chunk memo of derived() (shared by a lineage of clones) always equals
 * a fresh derivation from the current contents.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CowArray } from '../../../src/mls/tree/cow-array.js'

type Op = { t: 'set'; i: number; v: number } | { t: 'resize'; n: number } | { t: 'clone'; which: number }

/**
 * Runs set / resize / clone ops on the current copy and its plain-array
 * model (a clone becomes a new copy; `which` picks the next current one);
 * any other op goes to `other` with the current copy and model.
 */
function drive<D, X extends { t: string }>(
  arrays: CowArray<number, D>[],
  models: number[][],
  ops: readonly (Op | X)[],
  other: (a: CowArray<number, D>, m: number[], o: X) => void,
): void {
  let cur = 0
  for (const o of ops) {
    const a = arrays[cur]!
    const m = models[cur]!
    const op = o as Op
    if (op.t === 'set') {
      if (m.length === 0) continue
      const i = op.i % m.length
      a.set(i, op.v)
      m[i] = op.v
    } else if (op.t === 'resize') {
      a.resize(op.n)
      if (op.n < m.length) m.length = op.n
      else while (m.length < op.n) m.push(-1)
    } else if (op.t === 'clone') {
      arrays.push(a.clone())
      models.push(m.slice())
      cur = op.which % arrays.length
    } else other(a, m, o as X)
  }
}

describe('CowArray', () => {
  it('matches a plain-array model across clones', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('set' as const), i: fc.nat(2000), v: fc.integer() }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('resize' as const), n: fc.nat(1200) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('clone' as const), which: fc.nat() }) },
    )
    fc.assert(
      fc.property(fc.nat(700), fc.array(op, { maxLength: 80 }), (n0, ops) => {
        const arrays = [new CowArray<number>(n0, -1)]
        const models = [new Array<number>(n0).fill(-1)]
        drive(arrays, models, ops, () => {})
        arrays.forEach((a, k) => {
          expect(a.length).toBe(models[k]!.length)
          expect(a.toArray()).toEqual(models[k])
        })
      }),
      { numRuns: 200 },
    )
  })

  it('derived() matches a fresh derivation from the model, memoised across clones and writes', () => {
    type Derive = { t: 'derive'; end: number }
    type DOp = Op | Derive
    const op: fc.Arbitrary<DOp> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('set' as const), i: fc.nat(2000), v: fc.integer() }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('resize' as const), n: fc.nat(1200) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('clone' as const), which: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('derive' as const), end: fc.nat(1200) }) },
    )
    const derive = (slots: readonly number[], count: number): string => slots.slice(0, count).join(',')
    const expected = (m: readonly number[], end: number): string[] => {
      const out: string[] = []
      for (let s = 0; s < end; s += 256) out.push(m.slice(s, Math.min(end, s + 256)).join(','))
      return out
    }
    fc.assert(
      fc.property(fc.nat(700), fc.array(op, { maxLength: 80 }), (n0, ops) => {
        const arrays = [new CowArray<number, string>(n0, -1, derive)]
        const models = [new Array<number>(n0).fill(-1)]
        drive(arrays, models, ops, (a, m, o) => {
          const end = m.length === 0 ? 0 : o.end % (m.length + 1)
          expect(a.derived(end)).toEqual(expected(m, end))
        })
        arrays.forEach((a, k) => expect(a.derived(a.length)).toEqual(expected(models[k]!, a.length)))
      }),
      { numRuns: 300 },
    )
  })
})
