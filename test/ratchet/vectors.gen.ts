/**
 * Writes test/vectors/ratchet-kdf.json. Run once (`npx tsx test/ratchet/vectors.gen.ts`)
 * and commit the file; rerunning after a deliberate derivation change is a
 * protocol change and must be reviewed as one.
 */
import { writeFileSync } from 'node:fs'
import { computeRatchetVectors } from './vectors.shared.js'

const path = new URL('../vectors/ratchet-kdf.json', import.meta.url)
writeFileSync(path, JSON.stringify(computeRatchetVectors(), null, 2) + '\n')
process.stdout.write(`wrote ${path.pathname}\n`)
