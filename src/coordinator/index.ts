/** Coordinator baseline (hub relaying over two-party sessions). Public face of src/coordinator. */
export { CoordinatorHub, type Relayed } from './hub.js'
export { CoordinatorMember, HUB, type Delivered } from './member.js'
export { decodeDelivery, decodeSubmit } from './wire.js'
