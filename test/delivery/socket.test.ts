/**
 * The in-memory service served over the loopback socket: the contract, plus
 * what a hostile peer on either end can and cannot do.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeProto } from '../../src/codec/proto.js'
import { TalosError } from '../../src/errors.js'
import { MemoryDelivery } from '../../src/delivery/memory/service.js'
import { connectDelivery } from '../../src/delivery/socket/client.js'
import { encodeFrame } from '../../src/delivery/socket/framing.js'
import { serveDelivery, type DeliveryServer } from '../../src/delivery/socket/server.js'
import { parseDeliveryUrl } from '../../src/delivery/socket/url.js'
import { DeliveryEntryKind, DeliveryRequest, DeliveryServerFrame } from '../../src/proto/delivery.js'
import { deliveryContract } from './contract.js'

deliveryContract('in-memory over the loopback socket', async () => {
  const service = new MemoryDelivery()
  const server = await serveDelivery(service, { port: 0 })
  return {
    connect: () => connectDelivery(server.url),
    close: async () => {
      await server.close()
      await service.close()
    },
  }
})

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Opens a raw TCP connection and resolves when the server closes it. */
function rawConnection(port: number): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => undefined)
  socket.resume() // 'close' only follows once what the server sent has been read
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return { socket, closed }
}

function helloFrame(url: string): Uint8Array {
  const { token } = parseDeliveryUrl(url)
  return encodeFrame(encodeProto(DeliveryRequest, { id: 1, op: { case: 'hello', value: { token, version: 1 } } }))
}

describe('loopback server against hostile clients', () => {
  let service: MemoryDelivery
  let server: DeliveryServer

  beforeAll(async () => {
    service = new MemoryDelivery({ maxEnvelopeBytes: 1024 })
    server = await serveDelivery(service)
  })
  afterAll(async () => {
    await server.close()
    await service.close()
  })

  async function stillServes(): Promise<void> {
    const c = await connectDelivery(server.url)
    const g = new Uint8Array([0xaa])
    const { seq } = await c.publish(g, enc('ok'), { kind: 'message' })
    expect((await c.fetch(g, seq))[0]!.seq).toBe(seq)
    await c.close()
  }

  it.each([
    ['garbage that is not a frame', () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['a zero-length frame', () => new Uint8Array([0, 0, 0, 0])],
    ['a frame longer than the bound', () => new Uint8Array([0, 0x10, 0, 0])],
    ['a frame holding invalid Protobuf', () => encodeFrame(new Uint8Array([0x0a, 0xff, 0x01]))],
    ['a request before hello', () => encodeFrame(encodeProto(DeliveryRequest, { id: 1, op: { case: 'head', value: { groupId: new Uint8Array([1]) } } }))],
    ['a hello with the wrong token', () => encodeFrame(encodeProto(DeliveryRequest, { id: 1, op: { case: 'hello', value: { token: new Uint8Array(32), version: 1 } } }))],
  ])('drops a connection that sends %s, and keeps serving others', async (_name, bytes) => {
    const { socket, closed } = rawConnection(server.port)
    socket.write(bytes())
    await closed
    await stillServes()
  })

  it('drops a connection whose valid hello is followed by garbage', async () => {
    const { socket, closed } = rawConnection(server.port)
    socket.write(helloFrame(server.url))
    socket.write(encodeFrame(new Uint8Array([0x08])))
    await closed
    await stillServes()
  })

  it('answers a well-formed but invalid request with a typed error and keeps the connection', async () => {
    const c = await connectDelivery(server.url)
    await expect(c.head(new Uint8Array(300))).rejects.toMatchObject({ code: 'DELIVERY_INVALID_GROUP_ID' })
    await expect(c.publish(new Uint8Array([1]), new Uint8Array(1025), { kind: 'message' })).rejects.toMatchObject({
      code: 'DELIVERY_TOO_LARGE',
    })
    expect(c.maxEnvelopeBytes).toBe(1024)
    await c.head(new Uint8Array([1]))
    await c.close()
  })

  it('refuses URLs that are not loopback, and tokens that do not match', async () => {
    for (const url of ['talos-delivery://10.0.0.1:4000/' + '00'.repeat(32), 'talos-delivery://localhost:4000/' + '00'.repeat(32), 'http://127.0.0.1:1/x', 'talos-delivery://127.0.0.1:4000/00']) {
      await expect(connectDelivery(url)).rejects.toMatchObject({ code: 'DELIVERY_INVALID_URL' })
    }
    const wrong = server.url.replace(/\/[0-9a-f]+$/, '/' + '00'.repeat(32))
    await expect(connectDelivery(wrong)).rejects.toMatchObject({ code: 'DELIVERY_CONNECTION_LOST' })
    await expect(serveDelivery(service, { host: "0.0.0.0" as never })).rejects.toMatchObject({ code: 'DELIVERY_INVALID_URL' })
  })
})

/**
 * A fake server that answers the hello properly and then misbehaves, to show
 * the client turns whatever arrives into the typed error.
 */
async function fakeServer(misbehave: (socket: Socket, firstRequestId: number) => void): Promise<{ url: string; server: Server }> {
  const token = new Uint8Array(32).fill(1)
  const server = createServer((socket) => {
    let seen = 0
    socket.on('error', () => undefined)
    socket.on('data', () => {
      seen++
      if (seen === 1) {
        socket.write(encodeFrame(encodeProto(DeliveryServerFrame, { body: { case: 'response', value: { id: 1, result: { case: 'hello', value: { version: 1, maxEnvelopeBytes: 1000 } } } } })))
      } else if (seen === 2) {
        misbehave(socket, 2)
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  return { url: `talos-delivery://127.0.0.1:${port}/${'01'.repeat(32)}`, server }
}

describe('client against a hostile delivery server', () => {
  const servers: Server[] = []
  afterAll(() => servers.forEach((s) => s.close()))

  async function clientOf(misbehave: (socket: Socket, id: number) => void) {
    const { url, server } = await fakeServer(misbehave)
    servers.push(server)
    return connectDelivery(url)
  }

  it.each([
    ['bytes that are not Protobuf', (s: Socket) => s.write(encodeFrame(new Uint8Array([0xff, 0xff])))],
    ['an oversized frame header', (s: Socket) => s.write(new Uint8Array([0x7f, 0, 0, 0]))],
    ['a response to a request never made', (s: Socket) => s.write(encodeFrame(encodeProto(DeliveryServerFrame, { body: { case: 'response', value: { id: 999, result: { case: 'done', value: {} } } } })))],
    ['the wrong kind of result', (s: Socket, id: number) => s.write(encodeFrame(encodeProto(DeliveryServerFrame, { body: { case: 'response', value: { id, result: { case: 'done', value: {} } } } })))],
    ['a seq beyond 2^53', (s: Socket, id: number) => s.write(encodeFrame(encodeProto(DeliveryServerFrame, { body: { case: 'response', value: { id, result: { case: 'head', value: { lastSeq: 1n << 60n, lastCommit: undefined } } } } })))],
  ])('a malformed answer (%s) rejects with DELIVERY_MALFORMED_FRAME', async (_name, misbehave) => {
    const c = await clientOf(misbehave)
    const err = await c.head(new Uint8Array([1])).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TalosError)
    expect((err as TalosError).code).toBe('DELIVERY_MALFORMED_FRAME')
    // The client stays failed, with the same typed error.
    await expect(c.fetch(new Uint8Array([1]), 1)).rejects.toMatchObject({ code: 'DELIVERY_MALFORMED_FRAME' })
    await c.close()
  })

  it('a malformed entry pushed to a subscription surfaces as the typed error from next()', async () => {
    const c = await clientOf((s, id) => {
      const frame = (f: DeliveryServerFrame): boolean => s.write(encodeFrame(encodeProto(DeliveryServerFrame, f)))
      frame({ body: { case: 'response', value: { id, result: { case: 'subscribed', value: { seq: 0n } } } } })
      s.once('data', () => {
        frame({ body: { case: 'response', value: { id: id + 1, result: { case: 'done', value: {} } } } })
        // seq 5 where 1 was due: a server skipping entries must not go unnoticed.
        frame({ body: { case: 'push', value: { subId: 1, entry: { seq: 5n, kind: DeliveryEntryKind.DELIVERY_ENTRY_KIND_MESSAGE, bytes: enc('x') } } } })
      })
    })
    const sub = await c.subscribe(new Uint8Array([1]), 'did:talos:bob')
    await expect(sub.next()).rejects.toMatchObject({ code: 'DELIVERY_MALFORMED_FRAME' })
    await c.close()
  })
})
