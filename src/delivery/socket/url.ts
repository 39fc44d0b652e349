/**
 * The loopback server's URL: `talos-delivery://127.0.0.1:<port>/<token hex>`
 * (or `[::1]`). Only loopback literals are accepted, never a name that a
 * resolver could point elsewhere: the protocol has no transport encryption
 * and must never leave the machine.
 */
import { TalosError } from '../../errors.js'

/** Size of the access token in the URL. */
export const TOKEN_BYTES = 32

export interface DeliveryUrl {
  readonly host: '127.0.0.1' | '::1'
  readonly port: number
  readonly token: Uint8Array
}

const URL_RE = /^talos-delivery:\/\/(127\.0\.0\.1|\[::1\]):(\d{1,5})\/([0-9a-f]+)$/

export function parseDeliveryUrl(url: string): DeliveryUrl {
  const m = typeof url === 'string' ? URL_RE.exec(url) : null
  const port = m ? Number(m[2]) : 0
  if (!m || port < 1 || port > 65535 || m[3]!.length !== TOKEN_BYTES * 2) {
    throw new TalosError(
      'DELIVERY_INVALID_URL',
      'expected talos-delivery://127.0.0.1:<port>/<64 hex digits> (loopback only)',
    )
  }
  const token = new Uint8Array(TOKEN_BYTES)
  for (let i = 0; i < TOKEN_BYTES; i++) token[i] = parseInt(m[3]!.slice(2 * i, 2 * i + 2), 16)
  return { host: m[1] === '[::1]' ? '::1' : '127.0.0.1', port, token }
}
