/**
 * Deletion audit (RFC 9420 §9.2, ARCHITECTURE.md "Secrets"): across a run of
 * commits (with and without path, adds, removes) and application messages in
 * both framings, every value the protocol has consumed is collected, and no
 * member's serialize() output may contain any of them:
 *   - epoch secrets of adopted-over epochs (init_secret, exporter_secret,
 *     external_secret, confirmation_key, epoch_authenticator), and
 *     sender_data_secret / membership_key once the epoch left the window;
 *   - message keys and nonces once the message was sent or received;
 *   - HPKE private keys of nodes replaced by a path or blanked;
 *   - the secrets of a Welcome and of a joiner's KeyPackage (init key);
 *   - the state of a handle that was removed, beyond what it still holds.
 * Each value is searched for as a byte string anywhere in the record.
 */
import { describe, expect, it } from 'vitest'
import type { MlsGroup } from '../../../src/mls/group/index.js'
import { commitAndDeliver, joinWith, keyPackageFor, makeGroup } from './helpers.js'

interface Consumed {
  what: string
  value: Uint8Array
}

function epochSecrets(g: MlsGroup, tag: string): Consumed[] {
  const k = g.currentState.epoch.keys
  return (['initSecret', 'exporterSecret', 'externalSecret', 'confirmationKey', 'epochAuthenticator'] as const).map((n) => ({
    what: `${tag} ${n}`,
    value: k[n].slice(),
  }))
}

function windowSecrets(g: MlsGroup, tag: string): Consumed[] {
  const k = g.currentState.epoch.keys
  return [
    { what: `${tag} senderDataSecret`, value: k.senderDataSecret.slice() },
    { what: `${tag} membershipKey`, value: k.membershipKey.slice() },
  ]
}

/** The key and nonce `receiver` would use for (leaf, generation), from a throwaway copy of its state. */
async function messageKey(receiver: MlsGroup, leaf: number, generation: number, tag: string): Promise<Consumed[]> {
  const { MlsGroup: G } = await import('../../../src/mls/group/index.js')
  const copy = G.deserialize(receiver.serialize())
  const staged = copy.currentState.epoch.secretTree.stageKey(leaf, 'application', generation)
  const out = [
    { what: `${tag} key`, value: staged.key.slice() },
    { what: `${tag} nonce`, value: staged.nonce.slice() },
  ]
  staged.discard()
  copy.destroy()
  return out
}

function privateKeysOf(g: MlsGroup, tag: string): Consumed[] {
  const s = g.currentState
  const out: Consumed[] = []
  for (let x = 0; x < 2 * s.tree.leafCount - 1; x++) {
    const k = s.privateKeys.get(x)
    if (k !== undefined) out.push({ what: `${tag} node ${x} private key`, value: k.slice() })
  }
  return out
}

function audit(groups: MlsGroup[], consumed: Consumed[]): void {
  for (const g of groups) {
    const record = Buffer.from(g.serialize())
    for (const c of consumed) {
      expect(record.indexOf(Buffer.from(c.value)), `${c.what} is still in leaf ${g.ownLeafIndex}'s record`).toBe(-1)
    }
  }
}

describe('deletion audit of serialized state', () => {
  for (const handshake of ['private', 'public'] as const) {
    it(`${handshake} handshakes: no consumed secret survives in any record`, async () => {
      const [a, b, c] = await makeGroup(3, 1, { handshake, pastEpochRetention: 1 })
      const consumed: Consumed[] = []
      const enc = new TextEncoder()

      // Messages: keys consumed by sender and receivers at once.
      for (let i = 0; i < 3; i++) {
        consumed.push(...(await messageKey(b!, a!.ownLeafIndex, i, `a->b gen ${i}`)))
        const m = a!.send(enc.encode(`m${i}`))
        await b!.processMessage(m)
        await c!.processMessage(m)
      }
      audit([a!, b!, c!], consumed)

      // A full Commit by b: its old leaf key and the path keys it replaces.
      const e1 = [a!, b!, c!].flatMap((g, i) => epochSecrets(g, `epoch 1 member ${i}`))
      const w1 = windowSecrets(a!, 'epoch 1')
      const bOldKeys = privateKeysOf(b!, 'b before its commit').filter((k) => k.what.includes(`node ${2 * b!.ownLeafIndex} `))
      await commitAndDeliver(b!, [a!, c!])
      consumed.push(...e1, ...bOldKeys)
      audit([a!, b!, c!], consumed)

      // Add d (Welcome), then remove c: c's record is left alone, the others forget c's epoch secrets.
      const dKp = await keyPackageFor('did:talos:d', 1)
      const e2 = [a!, b!, c!].flatMap((g, i) => epochSecrets(g, `epoch 2 member ${i}`))
      const out = await commitAndDeliver(a!, [b!, c!], { add: [dKp.message] })
      const d = await joinWith(out.welcome!, dKp, { handshake, pastEpochRetention: 1 })
      consumed.push(...e2, ...w1, { what: 'd init key', value: dKp.bundle.initPriv.slice() })
      audit([a!, b!, c!, d], consumed)

      for (let i = 0; i < 2; i++) {
        consumed.push(...(await messageKey(a!, d.ownLeafIndex, i, `d->a gen ${i}`)))
        const m = d.send(enc.encode(`d${i}`))
        for (const g of [a!, b!, c!]) await g.processMessage(m)
      }
      const e3 = [a!, b!, d].flatMap((g, i) => epochSecrets(g, `epoch 3 member ${i}`))
      const cKeys = privateKeysOf(c!, 'c')
      const removal = await a!.commit({ remove: [c!.ownLeafIndex] })
      a!.mergePendingCommit()
      for (const g of [b!, d]) await g.processMessage(removal.commit)
      consumed.push(...e3, ...cKeys.filter((k) => !k.what.includes(`node ${2 * c!.ownLeafIndex} `)))
      audit([a!, b!, d], consumed)

      // One more epoch: everything of epoch 3 leaves the window.
      const w3 = windowSecrets(a!, 'epoch 4')
      await commitAndDeliver(d, [a!, b!])
      await commitAndDeliver(a!, [b!, d])
      consumed.push(...w3, ...cKeys)
      audit([a!, b!, d], consumed)
      // Control: the scan sees live secrets (the record holds them in the clear).
      for (const live of [...epochSecrets(a!, 'live'), ...privateKeysOf(a!, 'live')]) {
        expect(Buffer.from(a!.serialize()).indexOf(Buffer.from(live.value)), live.what).toBeGreaterThanOrEqual(0)
      }
    })
  }
})
