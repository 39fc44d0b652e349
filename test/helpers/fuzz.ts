/** Shared helpers for the decoder fuzz tests: hostile inputs, and "only TalosError" checks. */
import fc from 'fast-check'
import { isTalosError } from '../../src/errors.js'

/** Runs fn; any exception that is not a TalosError fails the property. */
export function onlyTalosError(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (!isTalosError(e)) throw new Error(`non-Talos error: ${String(e)}`, { cause: e })
  }
}

/** Arbitrary bytes, and mutations (flips, truncations, splices) of a valid encoding. */
export function hostile(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = valid.slice()
      b[i]! ^= x
      return b
    }),
    fc.nat(valid.length).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat(valid.length), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => {
      const b = new Uint8Array(valid.length + ins.length)
      b.set(valid.subarray(0, i), 0)
      b.set(ins, i)
      b.set(valid.subarray(i), i + ins.length)
      return b
    }),
  )
}
