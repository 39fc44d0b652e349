/**
 * Fuzzed decoding of every sender-key wire and storage type
 * (SenderKeyMessage, SenderKeyDistribution, SenderKeyRecord) and mutation
 * fuzzing of live messages and distributions: only TalosError, and a refused
 * input never changes the group state.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../src/errors.js'
import { SenderKeyGroup } from '../../src/senderkeys/group.js'
import { decodeDistribution, decodeSenderKeyMessage, encodeDistribution } from '../../src/senderkeys/message.js'
import { hostile, onlyTalosError } from '../helpers/fuzz.js'
import { toHex } from '../helpers/vectors.js'
import { GROUP_ID, dec, enc, makeGroup } from './helpers.js'

const RUNS = 300

describe('sender-key decoders under hostile input', () => {
  it('SenderKeyMessage', () => {
    const [a] = makeGroup(2)
    const valid = a!.group.encrypt(enc('fuzz'))
    fc.assert(fc.property(hostile(valid), (b) => onlyTalosError(() => decodeSenderKeyMessage(b))), { numRuns: RUNS })
  })

  it('SenderKeyDistribution', () => {
    const valid = encodeDistribution({
      version: 1,
      groupId: GROUP_ID,
      sender: 'm0',
      keyId: 7,
      iteration: 3,
      chainKey: new Uint8Array(32).fill(1),
      signingKey: new Uint8Array(32).fill(2),
    })
    expect(decodeDistribution(valid).keyId).toBe(7)
    fc.assert(fc.property(hostile(valid), (b) => onlyTalosError(() => decodeDistribution(b))), { numRuns: RUNS })
  })

  it('SenderKeyRecord', () => {
    const [a, b] = makeGroup(2)
    a!.group.encrypt(enc('skipped'))
    b!.group.decrypt(a!.group.encrypt(enc('read')))
    const valid = b!.group.serialize()
    const next = a!.group.encrypt(enc('next'))
    // A record that loads must also be usable: receiving and sending only ever raise a TalosError.
    fc.assert(
      fc.property(hostile(valid), (x) => {
        let g: SenderKeyGroup
        try {
          g = SenderKeyGroup.deserialize(x, b!.sessions)
        } catch (e) {
          if (isTalosError(e)) return
          throw e
        }
        onlyTalosError(() => g.decrypt(next))
        onlyTalosError(() => g.encrypt(enc('mine')))
      }),
      { numRuns: RUNS },
    )
  })
})

describe('live sender-key group under mutated input', () => {
  it('a mutated message is refused and changes nothing', () => {
    const [a, b] = makeGroup(2)
    const valid = a!.group.encrypt(enc('target'))
    const snapshot = b!.group.serialize()
    let g = SenderKeyGroup.deserialize(snapshot, b!.sessions)
    let refused = 0
    fc.assert(
      fc.property(hostile(valid), (x) => {
        try {
          expect(dec(g.decrypt(x).plaintext)).toBe('target')
          g = SenderKeyGroup.deserialize(snapshot, b!.sessions)
        } catch (e) {
          if (!isTalosError(e)) throw e
          expect(toHex(g.serialize())).toBe(toHex(snapshot))
          refused++
        }
      }),
      { numRuns: RUNS },
    )
    expect(refused).toBeGreaterThan(RUNS / 2)
  })

  it('a mutated distribution is refused with a TalosError and installs nothing', () => {
    const [a, b] = makeGroup(2)
    let before = toHex(b!.group.serialize())
    const valid = a!.group.rotateAndDistribute().get(b!.id)!
    fc.assert(
      fc.property(hostile(valid), (x) => {
        if (toHex(x) === toHex(valid)) return
        try {
          b!.group.receiveDistribution(a!.id, x)
        } catch (e) {
          if (!isTalosError(e)) throw e
          expect(toHex(b!.group.serialize())).toBe(before)
          return
        }
        // Only a framing-level mutation that decodes to the genuine message gets through.
        expect(toHex(b!.group.serialize())).not.toBe(before)
        before = toHex(b!.group.serialize())
      }),
      { numRuns: 200 },
    )
  })
})
