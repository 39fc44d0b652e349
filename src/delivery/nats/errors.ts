/**
 * Every call into the NATS client goes through `nats()`, so what the client
 * throws (connection loss, timeouts, JetStream API errors) reaches callers as
 * a TalosError with a DELIVERY_ code, never as a foreign error type.
 */
import { JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream'
import { TalosError } from '../../errors.js'

export { JetStreamApiCodes }

export function apiCode(e: unknown): number | undefined {
  return e instanceof JetStreamApiError ? e.code : undefined
}

export function isNotFound(e: unknown): boolean {
  const c = apiCode(e)
  return (
    c === JetStreamApiCodes.StreamNotFound ||
    c === JetStreamApiCodes.ConsumerNotFound ||
    c === JetStreamApiCodes.NoMessageFound
  )
}

/**
 * A message delete refused because the message is already gone: 10043
 * "sequence not found", or 10057 "no message found" (the delete failed
 * because a concurrent delete of the same seq won).
 */
export function isAlreadyDeleted(e: unknown): boolean {
  const c = apiCode(e)
  return c === 10043 || c === 10057
}

/** What the NATS client threw, as a TalosError (JetStream API refusals are DELIVERY_BACKEND, the rest DELIVERY_UNAVAILABLE). */
export function toTalos(what: string, e: unknown): TalosError {
  if (e instanceof TalosError) return e
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  const code = e instanceof JetStreamApiError ? 'DELIVERY_BACKEND' : 'DELIVERY_UNAVAILABLE'
  return new TalosError(code, `NATS ${what}: ${detail}`, { cause: e })
}

export async function nats<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw toTalos(what, e)
  }
}
