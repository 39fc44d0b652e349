/**
 * Member keys (RFC 9420 §5.3, §7.2-§7.3, §10): credentials and the
 * authentication-service callback, our capabilities, LeafNode signing and
 * validation, KeyPackage generation, validation and references.
 */
export * from './capabilities.js'
export * from './credential.js'
export * from './key-package.js'
export * from './leaf-node.js'
