/**
 * Where a group finds its pre-shared keys (RFC 9420 §8.4, §8.6, §12.1.4).
 *
 * - External PSKs: provisioned by the application, looked up by psk_id.
 * - Resumption PSKs of this group: the resumption_psk of a retained past
 *   epoch (the group keeps the last `resumptionPskRetention` of them).
 * - Resumption PSKs of another group (ReInit, branching): supplied by the
 *   application from the old group's state.
 *
 * The PSK value never leaves this lookup except into computePskSecret,
 * which only borrows it.
 */
import { TalosError } from '../../errors.js'
import type { CipherSuite } from '../../crypto/suite.js'
import type { PskResolver } from '../schedule/psk.js'
import { PSKType, ResumptionPSKUsage, type PreSharedKeyID } from '../wire/psk.js'
import { constantTimeEqual as bytesEqual } from '../../crypto/sodium.js'

/** External PSKs known to this client, by psk_id. */
export interface ExternalPskStore {
  get(pskId: Uint8Array): Uint8Array | undefined
}

/** An in-memory ExternalPskStore. */
export class MemoryPskStore implements ExternalPskStore {
  private readonly map = new Map<string, Uint8Array>()
  set(pskId: Uint8Array, psk: Uint8Array): this {
    this.map.set(Buffer.from(pskId).toString('hex'), new Uint8Array(psk)) // a real copy: Buffer#slice is a view
    return this
  }
  get(pskId: Uint8Array): Uint8Array | undefined {
    return this.map.get(Buffer.from(pskId).toString('hex'))
  }
}

/** Resumption PSKs of groups other than this one: (group_id, epoch) -> resumption_psk. */
export type ForeignResumptionPsks = (groupId: Uint8Array, epoch: bigint) => Uint8Array | undefined

export function pskResolver(
  groupId: Uint8Array,
  ownResumption: ReadonlyMap<bigint, Uint8Array>,
  external: ExternalPskStore | undefined,
  foreign: ForeignResumptionPsks | undefined,
): PskResolver {
  return (id) => {
    if (id.psktype === PSKType.external) return external?.get(id.pskId)
    if (bytesEqual(id.pskGroupId, groupId)) return ownResumption.get(id.pskEpoch)
    return foreign?.(id.pskGroupId, id.pskEpoch)
  }
}

/** Same PreSharedKeyID (for the §12.2 duplicate rule): every field, nonce included. */
export function samePskId(a: PreSharedKeyID, b: PreSharedKeyID): boolean {
  if (a.psktype !== b.psktype || !bytesEqual(a.pskNonce, b.pskNonce)) return false
  if (a.psktype === PSKType.external) return bytesEqual(a.pskId, (b as typeof a).pskId)
  const r = b as typeof a
  return a.usage === r.usage && a.pskEpoch === r.pskEpoch && bytesEqual(a.pskGroupId, r.pskGroupId)
}

/**
 * §12.1.4 rules for a PreSharedKey proposal: nonce of length Nh, and no
 * resumption PSK with usage reinit or branch (those only appear in the
 * GroupSecrets of the Welcome that starts a new group).
 */
export function checkPskProposal(suite: CipherSuite, id: PreSharedKeyID, allowedUsage?: ResumptionPSKUsage): void {
  if (id.pskNonce.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_PSK_NONCE', `psk_nonce must be ${suite.Nh} bytes, got ${id.pskNonce.length}`)
  }
  // reinit / branch PSKs are allowed only in the first Commit of the group they start (§11.2, §11.3).
  if (id.psktype === PSKType.resumption && id.usage !== ResumptionPSKUsage.application && id.usage !== allowedUsage) {
    throw new TalosError('MLS_INVALID_PSK_USAGE', `a PreSharedKey proposal cannot carry a resumption PSK with usage ${id.usage}`)
  }
}
