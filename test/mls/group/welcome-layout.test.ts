/**
 * sealWelcomeMessage writes the Welcome in place: encrypted_group_info is
 * sealed into its slot, and each GroupSecrets' EncryptWithLabel context is
 * read from the bytes just before it (the label written into the secrets'
 * slot, overwritten once they are sealed). The context HPKE sees must be
 * exactly EncryptContext("Welcome", encrypted_group_info) at every seal, the
 * message must be the generic encoding of its parts, and a seal whose sizes
 * differ from the prediction must still give a correct (generically encoded)
 * Welcome.
 */
import { describe, expect, it } from 'vitest'
import { getCipherSuite, randomBytes } from '../../../src/crypto/index.js'
import { encryptContext } from '../../../src/crypto/labeled.js'
import type { CipherSuite, HpkeCiphertext } from '../../../src/crypto/suite.js'
import { openGroupSecrets, sealWelcomeMessage, type WelcomeRecipient } from '../../../src/mls/group/welcome.js'
import { deriveWelcomeKeyNonce } from '../../../src/mls/schedule/key-schedule.js'
import { decodeMLSMessage, encodeMLSMessage, WireFormat } from '../../../src/mls/wire/index.js'
import { toHex } from '../../helpers/vectors.js'
import { encode } from '../../../src/codec/tls.js'
import { groupSecretsCodec } from '../../../src/mls/wire/welcome.js'

/** The suite with its GroupSecrets seals observed (and their output optionally changed). */
function observed(base: CipherSuite, change?: (ct: HpkeCiphertext) => HpkeCiphertext): { suite: CipherSuite; infos: string[] } {
  const infos: string[] = []
  const hpkeSealMany: CipherSuite['hpkeSealMany'] = async (pks, info, aad, pts) => {
    for (let i = 0; i < pks.length; i++) infos.push(toHex(info)) // a snapshot per seal: the bytes as HPKE saw them
    const cts = await base.hpkeSealMany(pks, info, aad, pts)
    return change === undefined ? cts : cts.map(change)
  }
  // The suite objects are frozen: shadow the member on a derived object.
  const suite = Object.create(base, { hpkeSealMany: { value: hpkeSealMany } }) as CipherSuite
  return { suite, infos }
}

async function recipients(suite: CipherSuite, k: number): Promise<{ r: WelcomeRecipient[]; priv: Uint8Array[] }> {
  const r: WelcomeRecipient[] = []
  const priv: Uint8Array[] = []
  for (let i = 0; i < k; i++) {
    const kp = await suite.generateHpkeKeyPair()
    priv.push(kp.privateKey)
    r.push({
      keyPackageRef: randomBytes(suite.Nh),
      initKey: kp.publicKey,
      groupSecrets: { joinerSecret: randomBytes(suite.Nh), pathSecret: i === 1 ? { pathSecret: randomBytes(suite.Nh) } : undefined, psks: [] },
    })
  }
  return { r, priv }
}

describe('sealWelcomeMessage', () => {
  for (const id of [1, 2, 3, 5] as const) {
    it(`suite ${id}: in-place EncryptContext and layout equal the generic construction`, async () => {
      const base = getCipherSuite(id)
      for (const [size, k] of [[40, 1], [5000, 3], [70_000, 2]] as const) {
        const { suite, infos } = observed(base)
        const groupInfo = randomBytes(size)
        const welcomeSecret = randomBytes(base.Nh)
        const { r, priv } = await recipients(base, k)
        const bytes = await sealWelcomeMessage(suite, groupInfo, welcomeSecret, r)
        const m = decodeMLSMessage(bytes)
        if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
        expect(toHex(encodeMLSMessage(m))).toBe(toHex(bytes))
        const egi = m.welcome.encryptedGroupInfo
        expect(infos).toEqual(r.map(() => toHex(encryptContext('Welcome', egi))))
        const { key, nonce } = deriveWelcomeKeyNonce(base, welcomeSecret)
        expect(toHex(base.open(key, nonce, new Uint8Array(0), egi))).toBe(toHex(groupInfo))
        for (let i = 0; i < k; i++) {
          const gs = await openGroupSecrets(base, m.welcome, r[i]!.keyPackageRef, priv[i]!)
          expect(toHex(gs.joinerSecret)).toBe(toHex(r[i]!.groupSecrets.joinerSecret))
        }
      }
    })
  }

  it('a seal of another size than predicted still gives the generic encoding of the same parts', async () => {
    const base = getCipherSuite(1)
    // A longer ciphertext than plaintext + 16: the predicted secrets size is wrong.
    const { suite, infos } = observed(base, (ct) => ({ kemOutput: ct.kemOutput, ciphertext: new Uint8Array([...ct.ciphertext, 0]) }))
    const groupInfo = randomBytes(3000)
    const { r } = await recipients(base, 2)
    const bytes = await sealWelcomeMessage(suite, groupInfo, randomBytes(base.Nh), r)
    const m = decodeMLSMessage(bytes)
    if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
    expect(toHex(encodeMLSMessage(m))).toBe(toHex(bytes))
    expect(m.welcome.secrets.map((s) => s.encryptedGroupSecrets.ciphertext.length)).toEqual(
      r.map((x) => encode(groupSecretsCodec, x.groupSecrets).length + 16 + 1),
    )
    expect(m.welcome.secrets.map((s) => toHex(s.newMember))).toEqual(r.map((x) => toHex(x.keyPackageRef)))
    expect(infos).toEqual(r.map(() => toHex(encryptContext('Welcome', m.welcome.encryptedGroupInfo))))
  })
})
