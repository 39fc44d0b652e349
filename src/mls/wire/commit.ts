/**
 * Commit (RFC 9420 §12.4).
 *
 *   struct {
 *     ProposalOrRef proposals<V>;
 *     optional<UpdatePath> path;
 *   } Commit;
 */
import { optional, struct, vec, type Codec } from '../../codec/tls.js'
import { updatePathCodec, type UpdatePath } from './hpke.js'
import { proposalOrRefCodec, type ProposalOrRef } from './proposal.js'

export interface Commit {
  proposals: ProposalOrRef[]
  /** Absent for a partial Commit (no UpdatePath). */
  path?: UpdatePath | undefined
}

export const commitCodec: Codec<Commit> = struct({
  proposals: vec(proposalOrRefCodec),
  path: optional(updatePathCodec),
})
