/**
 * connectDelivery: a DeliveryService that talks to serveDelivery in another
 * process over the loopback socket (protocol in proto/delivery.proto).
 *
 * Everything the server sends is checked before it is believed: frame
 * bounds, Protobuf decoding, that each response answers a request in flight
 * with the right kind of result, seqs within 2^53, subscription pushes in
 * order and within credits. Any violation fails the connection with the
 * typed error DELIVERY_MALFORMED_FRAME: every pending call and open
 * subscription rejects with it, and the instance stays unusable.
 */
import { connect, type Socket } from 'node:net'
import { decodeProto, encodeProto } from '../../codec/proto.js'
import { TalosError } from '../../errors.js'
import { DeliveryRequest, DeliveryServerFrame, type DeliveryResponse } from '../../proto/delivery.js'
import {
  checkDirectoryItem,
  checkEnvelope,
  checkFetchLimit,
  checkGroupId,
  checkItemKind,
  checkMemberDid,
  checkOneTimeBatch,
  checkPublishOptions,
  checkSeq,
  MAX_DIRECTORY_ITEM_BYTES,
  MAX_FETCH_BYTES,
} from '../limits.js'
import type {
  ClaimedItem,
  DeliveryService,
  Directory,
  LogEntry,
  LogHead,
  PublishOptions,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
} from '../types.js'
import { ClientSubscription } from './client-subscription.js'
import { encodeFrame, FrameDecoder } from './framing.js'
import { parseDeliveryUrl } from './url.js'
import {
  commitFromWire,
  entryFromWire,
  errorFromWire,
  FRAME_OVERHEAD_BYTES,
  malformed,
  PROTOCOL_VERSION,
  seqFromWire,
  seqToWire,
} from './wire.js'

type Op = NonNullable<DeliveryRequest['op']>
type Result = NonNullable<DeliveryResponse['result']>
type ResultOf<C extends Result['case']> = Extract<Result, { case: C }>['value']

export interface ConnectDeliveryOptions {
  /** Give up connecting after this long (default 10 s). */
  readonly connectTimeoutMs?: number
}

/** Most requests in flight before further calls wait (the server allows more). */
const MAX_INFLIGHT = 512
/** Until the server states its limit, accept frames this large. */
const HELLO_MAX_FRAME = 64 * 1024

export async function connectDelivery(url: string, options: ConnectDeliveryOptions = {}): Promise<DeliveryService> {
  const { host, port, token } = parseDeliveryUrl(url)
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new TalosError('DELIVERY_CONNECTION_FAILED', `no connection to ${host}:${port} in time`))
    }, options.connectTimeoutMs ?? 10_000)
    s.once('connect', () => {
      clearTimeout(timer)
      s.off('error', onError)
      resolve(s)
    })
    const onError = (e: Error): void => {
      clearTimeout(timer)
      reject(new TalosError('DELIVERY_CONNECTION_FAILED', `cannot connect to ${host}:${port}: ${e.message}`))
    }
    s.once('error', onError)
  })
  socket.setNoDelay(true)
  const client = new SocketDelivery(socket)
  try {
    await client.hello(token)
  } catch (e) {
    await client.close()
    throw e
  }
  return client
}

function positive(v: bigint): number {
  const n = seqFromWire(v, 'seq')
  if (n < 1) throw malformed('seq 0')
  return n
}

class SocketDelivery implements DeliveryService {
  maxEnvelopeBytes = 0
  readonly directory: Directory
  private decoder = new FrameDecoder(HELLO_MAX_FRAME)
  private maxFrame = HELLO_MAX_FRAME
  private nextId = 1
  private nextSubId = 1
  private readonly pending = new Map<number, { expect: Result['case']; resolve: (r: Result) => void; reject: (e: unknown) => void }>()
  private readonly subs = new Map<number, ClientSubscription>()
  private readonly slots: Array<() => void> = []
  private failure: TalosError | undefined

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('close', () => this.fail(new TalosError('DELIVERY_CONNECTION_LOST', 'connection to the delivery server closed')))
    socket.on('error', (e) => this.fail(new TalosError('DELIVERY_CONNECTION_LOST', `delivery connection: ${e.message}`)))
    // Checked here as well as by the server, so bad arguments fail the same way without a round trip.
    this.directory = {
      setLastResort: async (did, kind, item) => {
        checkMemberDid(did)
        checkItemKind(kind)
        checkDirectoryItem(item)
        await this.call({ case: 'setLastResort', value: { did, kind, item } }, 'done')
      },
      addOneTime: async (did, kind, items) => {
        checkMemberDid(did)
        checkItemKind(kind)
        checkOneTimeBatch(items)
        await this.call({ case: 'addOneTime', value: { did, kind, items: [...items] } }, 'done')
      },
      claim: async (did, kind): Promise<ClaimedItem | undefined> => {
        checkMemberDid(did)
        checkItemKind(kind)
        return this.call({ case: 'claim', value: { did, kind } }, 'claimed', (r) => {
          if (r.item !== undefined && (r.item.length === 0 || r.item.length > MAX_DIRECTORY_ITEM_BYTES)) {
            throw malformed('claimed item size')
          }
          return r.item === undefined ? undefined : { item: r.item, oneTime: r.oneTime }
        })
      },
      countOneTime: async (did, kind) => {
        checkMemberDid(did)
        checkItemKind(kind)
        return (await this.call({ case: 'countOneTime', value: { did, kind } }, 'count')).count
      },
    }
  }

  async hello(token: Uint8Array): Promise<void> {
    const r = await this.call({ case: 'hello', value: { token, version: PROTOCOL_VERSION } }, 'hello', (h) => {
      if (h.version !== PROTOCOL_VERSION || h.maxEnvelopeBytes < 1) throw malformed('bad hello result')
      return h
    })
    this.maxEnvelopeBytes = r.maxEnvelopeBytes
    // Largest legitimate server frame: a fetch bounded by MAX_FETCH_BYTES plus one envelope.
    this.maxFrame = MAX_FETCH_BYTES + r.maxEnvelopeBytes + FRAME_OVERHEAD_BYTES
    this.decoder = new FrameDecoder(this.maxFrame)
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return
    try {
      for (const body of this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
        this.onFrame(decodeProto(DeliveryServerFrame, body, { maxBytes: this.maxFrame }))
        if (this.failure) return
      }
    } catch (e) {
      this.fail(
        e instanceof TalosError && e.code === 'DELIVERY_MALFORMED_FRAME'
          ? e
          : new TalosError('DELIVERY_MALFORMED_FRAME', `from the delivery server: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
      )
    }
  }

  private onFrame(frame: DeliveryServerFrame): void {
    const body = frame.body
    switch (body?.case) {
      case 'response': {
        const p = this.pending.get(body.value.id)
        const result = body.value.result
        if (p === undefined || result === undefined) throw malformed(`response to unknown request ${body.value.id}`)
        this.pending.delete(body.value.id)
        this.release()
        if (result.case === 'error') return p.reject(errorFromWire(result.value))
        if (result.case !== p.expect) {
          const e = malformed(`expected ${p.expect}, got ${result.case}`)
          p.reject(e)
          throw e
        }
        return p.resolve(result)
      }
      case 'push': {
        const sub = this.subs.get(body.value.subId)
        // A push racing our unsubscribe is fine to ignore; pushes are only ever sent for ids we opened.
        if (sub === undefined) {
          if (body.value.subId >= this.nextSubId) throw malformed(`push for unknown subscription ${body.value.subId}`)
          return
        }
        sub.receive(entryFromWire(body.value.entry, this.maxEnvelopeBytes))
        return
      }
      case 'end': {
        const e = body.value.error
        this.subs.get(body.value.subId)?.end(e === undefined ? undefined : errorFromWire(e))
        return
      }
      default:
        throw malformed('empty server frame')
    }
  }

  /** Fails the connection for good; returns the error for `throw this.fail(...)`. */
  private fail(error: TalosError): TalosError {
    if (this.failure) return this.failure
    this.failure = error
    this.socket.destroy()
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
    for (const s of [...this.subs.values()]) s.end(error)
    for (const wake of this.slots.splice(0)) wake()
    return error
  }

  private release(): void {
    this.slots.shift()?.()
  }

  /**
   * Sends one request and waits for its answer. `parse` turns the wire result
   * into the API value; if it finds the answer malformed, the whole
   * connection fails (a server that lies once is not believed again).
   */
  private async call<C extends Result['case'], T = ResultOf<C>>(
    op: Op,
    expect: C,
    parse: (r: ResultOf<C>) => T = (r) => r as unknown as T,
  ): Promise<T> {
    while (this.pending.size >= MAX_INFLIGHT && !this.failure) await new Promise<void>((r) => this.slots.push(r))
    if (this.failure) throw this.failure
    let id = this.nextId
    while (this.pending.has(id) || id === 0) id = (id + 1) >>> 0
    this.nextId = (id + 1) >>> 0
    const result = new Promise<Result>((resolve, reject) => this.pending.set(id, { expect, resolve, reject }))
    this.socket.write(encodeFrame(encodeProto(DeliveryRequest, { id, op })))
    const value = (await result).value as ResultOf<C>
    try {
      return parse(value)
    } catch (e) {
      throw this.fail(e instanceof TalosError ? e : malformed(String(e)))
    }
  }

  async publish(groupId: Uint8Array, envelope: Uint8Array, options: PublishOptions): Promise<PublishReceipt> {
    checkPublishOptions(options)
    checkGroupId(groupId)
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    const commit = options.kind === 'commit'
    const epoch = seqToWire(commit ? options.epoch : 0)
    return this.call({ case: 'publish', value: { groupId, envelope, commit, epoch } }, 'published', (r) => ({
      seq: positive(r.seq),
    }))
  }

  async fetch(groupId: Uint8Array, fromSeq: number, limit?: number): Promise<LogEntry[]> {
    checkGroupId(groupId)
    checkSeq(fromSeq, 'fromSeq')
    const max = checkFetchLimit(limit)
    return this.call({ case: 'fetch', value: { groupId, fromSeq: seqToWire(fromSeq), limit: max } }, 'entries', (r) => {
      if (r.entries.length > max) throw malformed('fetch returned more entries than asked')
      const out = r.entries.map((e) => entryFromWire(e, this.maxEnvelopeBytes))
      for (let i = 0; i < out.length; i++) {
        const e = out[i]!
        if (e.seq !== Math.max(1, fromSeq) + i || e.kind === 'direct') throw malformed('fetch returned entries out of order')
      }
      return out
    })
  }

  async head(groupId: Uint8Array): Promise<LogHead> {
    checkGroupId(groupId)
    return this.call({ case: 'head', value: { groupId } }, 'head', (r) => {
      const lastSeq = seqFromWire(r.lastSeq, 'last_seq')
      const lastCommit = r.lastCommit && commitFromWire(r.lastCommit)
      if (lastCommit && (lastCommit.seq < 1 || lastCommit.seq > lastSeq)) throw malformed('head commit outside the log')
      return { lastSeq, lastCommit }
    })
  }

  async subscribe(groupId: Uint8Array, memberDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    checkGroupId(groupId)
    checkMemberDid(memberDid)
    return this.open(groupId, memberDid, false, options)
  }

  async subscribeDirect(recipientDid: string, options: SubscribeOptions = {}): Promise<Subscription> {
    checkMemberDid(recipientDid)
    return this.open(new Uint8Array(0), recipientDid, true, options)
  }

  private async open(groupId: Uint8Array, did: string, direct: boolean, options: SubscribeOptions | null): Promise<Subscription> {
    options ??= {}
    if (options.after !== undefined) checkSeq(options.after, 'after')
    const subId = this.nextSubId++
    if (subId > 0xffffffff) throw new TalosError('DELIVERY_TOO_MANY_SUBSCRIPTIONS', 'subscription ids exhausted')
    const after = options.after === undefined ? undefined : seqToWire(options.after)
    const position = await this.call({ case: 'subscribe', value: { subId, groupId, did, direct, after } }, 'subscribed', (r) => {
      const p = seqFromWire(r.seq, 'subscribed seq')
      if (options.after !== undefined && p !== options.after) throw malformed('subscription resumed elsewhere')
      return p
    })
    const sub = new ClientSubscription(
      {
        pull: async (id, credits) => void (await this.call({ case: 'pull', value: { subId: id, credits } }, 'done')),
        ack: async (id, seq) => void (await this.call({ case: 'ack', value: { subId: id, seq: seqToWire(seq) } }, 'done')),
        unsubscribe: async (id) => void (await this.call({ case: 'unsubscribe', value: { subId: id } }, 'done')),
        forget: (id) => this.subs.delete(id),
        fail: (e) => void this.fail(e),
      },
      subId,
      position,
      direct ? (k) => k === 'direct' : (k) => k !== 'direct',
    )
    this.subs.set(subId, sub)
    await sub.start()
    return sub
  }

  async dropCursor(groupId: Uint8Array, memberDid: string): Promise<void> {
    checkGroupId(groupId)
    checkMemberDid(memberDid)
    await this.call({ case: 'dropCursor', value: { groupId, did: memberDid } }, 'done')
  }

  async deleteGroup(groupId: Uint8Array): Promise<void> {
    checkGroupId(groupId)
    await this.call({ case: 'deleteGroup', value: { groupId } }, 'done')
  }

  async sendDirect(recipientDid: string, envelope: Uint8Array): Promise<PublishReceipt> {
    checkMemberDid(recipientDid)
    checkEnvelope(envelope, this.maxEnvelopeBytes)
    return this.call({ case: 'sendDirect', value: { recipientDid, envelope } }, 'published', (r) => ({
      seq: positive(r.seq),
    }))
  }

  async close(): Promise<void> {
    for (const s of [...this.subs.values()]) s.end()
    this.fail(new TalosError('DELIVERY_CLOSED', 'delivery client is closed'))
  }
}
