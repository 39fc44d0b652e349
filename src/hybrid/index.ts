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
  rekeyHash,
  REKEY_MODE_COPATH,
  REKEY_MODE_PAIRWISE,
} from './encoding.js'
export { copathTargets, COPATH_LABEL } from './copath.js'
export { PAIRWISE_LABEL } from './pairwise.js'
export { HYBRID_VERSION, decodeFrame } from './message.js'
