/**
 * The hybrid mode (design/HYBRID.md): MLS epochs seeding per-sender double
 * ratchets. Public surface:
 *
 *   HybridSession            one member's hybrid layer for one group (session.ts)
 *   HybridGroupView          what it needs from the MLS group per epoch (group-view.ts)
 *   HybridPolicy, defaults   HYBRID.md §5–§6 (policy.ts)
 *   HybridErrorCode          every error it raises (errors.ts)
 *
 * and the exact derivations, for vectors and other implementations:
 * hybExpand/hybLabel (kdf.ts), the ratchet functions (ratchet.ts), the seed
 * tree (seed-tree.ts), the canonical encodings (encoding.ts).
 *
 * Where HYBRID.md leaves room, this implementation reads it as follows (the
 * published vectors fix the derivation-level choices):
 * - AAD: the trailing Hash covers the canonical rekey blob AND the receive-key
 *   announcement together, so neither can be swapped without breaking the
 *   inner AEAD; with neither present it is Hash("").
 * - Rekey HPKE: RFC 9420 EncryptWithLabel, so the HPKE info label is
 *   "MLS 1.0 HYB1 rekey" (pairwise: "MLS 1.0 HYB1 pairwise rekey").
 * - §6 skipped-key counts (100 per chain, 2000 per group) are storage caps
 *   that evict the oldest key; only maximum_forward_distance rejects.
 * - Pairwise receive keys: the latest version is kept past 7 days, or an idle
 *   member could no longer open anyone's rekey; the 1-hour announce rule
 *   replaces it at that member's next send.
 * - A restored sender whose lost state had already rekeyed is refused by peers
 *   as a duplicate (no key reuse; it recovers at the next epoch).
 */
export { HybridSession, type HybridOptions, type ReceiveResult, type ReceivedMessage } from './session.js'
export { HYBRID_COMPONENT_ID, type HybridGroupView } from './group-view.js'
export { DEFAULT_HYBRID_POLICY, resolvePolicy, effectiveMode, type HybridPolicy, type RekeyMode } from './policy.js'
export { DEFAULT_DEPS, type HybridDeps } from './deps.js'
export { HybridErrorCode } from './errors.js'
export { hybExpand, hybLabel, uint32Bytes } from './kdf.js'
export { chainFromBase, messageKey, nextChainKey, rootStep, applyReuseGuard } from './ratchet.js'
export { SeedTree } from './seed-tree.js'
export {
  encodeAad,
  encodePairwiseContext,
  encodeRekeyBlob,
  encodeRekeyContext,
  messageRekeyBlob,
  rekeyHash,
  rekeyTargets,
  REKEY_MODE_COPATH,
  REKEY_MODE_PAIRWISE,
  type RekeyTargets,
} from './encoding.js'
export { copathTargets, COPATH_LABEL } from './copath.js'
export { PAIRWISE_LABEL } from './pairwise.js'
export { HYBRID_VERSION, decodeFrame } from './message.js'
