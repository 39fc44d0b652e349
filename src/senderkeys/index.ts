/**
 * Signal-style sender keys, distributed over the two-party sessions of
 * src/ratchet. Public face of src/senderkeys.
 */
export { DEFAULT_SENDERKEY_POLICY, type SenderKeyPolicy } from './constants.js'
export { SenderKeyGroup, type ReceivedMessage, type SenderKeyGroupOptions } from './group.js'
export { decodeDistribution, decodeSenderKeyMessage } from './message.js'
export { senderKeyCounters, totalSenderKeyDerivations } from './chain.js'
