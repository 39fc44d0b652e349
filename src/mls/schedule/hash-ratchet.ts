/**
 * One sender's hash ratchet (RFC 9420 §9.1) with an out-of-order window and
 * the deletion schedule of §9.2.
 *
 *   ratchet_nonce_[N]_[j]    = DeriveTreeSecret(ratchet_secret_[N]_[j], "nonce",  j, AEAD.Nn)
 *   ratchet_key_[N]_[j]      = DeriveTreeSecret(ratchet_secret_[N]_[j], "key",    j, AEAD.Nk)
 *   ratchet_secret_[N]_[j+1] = DeriveTreeSecret(ratchet_secret_[N]_[j], "secret", j, KDF.Nh)
 *
 * State: `secret` is ratchet_secret_[generation]; every earlier ratchet secret
 * is deleted. `skipped` holds key/nonce pairs of earlier generations that were
 * jumped over and not yet used (at most `maxOutOfOrder`, the newest kept).
 * A generation below `generation` that is not in `skipped` was consumed or
 * evicted and is refused (replay protection).
 *
 * Work is split into plan (pure: derives into scratch buffers, never touches
 * the state) and apply (installs the plan, zeroes what it replaces), so a
 * message that fails to decrypt leaves the state untouched. Limits are checked
 * before anything is derived.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'

export interface KeyNonce {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
}

export interface RatchetState {
  /** The generation whose ratchet secret is `secret` (the next one to be used). */
  generation: number
  secret: Uint8Array
  /** generation -> unused key/nonce of a skipped generation. */
  skipped: Map<number, KeyNonce>
}

export interface RatchetLimits {
  /** Skipped key/nonce pairs retained per ratchet for late messages. */
  readonly maxOutOfOrder: number
  /** Largest accepted jump ahead of the current generation. */
  readonly maxForwardDistance: number
}

/** Generations are uint32 (SenderData.generation); the last one is kept unused so `generation` stays a uint32. */
export const MAX_GENERATION = 0xfffffffe

/** What applying a plan does to the ratchet. */
export type RatchetPlan =
  /** Use (and delete) a retained skipped key. */
  | { readonly kind: 'skipped'; readonly generation: number; readonly out: KeyNonce }
  /** Move the ratchet forward to generation + 1, retaining `newSkipped`. */
  | {
      readonly kind: 'advance'
      readonly generation: number
      readonly out: KeyNonce
      readonly nextSecret: Uint8Array
      readonly newSkipped: ReadonlyArray<readonly [number, KeyNonce]>
    }

export function newRatchet(secret: Uint8Array, generation = 0): RatchetState {
  return { generation, secret, skipped: new Map() }
}

function keyNonceAt(suite: CipherSuite, secret: Uint8Array, j: number): KeyNonce {
  return {
    key: suite.deriveTreeSecret(secret, 'key', j, suite.Nk),
    nonce: suite.deriveTreeSecret(secret, 'nonce', j, suite.Nn),
  }
}

export function zeroKeyNonce(kn: KeyNonce | undefined): void {
  if (!kn) return
  memzero(kn.key)
  memzero(kn.nonce)
}

/**
 * Checks `generation` against the window of a ratchet currently at
 * `current`, without deriving anything. `skippedHas` says whether a retained
 * key exists for an older generation.
 */
export function checkGeneration(
  current: number,
  generation: number,
  limits: RatchetLimits,
  skippedHas: (g: number) => boolean,
): void {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new TalosError('MLS_INVALID_GENERATION', `generation ${generation} is not a uint32`)
  }
  if (generation < current) {
    if (!skippedHas(generation)) {
      throw new TalosError(
        'MLS_GENERATION_REUSED',
        `generation ${generation} was already used or its key deleted (ratchet is at ${current})`,
      )
    }
    return
  }
  if (generation - current > limits.maxForwardDistance) {
    throw new TalosError(
      'MLS_GENERATION_TOO_FAR',
      `generation ${generation} is more than ${limits.maxForwardDistance} ahead of ${current}`,
    )
  }
  if (generation > MAX_GENERATION) {
    throw new TalosError('MLS_GENERATION_EXHAUSTED', `generation ${generation} is past the end of the ratchet`)
  }
}

/**
 * Plans the key/nonce of `generation`. Pure: the state is not modified and the
 * plan owns fresh buffers (a skipped key is copied).
 */
export function planRatchet(suite: CipherSuite, state: RatchetState, generation: number, limits: RatchetLimits): RatchetPlan {
  checkGeneration(state.generation, generation, limits, (g) => state.skipped.has(g))
  if (generation < state.generation) {
    const kn = state.skipped.get(generation)!
    return { kind: 'skipped', generation, out: { key: kn.key.slice(), nonce: kn.nonce.slice() } }
  }
  // Only the newest maxOutOfOrder skipped generations would survive eviction,
  // so keys below that are never derived (their ratchet secrets still are).
  const keepFrom = Math.max(state.generation, generation - limits.maxOutOfOrder)
  const newSkipped: [number, KeyNonce][] = []
  let secret = state.secret
  try {
    for (let j = state.generation; j < generation; j++) {
      if (j >= keepFrom) newSkipped.push([j, keyNonceAt(suite, secret, j)])
      const next = suite.deriveTreeSecret(secret, 'secret', j, suite.Nh)
      if (secret !== state.secret) memzero(secret)
      secret = next
    }
    const out = keyNonceAt(suite, secret, generation)
    const nextSecret = suite.deriveTreeSecret(secret, 'secret', generation, suite.Nh)
    if (secret !== state.secret) memzero(secret)
    return { kind: 'advance', generation, out, nextSecret, newSkipped }
  } catch (e) {
    if (secret !== state.secret) memzero(secret)
    for (const [, kn] of newSkipped) zeroKeyNonce(kn)
    throw e
  }
}

/**
 * Installs a plan: the consumed ratchet secret and the used skipped key are
 * zeroed, new skipped keys are retained and the oldest evicted (zeroed) past
 * `maxOutOfOrder`. The plan's `out` key/nonce are not touched (the caller owns them).
 */
export function applyRatchetPlan(state: RatchetState, plan: RatchetPlan, maxOutOfOrder: number): void {
  if (plan.kind === 'skipped') {
    zeroKeyNonce(state.skipped.get(plan.generation))
    state.skipped.delete(plan.generation)
    return
  }
  memzero(state.secret)
  state.secret = plan.nextSecret
  state.generation = plan.generation + 1
  for (const [g, kn] of plan.newSkipped) state.skipped.set(g, kn)
  evictOldest(state, maxOutOfOrder)
}

/** Drops (and zeroes) the oldest skipped keys until at most `max` remain. */
export function evictOldest(state: RatchetState, max: number): void {
  if (state.skipped.size <= max) return
  const gens = [...state.skipped.keys()].sort((a, b) => a - b)
  for (let i = 0; i < gens.length - max; i++) {
    zeroKeyNonce(state.skipped.get(gens[i]!))
    state.skipped.delete(gens[i]!)
  }
}

/** Zeroes every scratch buffer of a plan that was not applied (and its output). */
export function discardRatchetPlan(plan: RatchetPlan): void {
  zeroKeyNonce(plan.out)
  if (plan.kind === 'advance') {
    memzero(plan.nextSecret)
    for (const [, kn] of plan.newSkipped) zeroKeyNonce(kn)
  }
}

/** Zeroes a whole ratchet (when its tree is dropped). */
export function zeroRatchet(state: RatchetState): void {
  memzero(state.secret)
  for (const kn of state.skipped.values()) zeroKeyNonce(kn)
  state.skipped.clear()
}

/** A deep copy (fresh buffers), for copy-on-write staging of a whole tree. */
export function cloneRatchet(state: RatchetState): RatchetState {
  const skipped = new Map<number, KeyNonce>()
  for (const [g, kn] of state.skipped) skipped.set(g, { key: kn.key.slice(), nonce: kn.nonce.slice() })
  return { generation: state.generation, secret: state.secret.slice(), skipped }
}
