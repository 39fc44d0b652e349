/**
 * Injected dependencies of the hybrid layer: randomness, clock and HPKE
 * sealing. Production uses the defaults; the published vectors inject a
 * deterministic RNG and an EncryptWithLabel with fixed ephemeral keys
 * (scripts/gen-hybrid-vectors.ts), and tests inject a clock and a counting
 * suite through the group view.
 */
import { randomFillSync } from 'node:crypto'
import { memzero } from '../crypto/sodium.js'
import { hybridError } from './errors.js'
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
}

/**
 * Randomness is drawn from a 4 KiB block of node:crypto CSPRNG output
 * (randomFillSync: ~30 µs per block on the bench machine). Not libsodium's
 * randombytes_buf: measured here, its WASM build pulls 4 bytes per call into
 * JavaScript, so 4 bytes cost ~17-40 µs and 4 KiB ~29 ms. Bytes handed out
 * are copied and then zeroed in the block, so no value given to the protocol
 * (r, reuse guards, receive-key seeds) stays behind or is handed out twice.
 */
const POOL_BYTES = 4096
let pool = new Uint8Array(0)
let poolPos = 0

export function pooledRandomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw hybridError("HYBRID_INVALID_POLICY", `bad random length ${n}`)
  if (n > POOL_BYTES) return randomFillSync(new Uint8Array(n))
  if (poolPos + n > pool.length) {
    memzero(pool)
    pool = randomFillSync(new Uint8Array(POOL_BYTES))
    poolPos = 0
  }
  const out = pool.slice(poolPos, poolPos + n)
  pool.fill(0, poolPos, poolPos + n)
  poolPos += n
  return out
}

export const DEFAULT_DEPS: HybridDeps = Object.freeze<HybridDeps>({
  rng: pooledRandomBytes,
  now: () => Date.now(),
  encryptWithLabel: (suite, pk, label, ctx, pt) => suite.encryptWithLabel(pk, label, ctx, pt),
})

export function resolveDeps(d: Partial<HybridDeps> = {}): HybridDeps {
  return { ...DEFAULT_DEPS, ...d }
}
