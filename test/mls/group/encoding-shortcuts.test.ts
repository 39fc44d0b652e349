/**
 * The committer writes its GroupInfo (whose TBS carries the whole tree) once:
 * GroupInfo = TBS || signature, the MLSMessage = header || GroupInfo bytes,
 * the Welcome into a buffer sized up front. Each must be byte-identical to
 * the generic encoding of its decoded value.
 */
import { describe, expect, it } from 'vitest'
import { decodeMLSMessage, encodeMLSMessage } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { keyPackageFor, makeGroup } from './helpers.js'

describe('GroupInfo and Welcome encodings', () => {
  it('equal the generic encoder on their decoded values', async () => {
    const [a] = await makeGroup(5, 1)
    const kps = await Promise.all([1, 2].map((i) => keyPackageFor(`did:talos:n${i}`, 1)))
    const out = await a!.commit({ add: kps.map((k) => k.message), groupInfo: { externalPub: true } })
    for (const bytes of [out.welcome!, out.groupInfo!, await a!.groupInfo()]) {
      expect(toHex(encodeMLSMessage(decodeMLSMessage(bytes)))).toBe(toHex(bytes))
    }
    a!.discardPendingCommit()
  })
})
