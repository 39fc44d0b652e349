/**
 * One client connection to the loopback delivery server: authenticates it,
 * decodes its requests, runs them against the served DeliveryService, and
 * pushes subscription entries within the credits the client granted.
 *
 * Any protocol violation (bad frame, bad Protobuf, no hello, too many
 * requests in flight, too many credits) drops this connection only; the
 * server and every other connection carry on. Per-request failures
 * (validation, conflicts) are answered as typed errors and keep it open.
 */
import type { Socket } from 'node:net'
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { constantTimeEqual } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'
import {
  DeliveryRequest,
  DeliveryServerFrame,
  type DeliveryResponse,
  type DeliverySubscribe,
} from '../../proto/delivery.js'
import type { DeliveryService, Subscription } from '../types.js'
import { encodeFrame, FrameDecoder } from './framing.js'
import {
  commitToWire,
  entryToWire,
  errorToWire,
  FRAME_OVERHEAD_BYTES,
  malformed,
  PROTOCOL_VERSION,
  seqFromWire,
  seqToWire,
} from './wire.js'

/** Requests a client may have unanswered at once. */
export const MAX_INFLIGHT_REQUESTS = 1024
/** Subscriptions one connection may hold open. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 256
/** Entries one subscription may be owed (granted and not yet pushed). */
export const MAX_CREDITS = 4096

type Result = NonNullable<DeliveryResponse['result']>

interface ServerSub {
  sub: Subscription | undefined
  credits: number
  pumping: boolean
  closed: boolean
}

const DONE: Result = { case: 'done', value: {} }

export class ServerConnection {
  private authed = false
  private inflight = 0
  private dead = false
  private readonly subs = new Map<number, ServerSub>()
  private readonly decoder: FrameDecoder
  private readonly maxFrame: number

  constructor(
    private readonly socket: Socket,
    private readonly service: DeliveryService,
    private readonly token: Uint8Array,
    private readonly onDead: (c: ServerConnection) => void,
  ) {
    this.maxFrame = service.maxEnvelopeBytes + FRAME_OVERHEAD_BYTES
    this.decoder = new FrameDecoder(this.maxFrame)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('close', () => this.drop())
    socket.on('error', () => this.drop())
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return
    try {
      for (const body of this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
        this.handle(decodeProto(DeliveryRequest, body, { maxBytes: this.maxFrame }))
        if (this.dead) return
      }
    } catch {
      // Malformed frame or Protobuf: the peer is broken or hostile; only this connection goes.
      this.drop()
    }
  }

  private handle(req: DeliveryRequest): void {
    const op = req.op
    if (!this.authed) {
      if (op?.case !== 'hello' || !constantTimeEqual(op.value.token, this.token) || op.value.version !== PROTOCOL_VERSION) {
        throw malformed('connection must start with a valid hello')
      }
      this.authed = true
      this.respond(req.id, {
        case: 'hello',
        value: { version: PROTOCOL_VERSION, maxEnvelopeBytes: this.service.maxEnvelopeBytes },
      })
      return
    }
    if (op === undefined || op.case === 'hello') throw malformed('request without an operation')
    if (this.inflight >= MAX_INFLIGHT_REQUESTS) throw malformed('too many requests in flight')
    this.inflight++
    this.dispatch(req).then(
      (result) => this.respond(req.id, result),
      (e: unknown) => this.respond(req.id, { case: 'error', value: errorToWire(e) }),
    ).finally(() => this.inflight--)
  }

  private async dispatch(req: DeliveryRequest): Promise<Result> {
    const s = this.service
    const op = req.op
    switch (op?.case) {
      case 'publish': {
        const v = op.value
        const options = v.commit
          ? { kind: 'commit' as const, epoch: seqFromWire(v.epoch, 'epoch') }
          : { kind: 'message' as const }
        const { seq } = await s.publish(v.groupId, v.envelope, options)
        return { case: 'published', value: { seq: seqToWire(seq) } }
      }
      case 'fetch': {
        const v = op.value
        const entries = await s.fetch(v.groupId, seqFromWire(v.fromSeq, 'from_seq'), v.limit === 0 ? undefined : v.limit)
        return { case: 'entries', value: { entries: entries.map(entryToWire) } }
      }
      case 'head': {
        const h = await s.head(op.value.groupId)
        return {
          case: 'head',
          value: { lastSeq: seqToWire(h.lastSeq), lastCommit: h.lastCommit && commitToWire(h.lastCommit) },
        }
      }
      case 'subscribe':
        return this.subscribe(op.value)
      case 'pull': {
        const sub = this.ownSub(op.value.subId)
        if (sub.credits + op.value.credits > MAX_CREDITS) throw malformed('too many credits')
        sub.credits += op.value.credits
        void this.pump(op.value.subId, sub)
        return DONE
      }
      case 'ack': {
        const sub = this.ownSub(op.value.subId)
        if (sub.sub === undefined) throw new TalosError('DELIVERY_INVALID_ACK', 'subscription is still opening')
        await sub.sub.ack(seqFromWire(op.value.seq, 'ack seq'))
        return DONE
      }
      case 'unsubscribe':
        await this.closeSub(op.value.subId)
        return DONE
      case 'dropCursor':
        await s.dropCursor(op.value.groupId, op.value.did)
        return DONE
      case 'deleteGroup':
        await s.deleteGroup(op.value.groupId)
        return DONE
      case 'sendDirect': {
        const { seq } = await s.sendDirect(op.value.recipientDid, op.value.envelope)
        return { case: 'published', value: { seq: seqToWire(seq) } }
      }
      case 'setLastResort':
        await s.directory.setLastResort(op.value.did, op.value.kind, op.value.item)
        return DONE
      case 'addOneTime':
        await s.directory.addOneTime(op.value.did, op.value.kind, op.value.items)
        return DONE
      case 'claim': {
        const c = await s.directory.claim(op.value.did, op.value.kind)
        return { case: 'claimed', value: { item: c?.item, oneTime: c?.oneTime ?? false } }
      }
      case 'countOneTime':
        return { case: 'count', value: { count: await s.directory.countOneTime(op.value.did, op.value.kind) } }
      default:
        throw new TalosError('DELIVERY_INVALID_REQUEST', `unexpected request ${String(op?.case)}`)
    }
  }

  private async subscribe(v: DeliverySubscribe): Promise<Result> {
    if (this.subs.has(v.subId)) throw new TalosError('DELIVERY_INVALID_REQUEST', `subscription id ${v.subId} in use`)
    if (this.subs.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      throw new TalosError('DELIVERY_TOO_MANY_SUBSCRIPTIONS', `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} per connection`)
    }
    // Reserve the id before awaiting, so a racing subscribe cannot take it.
    const entry: ServerSub = { sub: undefined, credits: 0, pumping: false, closed: false }
    this.subs.set(v.subId, entry)
    try {
      const options = v.after === undefined ? {} : { after: seqFromWire(v.after, 'after') }
      const sub = v.direct
        ? await this.service.subscribeDirect(v.did, options)
        : await this.service.subscribe(v.groupId, v.did, options)
      if (entry.closed || this.dead) {
        await sub.close()
        throw new TalosError('DELIVERY_CLOSED', 'subscription closed while opening')
      }
      entry.sub = sub
      if (entry.credits > 0) void this.pump(v.subId, entry)
      return { case: 'subscribed', value: { seq: seqToWire(sub.position) } }
    } catch (e) {
      if (this.subs.get(v.subId) === entry) this.subs.delete(v.subId)
      throw e
    }
  }

  private ownSub(subId: number): ServerSub {
    const sub = this.subs.get(subId)
    if (sub === undefined) throw new TalosError('DELIVERY_INVALID_REQUEST', `no subscription ${subId}`)
    return sub
  }

  /** Pushes entries while the client has credits; one pump per subscription at a time. */
  private async pump(subId: number, s: ServerSub): Promise<void> {
    if (s.pumping || s.sub === undefined) return
    s.pumping = true
    try {
      while (s.credits > 0 && !s.closed && !this.dead) {
        const r = await s.sub.next()
        if (s.closed || this.dead) return
        if (r.done) {
          this.subs.delete(subId)
          s.closed = true
          this.send({ body: { case: 'end', value: { subId, error: undefined } } })
          return
        }
        s.credits--
        await this.send({ body: { case: 'push', value: { subId, entry: entryToWire(r.value) } } })
      }
    } catch (e) {
      this.subs.delete(subId)
      s.closed = true
      void s.sub.close().catch(() => undefined)
      this.send({ body: { case: 'end', value: { subId, error: errorToWire(e) } } })
    } finally {
      s.pumping = false
    }
  }

  private async closeSub(subId: number): Promise<void> {
    const s = this.subs.get(subId)
    if (s === undefined) return
    this.subs.delete(subId)
    s.closed = true
    await s.sub?.close()
  }

  private respond(id: number, result: Result): void {
    this.send({ body: { case: 'response', value: { id, result } } })
  }

  /** Writes a frame; resolves once the socket can take more (backpressure for pushes). */
  private send(frame: DeliveryServerFrame): Promise<void> {
    if (this.dead) return Promise.resolve()
    const ok = this.socket.write(encodeFrame(encodeProto(DeliveryServerFrame, frame)))
    if (ok) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }

  /** Ends this connection and every subscription it holds. Idempotent. */
  drop(): void {
    if (this.dead) return
    this.dead = true
    this.socket.destroy()
    for (const id of [...this.subs.keys()]) void this.closeSub(id).catch(() => undefined)
    this.onDead(this)
  }
}
