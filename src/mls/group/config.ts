/**
 * Per-group policy knobs (RFC 9420 leaves these to the application): how
 * handshake messages are framed (§6), the secret-tree windows for late and
 * skipped messages (§9.1, §16.4 "Delayed and Reordered Application
 * Messages"), how many past epochs stay decryptable, padding (§6.3.1,
 * §16.2), LeafNode lifetime policy (§7.2) and the Authentication Service
 * (§5.3.1).
 *
 * Every bound is checked here so that a config (or a restored state) cannot
 * ask for unbounded work or memory.
 */
import { TalosError } from '../../errors.js'
import { acceptAllCredentials, type AuthenticationService } from '../keys/credential.js'
import { DEFAULT_MAX_FORWARD_DISTANCE, DEFAULT_MAX_OUT_OF_ORDER, resolveLimits } from '../schedule/secret-tree.js'

export type HandshakeFraming = 'public' | 'private'

export interface GroupConfig {
  /** Proposals and Commits as PublicMessage (visible to the DS) or PrivateMessage. */
  readonly handshake: HandshakeFraming
  /** Skipped keys retained per sender and ratchet. */
  readonly maxOutOfOrder: number
  /** Largest generation jump accepted in one message. */
  readonly maxForwardDistance: number
  /** Past epochs whose secret tree stays available for late messages. */
  readonly pastEpochRetention: number
  /** resumption_psk values of past epochs kept for resumption PSKs (§8.6). */
  readonly resumptionPskRetention: number
  /** PrivateMessage plaintexts are padded to a multiple of this many bytes (0: no padding). */
  readonly paddingBlock: number
  /** Put the ratchet_tree extension in Welcome GroupInfos (§12.4.3.3). */
  readonly ratchetTreeInWelcome: boolean
  /** Upper bound on a KeyPackage leaf's lifetime (seconds); undefined: unbounded. */
  readonly maxLifetimeSeconds?: bigint | undefined
  /**
   * Also check lifetimes of leaves we receive (Adds, trees) against the clock.
   * §7.3 makes this RECOMMENDED only (a leaf may expire in transit); leaves we
   * send are always checked.
   */
  readonly checkReceivedLifetimes: boolean
  readonly authService: AuthenticationService
}

export const MAX_PAST_EPOCHS = 64
export const MAX_RESUMPTION_PSKS = 1024
export const MAX_PADDING_BLOCK = 1 << 16

export const DEFAULT_CONFIG: GroupConfig = Object.freeze({
  handshake: 'private',
  maxOutOfOrder: DEFAULT_MAX_OUT_OF_ORDER,
  maxForwardDistance: DEFAULT_MAX_FORWARD_DISTANCE,
  pastEpochRetention: 1,
  resumptionPskRetention: 8,
  paddingBlock: 32,
  ratchetTreeInWelcome: true,
  maxLifetimeSeconds: undefined,
  checkReceivedLifetimes: false,
  authService: acceptAllCredentials,
})

function intIn(v: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new TalosError('MLS_INVALID_CONFIG', `${what} must be an integer in [${lo}, ${hi}]`)
}

/** The defaults overridden by `overrides`, validated. */
export function resolveConfig(overrides: Partial<GroupConfig> = {}): GroupConfig {
  const c: GroupConfig = { ...DEFAULT_CONFIG, ...overrides }
  if (c.handshake !== 'public' && c.handshake !== 'private') throw new TalosError('MLS_INVALID_CONFIG', 'handshake must be public or private')
  resolveLimits({ maxOutOfOrder: c.maxOutOfOrder, maxForwardDistance: c.maxForwardDistance })
  intIn(c.pastEpochRetention, 0, MAX_PAST_EPOCHS, 'pastEpochRetention')
  intIn(c.resumptionPskRetention, 0, MAX_RESUMPTION_PSKS, 'resumptionPskRetention')
  intIn(c.paddingBlock, 0, MAX_PADDING_BLOCK, 'paddingBlock')
  if (typeof c.authService !== 'function') throw new TalosError('MLS_INVALID_CONFIG', 'authService must be a function')
  return Object.freeze(c)
}
