/**
 * Delivery: the DeliveryService contract and its implementations.
 *
 *   new MemoryDelivery()                     embedded, one process
 *   serveDelivery(memory) / connectDelivery(url)   the same, shared over loopback TCP
 *   NatsDelivery.connect({ servers })        NATS JetStream
 */
export * from './types.js'
export { isDid, assertDid, MAX_DID_LENGTH } from './did.js'
export {
  DEFAULT_MAX_ENVELOPE_BYTES,
  DEFAULT_MAX_LOG_BYTES,
  MAX_FETCH_BYTES,
  MAX_FETCH_ENTRIES,
  MAX_GROUP_ID_BYTES,
  MAX_ONE_TIME_ITEMS,
  MAX_DIRECTORY_ITEM_BYTES,
} from './limits.js'
export { MemoryDelivery, type MemoryDeliveryOptions } from './memory/service.js'
export { serveDelivery, type DeliveryServer, type DeliveryServerOptions } from './socket/server.js'
export { connectDelivery, type ConnectDeliveryOptions } from './socket/client.js'
export { NatsDelivery, type NatsDeliveryOptions } from './nats/service.js'
