/**
 * Two-party sessions: the X3DH-style prekey handshake and the Double Ratchet
 * (Signal specifications "The X3DH Key Agreement Protocol" and "The Double
 * Ratchet Algorithm"). Public face of src/ratchet.
 */
export { DEFAULT_POLICY, MAX_SKIP, MAX_STORED_SKIPPED, type RatchetPolicy } from './constants.js'
export { generateIdentity, identityFromPrivate, verifyIdentity, type IdentityKeyPair, type IdentityPublic } from './identity.js'
export {
  MemoryPreKeyStore,
  decodePreKeyBundle,
  encodePreKeyBundle,
  verifyBundle,
  type PreKeyBundle,
  type PreKeyStore,
} from './prekeys.js'
export { Session, decodeSessionMessage, type SessionOptions } from './session.js'
export { PairwiseSessions } from './sessions.js'
export { ratchetCounters, totalDerivations } from './kdf.js'
