/**
 * The one error type of talos-group.
 *
 * Every failure that crosses a module boundary is a TalosError with a stable,
 * machine-readable `code`. Codes are SCREAMING_SNAKE_CASE and start with the
 * area that raised them (DECODE_, CRYPTO_, MLS_, RATCHET_, SENDERKEY_, HYBRID_,
 * GROUP_, DELIVERY_, STORE_, AUDIT_, CAPABILITY_, BENCH_). Once published, a
 * code never changes meaning: callers branch on it.
 *
 * Messages are for people and never contain key material.
 */
export type ErrorArea =
  | 'DECODE'
  | 'CRYPTO'
  | 'MLS'
  | 'RATCHET'
  | 'SENDERKEY'
  | 'HYBRID'
  | 'GROUP'
  | 'DELIVERY'
  | 'STORE'
  | 'AUDIT'
  | 'CAPABILITY'
  | 'COORDINATOR'
  | 'BENCH'

export type TalosErrorCode = `${ErrorArea}_${string}`

export class TalosError extends Error {
  readonly code: TalosErrorCode

  constructor(code: TalosErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TalosError'
    this.code = code
  }
}

/** Type guard that also narrows on the code when one is given. */
export function isTalosError(e: unknown, code?: TalosErrorCode): e is TalosError {
  return e instanceof TalosError && (code === undefined || e.code === code)
}

/**
 * Runs `fn` and converts anything it throws that is not already a TalosError
 * into one with `code`. Decoders wrap third-party parsers (protobufjs) with
 * this so hostile input can only ever surface as the typed error.
 */
export function wrapErrors<T>(code: TalosErrorCode, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof TalosError) throw e
    throw new TalosError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
