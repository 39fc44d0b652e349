/**
 * Proposals received (or sent) during the current epoch, by reference
 * (RFC 9420 §5.2, §12.4):
 *
 *   ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent)
 *
 * over the AuthenticatedContent that carried the proposal. A Commit may name
 * them by reference; the cache resolves the reference to the proposal and
 * to who sent it (the sender matters for Update, and for the §12.2 rules).
 * The cache lives for one epoch: every new epoch starts with an empty one.
 *
 * Bounded: a peer cannot fill our memory with proposals within one epoch.
 */
import { encode } from '../../codec/tls.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { TalosError } from '../../errors.js'
import { authenticatedContentCodec, type AuthenticatedContent, type Sender } from '../wire/framing.js'
import type { Proposal } from '../wire/proposal.js'

const PROPOSAL_REF_LABEL = 'MLS 1.0 Proposal Reference'
/** At most this many cached proposals per epoch. */
export const MAX_CACHED_PROPOSALS = 1024

export function proposalRef(suite: CipherSuite, ac: AuthenticatedContent): Uint8Array {
  return suite.refHash(PROPOSAL_REF_LABEL, encode(authenticatedContentCodec, ac))
}

export interface CachedProposal {
  readonly ref: Uint8Array
  readonly proposal: Proposal
  readonly sender: Sender
}

const key = (ref: Uint8Array) => Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength).toString('hex')

/**
 * An immutable set of cached proposals: `with` returns a new cache (a copy:
 * O(size) per proposal, hence the bound).
 */
export class ProposalCache {
  private constructor(private readonly entries: ReadonlyMap<string, CachedProposal>) {}

  static empty(): ProposalCache {
    return new ProposalCache(new Map())
  }

  static of(list: readonly CachedProposal[]): ProposalCache {
    let c = ProposalCache.empty()
    for (const p of list) c = c.with(p)
    return c
  }

  get size(): number {
    return this.entries.size
  }

  get(ref: Uint8Array): CachedProposal | undefined {
    return this.entries.get(key(ref))
  }

  /** A cache with `p` added (a proposal already cached under the same ref is kept once). */
  with(p: CachedProposal): ProposalCache {
    if (this.entries.has(key(p.ref))) return this
    if (this.entries.size >= MAX_CACHED_PROPOSALS) {
      throw new TalosError('MLS_TOO_MANY_PROPOSALS', `more than ${MAX_CACHED_PROPOSALS} proposals in one epoch`)
    }
    const next = new Map(this.entries)
    next.set(key(p.ref), p)
    return new ProposalCache(next)
  }

  /** In arrival order. */
  list(): CachedProposal[] {
    return [...this.entries.values()]
  }
}
