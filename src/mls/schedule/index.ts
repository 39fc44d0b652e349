/**
 * The MLS key schedule package (RFC 9420 §8, §9; draft-ietf-mls-extensions
 * "Exported Secrets"): epoch secrets, PSKs, exporters, external init, the
 * secret tree with its sender ratchets, sender data keys, and the exporter
 * tree for SafeExportSecret.
 */
export * from './key-schedule.js'
export * from './psk.js'
export * from './exporter.js'
export * from './external.js'
export * from './sender-data.js'
export { type KeyNonce, type RatchetLimits, MAX_GENERATION } from './hash-ratchet.js'
export * from './secret-tree.js'
export { serializeSecretTree, deserializeSecretTree } from './secret-tree-codec.js'
export { ExporterTree, EXPORTER_TREE_LEAVES } from './exporter-tree.js'
