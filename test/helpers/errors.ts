/**
 * What a call raised, for hostile-input tests: its TalosError code, a
 * description of anything else thrown (so a failing assertion shows it), or
 * 'no error' if it returned.
 */
import { isTalosError } from '../../src/errors.js'

const describe = (e: unknown): string => (isTalosError(e) ? e.code : `not a TalosError: ${String(e)}`)

export function thrownCode(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    return describe(e)
  }
  return 'no error'
}

/** thrownCode for a call that returns a promise (its rejection, or 'no error'). */
export function rejectedCode(f: () => Promise<unknown>): Promise<string> {
  return f().then(() => 'no error', describe)
}
