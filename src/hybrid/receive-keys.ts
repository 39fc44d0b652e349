/**
 * Pairwise receive keys HRK[j, v] (HYBRID.md §5, §7).
 *
 * Version 0 is j's MLS leaf encryption_key (the tree owns its private key;
 * it is never copied into hybrid state). j announces HRK[j, v+1] in its next
 * HybridMessage once HRK[j, v] was used by a rekey, or after 50 sends / 1
 * hour; it keeps at most 5 versions and none older than 7 days (the latest
 * excepted: see `alive`). New key
 * pairs are DeriveKeyPair(rng(Nh)), so an injected RNG makes them
 * reproducible for the vectors.
 *
 * Peers track the latest version each member announced; a pairwise rekey
 * seals to that one (version 0 if none was announced this epoch).
 */
import { forgetPrivateKey } from '../crypto/index.js'
import { memzero } from '../crypto/sodium.js'
import type { HybridKeyAnnouncement } from '../proto/hybrid.js'
import type { HybridDeps } from './deps.js'
import type { HybridPolicy } from './policy.js'
import type { EpochState, OwnReceiveKey } from './state.js'

export function latestOwnVersion(s: EpochState): number {
  return s.ownKeys.length === 0 ? 0 : s.ownKeys[s.ownKeys.length - 1]!.version
}

/**
 * Whether HRK[own, version] is still kept: among the last 5 versions and not
 * older than 7 days -- except the latest, which is kept whatever its age:
 * peers seal to it until they see a successor, and deleting it would leave an
 * idle member unable to follow anyone's rekey. The 1-hour announce rule
 * replaces it at our next send, after which the age bound applies to it.
 */
function alive(s: EpochState, version: number, createdMs: number, policy: HybridPolicy, now: number): boolean {
  const latest = latestOwnVersion(s)
  if (version === latest) return true
  return latest - version < policy.maxReceiveKeyVersions && now - createdMs <= policy.maxReceiveKeyAgeMs
}

/** Our private key for a version, or undefined if it is gone. */
export function ownPrivateKey(s: EpochState, version: number, policy: HybridPolicy, now: number): Uint8Array | undefined {
  if (version === 0) {
    if (!alive(s, 0, s.createdMs, policy, now)) return undefined
    return s.view.privateKey(2 * s.ownLeaf)
  }
  const k = s.ownKeys.find((x) => x.version === version)
  return k !== undefined && alive(s, version, k.createdMs, policy, now) ? k.privateKey : undefined
}

export function announceDue(s: EpochState, policy: HybridPolicy, now: number): boolean {
  const latest = s.ownKeys[s.ownKeys.length - 1]
  const used = latest === undefined ? s.leafKeyUsed : latest.used
  const created = latest === undefined ? s.createdMs : latest.createdMs
  return used || s.sentSinceAnnounce >= policy.announceAfterMessages || now - created >= policy.announceAfterMs
}

/** A new HRK[own, latest+1] (not yet part of the state). */
export async function newOwnKey(s: EpochState, deps: HybridDeps, now: number): Promise<OwnReceiveKey> {
  const ikm = deps.rng(s.suite.Nh)
  try {
    const kp = await s.suite.deriveHpkeKeyPair(ikm)
    return { version: latestOwnVersion(s) + 1, privateKey: kp.privateKey, publicKey: kp.publicKey, createdMs: now, used: false }
  } finally {
    memzero(ikm)
  }
}

export function announcementOf(k: OwnReceiveKey): HybridKeyAnnouncement {
  return { version: k.version, publicKey: k.publicKey.slice() }
}

/** Drops (zeroes) versions beyond the count or age bound. Mutates: call on commit only. */
export function pruneOwnKeys(s: EpochState, policy: HybridPolicy, now: number): void {
  // Runs on every pairwise send: nothing is allocated unless a key goes.
  let i = 0
  while (i < s.ownKeys.length && alive(s, s.ownKeys[i]!.version, s.ownKeys[i]!.createdMs, policy, now)) i++
  if (i === s.ownKeys.length) return
  const keep: OwnReceiveKey[] = []
  for (const k of s.ownKeys) {
    if (alive(s, k.version, k.createdMs, policy, now)) keep.push(k)
    else deleteOwnKey(k)
  }
  s.ownKeys = keep
}

/** The key a pairwise rekey seals to for member `leaf`. */
export function peerKey(s: EpochState, leaf: number): { version: number; publicKey: Uint8Array } {
  const k = s.peerKeys.get(leaf)
  return k !== undefined ? k : { version: 0, publicKey: s.view.encryptionKey(2 * leaf) }
}

/** Deletes HRK[own, v]: the HPKE layer's parsed copy first, then the bytes (§7). */
export function deleteOwnKey(k: OwnReceiveKey): void {
  forgetPrivateKey(k.privateKey)
  memzero(k.privateKey)
}
