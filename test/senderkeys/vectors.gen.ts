/**
 * Writes test/vectors/senderkeys-kdf.json. Run once (`npx tsx test/senderkeys/vectors.gen.ts`)
 * and commit; rerunning after a derivation change is a protocol change.
 */
import { writeFileSync } from 'node:fs'
import { computeSenderKeyVectors } from './vectors.shared.js'

const path = new URL('../vectors/senderkeys-kdf.json', import.meta.url)
writeFileSync(path, JSON.stringify(computeSenderKeyVectors(), null, 2) + '\n')
process.stdout.write(`wrote ${path.pathname}\n`)
