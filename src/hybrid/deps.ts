/**
 * Injected dependencies of the hybrid layer: randomness, clock and HPKE
 * sealing. Production uses the defaults; the published vectors inject a
 * deterministic RNG and an EncryptWithLabel with fixed ephemeral keys
 * (scripts/gen-hybrid-vectors.ts), and tests inject a clock and a counting
 * suite through the group view.
 */
import { pooledRandomBytes } from '../crypto/random-pool.js'
import type { CipherSuite, HpkeCiphertext } from '../crypto/suite.js'

export interface HybridDeps {
  /** n fresh random bytes: r (§3), reuse guards (§4), pairwise receive-key seeds (§5). */
  readonly rng: (n: number) => Uint8Array
  /** Milliseconds; only differences matter. */
  readonly now: () => number
  /** EncryptWithLabel (RFC 9420 §5.1.3) of the suite. */
  readonly encryptWithLabel: (
    suite: CipherSuite,
    publicKey: Uint8Array,
    label: string,
    context: Uint8Array,
    plaintext: Uint8Array,
  ) => Promise<HpkeCiphertext>
  /**
   * EncryptWithLabel of plaintexts[i] to publicKeys[i], in order (a copath
   * rekey's seals: the suite runs their scalar multiplications in parallel
   * where it pays). Left out by a caller that injects encryptWithLabel, it
   * is that function applied in order, so an injected seal sees every call.
   */
  readonly encryptWithLabelMany: (
    suite: CipherSuite,
    publicKeys: readonly Uint8Array[],
    label: string,
    context: Uint8Array,
    plaintexts: readonly Uint8Array[],
  ) => Promise<HpkeCiphertext[]>
}

/**
 * Randomness comes from the crypto layer's pool of node:crypto CSPRNG output
 * (../crypto/random-pool.ts: one randomFillSync per 4 KiB, slices copied out
 * and zeroed in the block). Not libsodium's randombytes_buf: its WASM build
 * pulls 4 bytes per call into JavaScript (~17-40 µs for 4 bytes here).
 */
export { pooledRandomBytes }

export const DEFAULT_DEPS: HybridDeps = Object.freeze<HybridDeps>({
  rng: pooledRandomBytes,
  now: () => Date.now(),
  encryptWithLabel: (suite, pk, label, ctx, pt) => suite.encryptWithLabel(pk, label, ctx, pt),
  encryptWithLabelMany: (suite, pks, label, ctx, pts) => suite.encryptWithLabelMany(pks, label, ctx, pts),
})

export function resolveDeps(d: Partial<HybridDeps> = {}): HybridDeps {
  const one = d.encryptWithLabel
  if (one === undefined || d.encryptWithLabelMany !== undefined) return { ...DEFAULT_DEPS, ...d }
  return {
    ...DEFAULT_DEPS,
    ...d,
    encryptWithLabelMany: async (suite, pks, label, ctx, pts) => {
      const out: HpkeCiphertext[] = []
      for (let i = 0; i < pks.length; i++) out.push(await one(suite, pks[i]!, label, ctx, pts[i]!))
      return out
    },
  }
}
