/**
 * The ts-mls driver (test/helpers/ts-mls-driver.ts) against itself, so that
 * the interop tests and the peer benchmark stand on a driver known to be
 * right: groups, Welcome joins, application messages both ways, Update and
 * Remove commits (as PrivateMessage and as PublicMessage), epoch
 * authenticators and exporters agreeing after every step, for suites 1 and 3.
 */
import { describe, expect, it } from 'vitest'
import { acceptAll, decodeMlsMessage, makePskIndex, processMessage } from 'ts-mls'
import { createGroup, createKeyPackage, joinExternal, joinFromWelcome, type TsMlsMember } from '../helpers/ts-mls-driver.js'

const utf8 = new TextEncoder()
const text = new TextDecoder()

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

async function expectAgree(members: TsMlsMember[]): Promise<void> {
  const [first, ...rest] = members
  if (first === undefined) throw new Error('no members')
  const exp = hexOf(await first.exportSecret('interop', utf8.encode('ctx'), 32))
  for (const m of rest) {
    expect(m.epoch).toBe(first.epoch)
    expect(hexOf(m.epochAuthenticator)).toBe(hexOf(first.epochAuthenticator))
    expect(hexOf(await m.exportSecret('interop', utf8.encode('ctx'), 32))).toBe(exp)
  }
}

for (const suite of [1, 3]) {
  describe(`ts-mls driver, suite ${suite}`, () => {
    for (const publicMessage of [false, true]) {
      it(`create, add by Welcome, messages both ways, update and remove (commits as ${publicMessage ? 'PublicMessage' : 'PrivateMessage'})`, async () => {
        const alice = await createGroup(suite, 'alice')
        expect(alice.epoch).toBe(0n)
        const bobKp = await createKeyPackage(suite, 'bob')
        const carolKp = await createKeyPackage(suite, 'carol')

        const added = await alice.add([bobKp.bytes, carolKp.bytes], { publicMessage })
        expect(added.welcome).toBeDefined()
        const bob = await joinFromWelcome(added.welcome!, bobKp)
        const carol = await joinFromWelcome(added.welcome!, carolKp)
        expect(alice.epoch).toBe(1n)
        await expectAgree([alice, bob, carol])
        expect(bob.leafOf('bob')).toBe(bob.leafIndex)
        expect(alice.leafOf('carol')).toBe(carol.leafIndex)

        // application messages in both directions
        const m1 = await alice.send(utf8.encode('hello from alice'))
        for (const r of [bob, carol]) {
          const got = await r.receive(m1)
          expect(got.kind).toBe('application')
          expect(text.decode(got.data)).toBe('hello from alice')
        }
        const m2 = await bob.send(utf8.encode('hello from bob'))
        for (const r of [alice, carol]) expect(text.decode((await r.receive(m2)).data)).toBe('hello from bob')

        // bob: empty commit with path
        const upd = await bob.update({ publicMessage })
        expect(upd.welcome).toBeUndefined()
        expect((await alice.receive(upd.commit)).kind).toBe('commit')
        expect((await carol.receive(upd.commit)).kind).toBe('commit')
        expect(bob.epoch).toBe(2n)
        await expectAgree([alice, bob, carol])

        // alice removes carol
        const rem = await alice.remove([alice.leafOf('carol')], { publicMessage })
        await bob.receive(rem.commit)
        await carol.receive(rem.commit)
        expect(carol.active).toBe(false)
        expect(alice.members().filter((m) => m !== undefined)).toHaveLength(2)
        await expectAgree([alice, bob])

        const m3 = await bob.send(utf8.encode('after remove'))
        expect(text.decode((await alice.receive(m3)).data)).toBe('after remove')
      })
    }

    it('states are immutable: a fork repeats an operation from the same starting point', async () => {
      const alice = await createGroup(suite, 'alice')
      const bobKp = await createKeyPackage(suite, 'bob')
      const { welcome } = await alice.add([bobKp.bytes])
      const bob = await joinFromWelcome(welcome!, bobKp)
      const { commit } = await alice.update()
      const a = bob.fork()
      const b = bob.fork()
      await a.receive(commit)
      await b.receive(commit)
      expect(hexOf(a.epochAuthenticator)).toBe(hexOf(b.epochAuthenticator))
      expect(hexOf(a.epochAuthenticator)).toBe(hexOf(alice.epochAuthenticator))
      expect(bob.epoch).toBe(1n)

      const msg = await alice.send(utf8.encode('x'))
      const c = a.fork()
      expect(text.decode((await a.receive(msg)).data)).toBe('x')
      expect(text.decode((await c.receive(msg)).data)).toBe('x')
    })

    it("ts-mls's two crypto providers (default, noble) interoperate", async () => {
      const alice = await createGroup(suite, 'alice', undefined, { provider: 'noble' })
      const bobKp = await createKeyPackage(suite, 'bob', { provider: 'default' })
      const { welcome } = await alice.add([bobKp.bytes])
      const bob = await joinFromWelcome(welcome!, bobKp)
      await expectAgree([alice, bob])
      expect(text.decode((await bob.receive(await alice.send(utf8.encode('n->d')))).data)).toBe('n->d')
      expect(text.decode((await alice.receive(await bob.send(utf8.encode('d->n')))).data)).toBe('d->n')
      await alice.receive((await bob.update()).commit)
      await expectAgree([alice, bob])
    })

    it('asMember: a member that never joined commits from the public state with its own keys', async () => {
      const alice = await createGroup(suite, 'alice')
      const bobKp = await createKeyPackage(suite, 'bob')
      const carolKp = await createKeyPackage(suite, 'carol')
      const { welcome } = await alice.add([bobKp.bytes, carolKp.bytes])
      const bob = await joinFromWelcome(welcome!, bobKp)
      const carol = alice.asMember(alice.leafOf('carol'), carolKp)
      const { commit } = await carol.update()
      await alice.receive(commit)
      await bob.receive(commit)
      await expectAgree([alice, bob, carol])
      expect(carol.leafIndex).toBe(2)
    })

    it('proposals by reference: proposeRemove and proposeAdd, committed by another member', async () => {
      const alice = await createGroup(suite, 'alice')
      const kps = await Promise.all(['bob', 'carol'].map((n) => createKeyPackage(suite, n)))
      const { welcome } = await alice.add(kps.map((k) => k.bytes))
      const [bob, carol] = await Promise.all(kps.map((k) => joinFromWelcome(welcome!, k)))
      const daveKp = await createKeyPackage(suite, 'dave')
      for (const p of [await bob!.proposeRemove(carol!.leafIndex), await bob!.proposeAdd(daveKp.bytes)]) {
        expect((await alice.receive(p)).kind).toBe('proposal')
        expect((await carol!.receive(p)).kind).toBe('proposal')
      }
      const c = await alice.commit([])
      expect((await bob!.receive(c.commit)).kind).toBe('commit')
      const dave = await joinFromWelcome(c.welcome!, daveKp)
      await expectAgree([alice, bob!, dave])
      expect(alice.members().filter((m) => m !== undefined)).toHaveLength(3)
    })

    it('external and resumption PSK commits (PrivateMessage), and the ts-mls processMessage defect the driver avoids', async () => {
      const alice = await createGroup(suite, 'alice')
      const bobKp = await createKeyPackage(suite, 'bob')
      const { welcome } = await alice.add([bobKp.bytes])
      const bob = await joinFromWelcome(welcome!, bobKp)
      const pskId = utf8.encode('psk')
      const psk = crypto.getRandomValues(new Uint8Array(32))
      alice.addExternalPsk(pskId, psk)
      bob.addExternalPsk(pskId, psk)
      const c1 = await alice.commitExternalPsk(pskId)
      // ts-mls 1.6.4: processMessage passes emptyPskIndex for a PrivateMessage, whatever index it is given
      const decoded = decodeMlsMessage(c1.commit, 0)![0]
      if (decoded.wireformat !== 'mls_private_message') throw new Error('expected a PrivateMessage')
      await expect(processMessage(decoded, bob.state, makePskIndex(bob.state, bob.externalPsks), acceptAll, bob.impl)).rejects.toThrow(/pskId/)
      // the driver calls processPrivateMessage with the index
      expect((await bob.receive(c1.commit)).kind).toBe('commit')
      await expectAgree([alice, bob])
      await alice.receive((await bob.commitResumptionPsk(bob.epoch)).commit)
      await expectAgree([alice, bob])
    })

    it("external join from ts-mls's own GroupInfo", async () => {
      const alice = await createGroup(suite, 'alice')
      const bobKp = await createKeyPackage(suite, 'bob')
      const { welcome } = await alice.add([bobKp.bytes])
      const bob = await joinFromWelcome(welcome!, bobKp)
      const { member: carol, commit } = await joinExternal(suite, await alice.groupInfo(), 'carol')
      expect((await alice.receive(commit)).kind).toBe('commit')
      expect((await bob.receive(commit)).kind).toBe('commit')
      await expectAgree([alice, bob, carol])
      expect(text.decode((await alice.receive(await carol.send(utf8.encode('hi')))).data)).toBe('hi')
    })

    it('a Welcome without the ratchet_tree extension joins with the tree given out of band', async () => {
      const alice = await createGroup(suite, 'alice')
      const bobKp = await createKeyPackage(suite, 'bob')
      const { welcome } = await alice.add([bobKp.bytes], { ratchetTreeExtension: false })
      const bob = await joinFromWelcome(welcome!, bobKp, alice.ratchetTree)
      await expectAgree([alice, bob])
    })
  })
}
