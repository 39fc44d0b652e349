/** Fault-injecting wrappers around a DeliveryService and a StateStore (simulated crashes and races). */
import type { Delivery, DeliveryService, PublishOptions, PublishReceipt, Subscription } from '../../src/delivery/index.js'
import type { StateStore } from '../../src/store/index.js'

function bindAll<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(t, p) {
      if (p in overrides) return (overrides as Record<string | symbol, unknown>)[p]
      const v = Reflect.get(t, p)
      return typeof v === 'function' ? v.bind(t) : v
    },
  })
}

function wrapSubscription(sub: Subscription, map: (d: Delivery) => Delivery): Subscription {
  const it: Subscription = {
    get position() {
      return sub.position
    },
    ack: (seq) => sub.ack(seq),
    close: () => sub.close(),
    return: () => sub.return(),
    next: async () => {
      const r = await sub.next()
      return r.done ? r : { done: false, value: map(r.value) }
    },
    [Symbol.asyncIterator]() {
      return it
    },
  }
  return it
}

/** Group-log deliveries whose ack() fails for `seq`: the process "dies" after persisting, before acking. */
export function crashBeforeAck(inner: DeliveryService, seq: () => number | undefined): DeliveryService {
  return bindAll(inner, {
    subscribe: async (groupId, did, options) => {
      const sub = await inner.subscribe(groupId, did, options)
      return wrapSubscription(sub, (d) =>
        d.seq === seq()
          ? {
              seq: d.seq,
              kind: d.kind,
              bytes: d.bytes,
              ack: async () => {
                throw new Error('simulated crash between persist and ack')
              },
            }
          : d,
      )
    },
  })
}

/** A store whose next write to a key starting with `prefix` fails once armed: the process "dies" before persisting. */
export function failingStore(inner: StateStore): { store: StateStore; arm(prefix: string): void } {
  let armed: string | undefined
  return {
    arm: (p) => {
      armed = p
    },
    store: bindAll(inner, {
      put: async (key: string, bytes: Uint8Array, v: number) => {
        if (armed !== undefined && key.startsWith(armed)) {
          armed = undefined
          throw new Error('simulated crash before persist')
        }
        return inner.put(key, bytes, v)
      },
    }),
  }
}

/** Holds the next `n` commit publishes until all `n` arrived, then lets them race; counts conflicts. */
export function commitBarrier(inner: DeliveryService): { delivery: DeliveryService; arm(n: number): void; conflicts: () => number; landed: () => number } {
  let waiting: (() => void)[] = []
  let need = 0
  let conflicts = 0
  let landed = 0
  const delivery = bindAll(inner, {
    publish: async (groupId: Uint8Array, envelope: Uint8Array, options: PublishOptions): Promise<PublishReceipt> => {
      if (options.kind === 'commit' && need > 0) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve)
          if (waiting.length === need) {
            need = 0
            const w = waiting
            waiting = []
            for (const r of w) r()
          }
        })
      }
      try {
        const r = await inner.publish(groupId, envelope, options)
        if (options.kind === 'commit') landed++
        return r
      } catch (e) {
        if ((e as { code?: string }).code === 'DELIVERY_CONFLICT') conflicts++
        throw e
      }
    },
  })
  return {
    delivery,
    arm: (n) => {
      need = n
    },
    conflicts: () => conflicts,
    landed: () => landed,
  }
}
