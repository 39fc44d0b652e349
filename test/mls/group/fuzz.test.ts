/**
 * Fuzzing processMessage with mutated valid messages (commits, proposals,
 * application data, Welcome-shaped junk) in public and private framing: the
 * only outcomes are success or a TalosError, and a rejected message leaves
 * the member's state byte-identical.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isTalosError } from '../../../src/errors.js'
import type { MlsGroup } from '../../../src/mls/group/index.js'
import { toHex } from '../../helpers/vectors.js'
import { keyPackageFor, makeGroup } from './helpers.js'

const enc = new TextEncoder()

async function corpus(handshake: 'public' | 'private'): Promise<{ receiver: MlsGroup; messages: Uint8Array[] }> {
  const [a, b, c] = await makeGroup(3, 1, { handshake })
  const kp = await keyPackageFor('did:talos:fuzz', 1)
  const messages: Uint8Array[] = []
  messages.push(a!.send(enc.encode('application data')))
  const update = (await a!.proposeUpdate()).message
  const remove = a!.propose({ proposalType: 3, remove: { removed: c!.ownLeafIndex } }).message
  // The receiver has the proposals, so the Commit that references them is valid for it.
  await b!.processMessage(update)
  await b!.processMessage(remove)
  messages.push(update, remove)
  const out = await a!.commit({ add: [kp.message] })
  a!.discardPendingCommit()
  messages.push(out.commit, out.welcome!, out.groupInfo!)
  return { receiver: b!, messages }
}

for (const handshake of ['public', 'private'] as const) {
  describe(`fuzz processMessage (${handshake} handshakes)`, () => {
    it('mutations: only success or TalosError, and no state change on rejection', async () => {
      const { receiver, messages } = await corpus(handshake)
      const mutation = fc.record({
        which: fc.nat({ max: messages.length - 1 }),
        kind: fc.constantFrom('flip', 'truncate', 'extend', 'splice'),
        pos: fc.nat(),
        value: fc.integer({ min: 1, max: 255 }),
      })
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const base = messages[m.which]!
          const pos = m.pos % base.length
          let bytes: Uint8Array
          if (m.kind === 'flip') {
            bytes = base.slice()
            bytes[pos] = bytes[pos]! ^ m.value
          } else if (m.kind === 'truncate') bytes = base.subarray(0, pos)
          else if (m.kind === 'extend') bytes = Buffer.concat([base, Buffer.alloc(m.value % 16, m.value)])
          else bytes = Buffer.concat([base.subarray(0, pos), base.subarray(Math.min(base.length, pos + 1 + (m.value % 8)))])
          const before = toHex(receiver.serialize())
          try {
            const incoming = await receiver.stageMessage(bytes)
            incoming.reject()
          } catch (e) {
            if (!isTalosError(e)) throw e
          }
          expect(toHex(receiver.serialize())).toBe(before)
        }),
        { numRuns: 300, seed: 0x7a105 },
      )
    })

    it('the unmutated messages are accepted', async () => {
      const { receiver, messages } = await corpus(handshake)
      const kinds = []
      // The proposals were already processed by the receiver (their PrivateMessage keys are used up).
      for (const m of [messages[0]!, messages[3]!]) {
        const incoming = await receiver.stageMessage(m)
        kinds.push(incoming.content.kind)
        incoming.reject()
      }
      expect(kinds).toEqual(['application', 'commit'])
    })
  })
}

describe('fuzz joining from a mutated Welcome', () => {
  it('only a group or a TalosError', async () => {
    const [a] = await makeGroup(1, 1)
    const kp = await keyPackageFor('did:talos:joiner', 1)
    const out = await a!.commit({ add: [kp.message] })
    const { MlsGroup } = await import('../../../src/mls/group/index.js')
    const { decodeMLSMessageKeyPackage } = await import('../../../src/mls/wire/index.js')
    const { welcomeOf } = await import('./helpers.js')
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (pos, v) => {
        const bytes = out.welcome!.slice()
        bytes[pos % bytes.length] = bytes[pos % bytes.length]! ^ v
        try {
          await MlsGroup.join({ welcome: welcomeOf(bytes), keyPackage: decodeMLSMessageKeyPackage(kp.message), secrets: kp.bundle })
        } catch (e) {
          if (!isTalosError(e) && !(e instanceof Error && e.message === 'not a Welcome')) throw e
        }
      }),
      { numRuns: 150, seed: 42 },
    )
  })
})

describe('fuzz commit contents from an insider', () => {
  it('random proposal lists: only TalosError, state byte-identical', async () => {
    const { forgeCommit, publicMessageOf } = await import('./forge.js')
    const [a, b] = await makeGroup(4, 1, { handshake: 'public' })
    const kp = await keyPackageFor('did:talos:new', 1)
    const { addProposal, externalPskProposal, reinitProposal, groupContextExtensionsProposal } = await import('../../../src/mls/group/index.js')
    const real = await a!.commit()
    a!.discardPendingCommit()
    const pm = publicMessageOf(real.commit)
    const path = pm.content.contentType === 3 ? pm.content.commit.path : undefined
    const suite = a!.currentState.suite
    const proposal = fc.oneof(
      fc.constant(addProposal(kp.message)),
      fc.nat({ max: 9 }).map((leaf) => ({ proposalType: 3 as const, remove: { removed: leaf } })),
      fc.constant(externalPskProposal(suite, new Uint8Array([1]))),
      fc.constant(reinitProposal(new Uint8Array([7]), 1)),
      fc.constant(groupContextExtensionsProposal([])),
      fc.constant({ proposalType: 6 as const, externalInit: { kemOutput: new Uint8Array(32) } }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(proposal, { maxLength: 5 }), fc.boolean(), async (ps, withPath) => {
        const msg = forgeCommit(a!, { proposals: ps.map((p) => ({ type: 1 as const, proposal: p as never })), path: withPath ? path : undefined })
        const before = toHex(b!.serialize())
        try {
          await b!.processMessage(msg)
          throw new Error('a forged Commit was accepted')
        } catch (e) {
          if (!isTalosError(e)) throw e
        }
        expect(toHex(b!.serialize())).toBe(before)
      }),
      { numRuns: 150, seed: 7 },
    )
  })
})
