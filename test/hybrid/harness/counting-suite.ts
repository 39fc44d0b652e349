/**
 * A CipherSuite wrapper counting every key derivation and decryption, to
 * prove that a rejected message was refused before any key was derived
 * (HYBRID.md §6, T12).
 */
import type { CipherSuite } from '../../../src/crypto/index.js'

const COUNTED = ['expand', 'expandMany', 'extract', 'expandWithLabel', 'deriveSecret', 'deriveTreeSecret', 'open', 'seal', 'sealInto', 'ratchetOpen', 'ratchetSealInto', 'decryptWithLabel', 'encryptWithLabel', 'hpkeOpen', 'deriveHpkeKeyPair', 'deriveHpkeKeyPairs', 'encryptWithLabelMany'] as const

export interface CountingSuite {
  readonly suite: CipherSuite
  readonly counts: Record<string, number>
  total(): number
  reset(): void
}

export function countingSuite(inner: CipherSuite): CountingSuite {
  const counts: Record<string, number> = {}
  const wrapped: Record<string, unknown> = { ...inner }
  for (const name of COUNTED) {
    const f = inner[name] as (...a: unknown[]) => unknown
    wrapped[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1
      return f(...args)
    }
  }
  return {
    suite: Object.freeze(wrapped) as unknown as CipherSuite,
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k]
    },
  }
}
