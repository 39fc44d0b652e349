/**
 * Per-group policy knobs (RFC 9420 leaves these to the application): how
 * handshake messages are framed (§6), the secret-tree windows for late and
 * skipped messages (§9.1, §16.4 "Delayed and Reordered Application
 * Messages"), how many past epochs stay decryptable, padding (§6.3.1,
 * §16.2), LeafNode lifetime policy (§7.2) and the Authentication Service
 * (§5.3.1), and the resource bounds on what a peer can make us hold (tree
 * size, message size; proposals per Commit are capped by
 * MAX_COMMIT_PROPOSALS in proposal-list.ts).
 *
 * Every bound is checked here so that a config (or a restored state) cannot
 * ask for unbounded work or memory.
 */
import { TalosError } from '../../errors.js'
import { nowSeconds } from '../keys/leaf-node.js'
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
   * Also check lifetimes of leaves we receive (KeyPackages in received Adds,
   * key_package leaves of a tree we join) against `clock`. §7.3 makes this
   * RECOMMENDED (a leaf may expire in transit); leaves we send are always
   * checked. On by default. A key_package leaf keeps its lifetime until its
   * member updates or commits, so in a long-lived group a member that never
   * commits eventually makes joins fail (MLS_LIFETIME_EXPIRED): members are
   * expected to refresh their leaf within the KeyPackage lifetime (90 days
   * by default); turn this off to accept stale leaves. Test vectors, whose
   * lifetimes are long past, run with a fixed `clock` or with this off.
   */
  readonly checkReceivedLifetimes: boolean
  /**
   * Seconds since the Unix epoch for every lifetime check (default: the
   * system clock). Policy, not state: not persisted.
   */
  readonly clock: () => bigint
  readonly authService: AuthenticationService
  /**
   * Largest tree (in leaves) this member accepts: from a Welcome or a
   * GroupInfo when joining, and as the result of a Commit's Adds (created or
   * received). Beyond it: MLS_TREE_TOO_LARGE. Policy, not state: like
   * authService it is not persisted (a restored handle takes it from the
   * config given to deserialize, or the default).
   */
  readonly maxTreeLeaves: number
  /**
   * Largest MLSMessage (bytes) processMessage/stageMessage decodes, and the
   * largest ratchet tree (bytes) accepted out of band when joining; beyond
   * it MLS_MESSAGE_TOO_LARGE, before any decoding. Not persisted either.
   */
  readonly maxMessageBytes: number
}

export const MAX_PAST_EPOCHS = 64
export const MAX_RESUMPTION_PSKS = 1024
export const MAX_PADDING_BLOCK = 1 << 16
/** Hard ceilings of the two resource bounds above (2^30 leaves is the tree math limit). */
export const MAX_TREE_LEAVES = 1 << 30
export const MAX_MESSAGE_BYTES = 0x3fffffff

export const DEFAULT_CONFIG: GroupConfig = Object.freeze({
  handshake: 'private',
  maxOutOfOrder: DEFAULT_MAX_OUT_OF_ORDER,
  maxForwardDistance: DEFAULT_MAX_FORWARD_DISTANCE,
  pastEpochRetention: 1,
  resumptionPskRetention: 8,
  paddingBlock: 32,
  ratchetTreeInWelcome: true,
  maxLifetimeSeconds: undefined,
  checkReceivedLifetimes: true,
  clock: nowSeconds,
  authService: acceptAllCredentials,
  maxTreeLeaves: 1 << 16,
  maxMessageBytes: 1 << 26,
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
  intIn(c.maxTreeLeaves, 1, MAX_TREE_LEAVES, 'maxTreeLeaves')
  intIn(c.maxMessageBytes, 1, MAX_MESSAGE_BYTES, 'maxMessageBytes')
  if (typeof c.clock !== 'function') throw new TalosError('MLS_INVALID_CONFIG', 'clock must be a function')
  if (typeof c.authService !== 'function') throw new TalosError('MLS_INVALID_CONFIG', 'authService must be a function')
  return Object.freeze(c)
}
