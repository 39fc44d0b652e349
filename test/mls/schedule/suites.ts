/**
 * Test helpers for the key schedule tests: the suite of a vector case, and a
 * CipherSuite wrapper that counts KDF calls (to prove lazy derivation and
 * "reject before deriving").
 */
import { getCipherSuite } from '../../../src/crypto/index.js'
import type { CipherSuite, CipherSuiteId } from '../../../src/crypto/suite.js'

export async function suiteFor(id: number): Promise<CipherSuite> {
  return await getCipherSuite(id as CipherSuiteId)
}

export interface CallCounts {
  expandWithLabel: number
  deriveTreeSecret: number
  deriveSecret: number
  extract: number
}

/** A CipherSuite that forwards everything to `inner` and counts the KDF calls. */
export function countingSuite(inner: CipherSuite): {
  suite: CipherSuite
  counts: CallCounts
  /** Every byte array a KDF call returned since the last reset (the very buffers, not copies). */
  outputs: Uint8Array[]
  reset(): void
} {
  const outputs: Uint8Array[] = []
  const counts: CallCounts = { expandWithLabel: 0, deriveTreeSecret: 0, deriveSecret: 0, extract: 0 }
  // The suites are frozen objects, so this is a fresh object rather than a Proxy.
  const wrapped: Record<string, unknown> = {}
  const keys = new Set<string>()
  for (let o: object | null = inner; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor') keys.add(k)
  }
  for (const k of keys) {
    const v = (inner as unknown as Record<string, unknown>)[k]
    wrapped[k] =
      typeof v === 'function'
        ? (...args: unknown[]) => {
            const out = (v as (...a: unknown[]) => unknown).apply(inner, args)
            if (k in counts) {
              counts[k as keyof CallCounts]++
              if (out instanceof Uint8Array) outputs.push(out)
            }
            return out
          }
        : v
  }
  const suite = wrapped as unknown as CipherSuite
  const reset = () => {
    for (const k of Object.keys(counts) as (keyof CallCounts)[]) counts[k] = 0
    outputs.length = 0
  }
  return { suite, counts, outputs, reset }
}

/** Total number of KDF derivations counted. */
export function totalDerivations(c: CallCounts): number {
  return c.expandWithLabel + c.deriveTreeSecret + c.deriveSecret + c.extract
}
