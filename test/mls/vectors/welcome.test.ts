/**
 * welcome.json (FORMAT.md "Welcome"), every suite: find our secrets by
 * KeyPackageRef, decrypt GroupSecrets with init_priv, derive welcome_secret
 * from joiner_secret (no PSKs), decrypt the GroupInfo, verify its signature
 * with signer_pub, and recompute its confirmation_tag from the joiner key
 * schedule. Then the negative twins: a flipped signature / wrong init key /
 * tampered encrypted_group_info each fail with their code.
 */
import { describe, expect, it } from 'vitest'
import { encode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import { TalosError } from '../../../src/errors.js'
import { keyPackageRef } from '../../../src/mls/keys/index.js'
import { openGroupInfo, openGroupSecrets, verifyGroupInfoSignature } from '../../../src/mls/group/welcome.js'
import { confirmationTag } from '../../../src/mls/framing/index.js'
import { deriveWelcomeSecret, runJoinerKeySchedule } from '../../../src/mls/schedule/index.js'
import { decodeMLSMessage, decodeMLSMessageKeyPackage, groupContextCodec, WireFormat } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

interface WelcomeCase {
  cipher_suite: number
  init_priv: string
  signer_pub: string
  key_package: string
  welcome: string
}

const cases = loadVectors<WelcomeCase>('welcome.json')

function welcomeOf(h: string) {
  const m = decodeMLSMessage(hex(h))
  if (m.wireFormat !== WireFormat.mls_welcome) throw new Error('not a Welcome')
  return m.welcome
}

describe('welcome.json', () => {
  it('covers all seven suites', () => {
    expect(new Set(cases.map((c) => c.cipher_suite))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]))
  })

  cases.forEach((c, i) => {
    it(`welcome.json #${i} (suite ${c.cipher_suite}): decrypt, verify signature and confirmation tag`, async () => {
      const suite = getCipherSuite(c.cipher_suite)
      const kp = decodeMLSMessageKeyPackage(hex(c.key_package))
      const welcome = welcomeOf(c.welcome)
      const ref = keyPackageRef(suite, kp.bytes)
      const secrets = await openGroupSecrets(suite, welcome, ref, hex(c.init_priv))
      expect(secrets.psks).toEqual([])
      const welcomeSecret = deriveWelcomeSecret(suite, secrets.joinerSecret)
      const gi = openGroupInfo(suite, welcome, welcomeSecret)
      verifyGroupInfoSignature(suite, gi, hex(c.signer_pub))
      const ctx = gi.value.groupContext
      expect(ctx.cipherSuite).toBe(c.cipher_suite)
      const epoch = runJoinerKeySchedule(suite, { joinerSecret: secrets.joinerSecret, groupContext: encode(groupContextCodec, ctx) })
      expect(toHex(epoch.welcomeSecret)).toBe(toHex(welcomeSecret))
      expect(toHex(confirmationTag(suite, epoch.confirmationKey, ctx.confirmedTranscriptHash))).toBe(
        toHex(gi.value.confirmationTag),
      )

      // Negative twins.
      const badSig = { ...gi, value: { ...gi.value, signature: gi.value.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } }
      expect(() => verifyGroupInfoSignature(suite, badSig, hex(c.signer_pub))).toThrow(
        expect.objectContaining({ code: 'MLS_INVALID_GROUP_INFO_SIGNATURE' }),
      )
      const otherInit = (await suite.generateHpkeKeyPair()).privateKey
      await expect(openGroupSecrets(suite, welcome, ref, otherInit)).rejects.toMatchObject({ code: 'MLS_WELCOME_DECRYPT_FAILED' })
      await expect(openGroupSecrets(suite, welcome, new Uint8Array(ref.length), hex(c.init_priv))).rejects.toMatchObject({
        code: 'MLS_WELCOME_NOT_FOR_US',
      })
      const tampered = { ...welcome, encryptedGroupInfo: welcome.encryptedGroupInfo.map((b, j) => (j === 3 ? b ^ 0x80 : b)) }
      // The GroupSecrets are bound to encrypted_group_info (EncryptWithLabel context).
      await expect(openGroupSecrets(suite, tampered, ref, hex(c.init_priv))).rejects.toBeInstanceOf(TalosError)
      expect(() => openGroupInfo(suite, tampered, welcomeSecret)).toThrow(expect.objectContaining({ code: 'MLS_WELCOME_DECRYPT_FAILED' }))
    })
  })
})
