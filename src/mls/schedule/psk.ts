/**
 * psk_secret from a list of pre-shared keys (RFC 9420 §8.4):
 *
 *   psk_extracted_[i] = KDF.Extract(0, psk_[i])
 *   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
 *   psk_secret_[0]    = 0
 *   psk_secret_[i]    = KDF.Extract(psk_input_[i-1], psk_secret_[i-1])
 *   psk_secret        = psk_secret_[n]
 *
 * with PSKLabel { PreSharedKeyID id; uint16 index; uint16 count } (wire/psk.ts).
 * Extract(salt, ikm): psk_input_[i-1] is the salt, psk_secret_[i-1] the IKM.
 * Every intermediate is zeroed; the psk values themselves are borrowed.
 *
 * Also: building external and resumption PreSharedKeyIDs with a fresh
 * psk_nonce of length KDF.Nh, and resolving the PSK values of a list of IDs.
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero, randomBytes } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import {
  encodePskLabel,
  PSKType,
  type ExternalPSKID,
  type PreSharedKeyID,
  type ResumptionPSKID,
  type ResumptionPSKUsage,
} from '../wire/psk.js'

/** PSKLabel.count is a uint16. */
export const MAX_PSKS = 0xffff

export interface PskInput {
  readonly id: PreSharedKeyID
  readonly psk: Uint8Array
}

/**
 * psk_secret for the PSKs in the order of the Commit (or GroupSecrets.psks).
 * An empty list gives the all-zero Nh vector.
 */
export function computePskSecret(suite: CipherSuite, psks: readonly PskInput[]): Uint8Array {
  if (psks.length > MAX_PSKS) {
    throw new TalosError('MLS_TOO_MANY_PSKS', `${psks.length} PSKs do not fit PSKLabel.count (uint16)`)
  }
  const zero = new Uint8Array(suite.Nh)
  let secret: Uint8Array = new Uint8Array(suite.Nh)
  for (let i = 0; i < psks.length; i++) {
    const { id, psk } = psks[i]!
    const extracted = suite.extract(zero, psk)
    let input: Uint8Array | undefined
    try {
      input = suite.expandWithLabel(extracted, 'derived psk', encodePskLabel(id, i, psks.length), suite.Nh)
      const next = suite.extract(input, secret)
      memzero(secret)
      secret = next
    } catch (e) {
      memzero(secret)
      throw e
    } finally {
      memzero(extracted)
      memzero(input)
    }
  }
  return secret
}

/** A fresh psk_nonce of length KDF.Nh (§8.4: MUST be fresh and random for each injection). */
export function freshPskNonce(suite: CipherSuite): Uint8Array {
  return randomBytes(suite.Nh)
}

/** An external PreSharedKeyID; the nonce defaults to a fresh one. */
export function externalPskId(suite: CipherSuite, pskId: Uint8Array, pskNonce = freshPskNonce(suite)): ExternalPSKID {
  return { psktype: PSKType.external, pskId, pskNonce }
}

/** A resumption PreSharedKeyID naming the resumption_psk of (group, epoch). */
export function resumptionPskId(
  suite: CipherSuite,
  usage: ResumptionPSKUsage,
  pskGroupId: Uint8Array,
  pskEpoch: bigint,
  pskNonce = freshPskNonce(suite),
): ResumptionPSKID {
  if (pskEpoch < 0n || pskEpoch > 0xffffffffffffffffn) {
    throw new TalosError('MLS_INVALID_PSK', `psk_epoch ${pskEpoch} does not fit uint64`)
  }
  return { psktype: PSKType.resumption, usage, pskGroupId, pskEpoch, pskNonce }
}

/**
 * Checks a received PreSharedKeyID's nonce length (§12.2: psk_nonce MUST be
 * KDF.Nh bytes) so a peer cannot inject a degenerate nonce.
 */
export function checkPskNonce(suite: CipherSuite, id: PreSharedKeyID): void {
  if (id.pskNonce.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_PSK_NONCE', `psk_nonce must be ${suite.Nh} bytes, got ${id.pskNonce.length}`)
  }
}

/**
 * Where PSK values come from: external PSKs from the application's store,
 * resumption PSKs from the resumption_psk of retained past epochs. Returns
 * undefined when the PSK is unknown.
 */
export type PskResolver = (id: PreSharedKeyID) => Uint8Array | undefined

/**
 * Looks every ID up and computes psk_secret. An unknown PSK is an error
 * (§12.2, §12.4.3.1: "if the client is not in possession of the PSK, return
 * an error"), as is a nonce of the wrong length.
 */
export function resolvePskSecret(suite: CipherSuite, ids: readonly PreSharedKeyID[], resolve: PskResolver): Uint8Array {
  if (ids.length > MAX_PSKS) {
    throw new TalosError('MLS_TOO_MANY_PSKS', `${ids.length} PSKs do not fit PSKLabel.count (uint16)`)
  }
  const inputs: PskInput[] = []
  for (const id of ids) {
    checkPskNonce(suite, id)
    const psk = resolve(id)
    if (psk === undefined) {
      throw new TalosError('MLS_PSK_NOT_FOUND', `${id.psktype === PSKType.external ? 'external' : 'resumption'} PSK is unknown`)
    }
    inputs.push({ id, psk })
  }
  return computePskSecret(suite, inputs)
}
