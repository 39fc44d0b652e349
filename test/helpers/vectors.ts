/**
 * Loads the official RFC 9420 interop vectors from ../shared/mls-test-vectors
 * at run time. A missing folder or file throws (so the test fails with a
 * clear message): vectors are never skipped quietly.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const VECTOR_DIR = resolve(here, '../../../shared/mls-test-vectors')

function requireDir(): void {
  if (!existsSync(VECTOR_DIR)) {
    throw new Error(
      `official MLS test vectors not found at ${VECTOR_DIR}: the tests read them from ../shared/mls-test-vectors beside the project root`,
    )
  }
}

/** Parses one vector file (a JSON array of cases). */
export function loadVectors<T = any>(file: string): T[] {
  requireDir()
  const path = join(VECTOR_DIR, file)
  if (!existsSync(path)) throw new Error(`vector file ${file} is missing from ${VECTOR_DIR}`)
  const cases = JSON.parse(readFileSync(path, 'utf8')) as T[]
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`vector file ${file} holds no cases`)
  return cases
}

/** Every file in the vector folder whose name matches `pattern`. */
export function vectorFiles(pattern: RegExp): string[] {
  requireDir()
  const files = readdirSync(VECTOR_DIR).filter((f) => pattern.test(f)).sort()
  if (files.length === 0) throw new Error(`no vector file matches ${pattern} in ${VECTOR_DIR}`)
  return files
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}
