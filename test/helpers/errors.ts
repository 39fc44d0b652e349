/** What a synchronous call raised: its TalosError code, 'other' for any other throw, 'none' if it returned. */
import { TalosError } from '../../src/errors.js'

export function thrownCode(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    return e instanceof TalosError ? e.code : 'other'
  }
  return 'none'
}
