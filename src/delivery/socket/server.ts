/**
 * serveDelivery: shares one process's DeliveryService (normally the embedded
 * MemoryDelivery) with other processes on the same machine, over TCP on a
 * loopback address only, so local agents need no external server.
 *
 * Access needs the random token embedded in the URL (handed to the other
 * processes out of band, e.g. through an environment variable): a loopback
 * port is reachable by every local user, the token is what keeps them out.
 * The socket carries the same end-to-end protected envelopes as any other
 * DeliveryService, so the token guards availability and metadata, not content.
 */
import { createServer, type Server } from 'node:net'
import { randomBytes } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import { toHex } from '../limits.js'
import type { DeliveryService } from '../types.js'
import { ServerConnection } from './server-connection.js'
import { TOKEN_BYTES } from './url.js'

export interface DeliveryServerOptions {
  /** Loopback address to bind (default 127.0.0.1). Nothing else is accepted. */
  readonly host?: '127.0.0.1' | '::1'
  /** 0 (default) lets the OS pick a free port. */
  readonly port?: number
  /** Access token (32 bytes); random by default. */
  readonly token?: Uint8Array
  /** Concurrent connections accepted (default 64); extra ones are closed at once. */
  readonly maxConnections?: number
}

export interface DeliveryServer {
  /** `talos-delivery://127.0.0.1:<port>/<token hex>`: what connectDelivery takes. */
  readonly url: string
  readonly port: number
  /** Stops listening and drops every connection; the served service stays open. */
  close(): Promise<void>
}

export async function serveDelivery(service: DeliveryService, options: DeliveryServerOptions = {}): Promise<DeliveryServer> {
  const host = options.host ?? '127.0.0.1'
  if (host !== '127.0.0.1' && host !== '::1') {
    throw new TalosError('DELIVERY_INVALID_URL', 'the delivery server binds to a loopback address only')
  }
  const token = options.token ?? randomBytes(TOKEN_BYTES)
  if (!(token instanceof Uint8Array) || token.length !== TOKEN_BYTES) {
    throw new TalosError('DELIVERY_INVALID_TOKEN', `token must be ${TOKEN_BYTES} bytes`)
  }
  const maxConnections = options.maxConnections ?? 64
  const connections = new Set<ServerConnection>()

  const server: Server = createServer((socket) => {
    if (connections.size >= maxConnections) {
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    connections.add(new ServerConnection(socket, service, token, (c) => connections.delete(c)))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new TalosError('DELIVERY_INTERNAL', 'no TCP address')
  const hostPart = host === '::1' ? '[::1]' : host
  return {
    url: `talos-delivery://${hostPart}:${address.port}/${toHex(token)}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of [...connections]) c.drop()
        server.close(() => resolve())
      }),
  }
}
