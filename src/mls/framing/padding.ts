/**
 * Padding of PrivateMessageContent (RFC 9420 §6.3.1).
 *
 * "It is up to the application to decide ... how much padding to add": the
 * sender appends zero octets after the auth data. Policies:
 *   'none'            no padding
 *   { multipleOf: N } the plaintext (content + auth + padding) is padded to
 *                     the next multiple of N octets, hiding the exact length
 *                     of the content inside buckets of N.
 * The receiver side (every padding octet must be zero, checked without an
 * early exit) lives with the content decoder in private-message.ts.
 */
import { TalosError } from '../../errors.js'

export type PaddingPolicy = 'none' | { readonly multipleOf: number }

/** Largest bucket accepted: padding a message costs at most this many zero octets. */
export const MAX_PADDING_BLOCK = 1 << 16

export function checkPaddingPolicy(policy: PaddingPolicy): void {
  if (policy === 'none') return
  const n = policy?.multipleOf
  if (!Number.isInteger(n) || n < 1 || n > MAX_PADDING_BLOCK) {
    throw new TalosError('MLS_INVALID_CONFIG', `padding multipleOf must be an integer in [1, ${MAX_PADDING_BLOCK}]`)
  }
}

/** Number of zero octets to append to a plaintext of `length` octets. */
export function paddingLength(policy: PaddingPolicy, length: number): number {
  checkPaddingPolicy(policy)
  if (policy === 'none') return 0
  const rem = length % policy.multipleOf
  return rem === 0 ? 0 : policy.multipleOf - rem
}
