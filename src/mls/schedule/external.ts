/**
 * External initialization (RFC 9420 §8 "external_secret", §8.3).
 *
 *   external_priv, external_pub = KEM.DeriveKeyPair(external_secret)
 *
 *   joiner:  kem_output, ctx = SetupBaseS(external_pub, "")
 *            init_secret = ctx.export("MLS 1.0 external init secret", KDF.Nh)
 *   members: ctx = SetupBaseR(kem_output, external_priv, "")
 *            init_secret = ctx.export("MLS 1.0 external init secret", KDF.Nh)
 *
 * The resulting init_secret replaces the previous epoch's init_secret as the
 * salt of the next schedule run (runKeySchedule's `initSecret`).
 */
import type { CipherSuite, KeyPair } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'

const EXTERNAL_INIT_LABEL = new TextEncoder().encode('MLS 1.0 external init secret')
const EMPTY = new Uint8Array(0)

/** The group's external HPKE key pair of this epoch. */
export async function deriveExternalKeyPair(suite: CipherSuite, externalSecret: Uint8Array): Promise<KeyPair> {
  if (externalSecret.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_SECRET_LENGTH', `external_secret must be ${suite.Nh} bytes`)
  }
  return suite.deriveHpkeKeyPair(externalSecret)
}

/** external_pub only (for the GroupInfo's external_pub extension); the private key is zeroed. */
export async function deriveExternalPub(suite: CipherSuite, externalSecret: Uint8Array): Promise<Uint8Array> {
  const kp = await deriveExternalKeyPair(suite, externalSecret)
  memzero(kp.privateKey)
  return kp.publicKey
}

/** The joiner's side of an external commit: kem_output for ExternalInit and the new init_secret. */
export async function externalInitSender(
  suite: CipherSuite,
  externalPub: Uint8Array,
): Promise<{ kemOutput: Uint8Array; initSecret: Uint8Array }> {
  const { kemOutput, secret } = await suite.hpkeExportSender(externalPub, EMPTY, EXTERNAL_INIT_LABEL, suite.Nh)
  return { kemOutput, initSecret: secret }
}

/**
 * The members' side: init_secret from the ExternalInit kem_output. The
 * external private key is derived from external_secret and zeroed here.
 */
export async function externalInitReceiver(
  suite: CipherSuite,
  externalSecret: Uint8Array,
  kemOutput: Uint8Array,
): Promise<Uint8Array> {
  const kp = await deriveExternalKeyPair(suite, externalSecret)
  try {
    return await suite.hpkeExportReceiver(kp.privateKey, kemOutput, EMPTY, EXTERNAL_INIT_LABEL, suite.Nh)
  } catch (e) {
    // kem_output comes from a hostile ExternalInit: surface only the typed error.
    if (e instanceof TalosError) throw e
    throw new TalosError('MLS_EXTERNAL_INIT_FAILED', 'ExternalInit kem_output could not be processed', { cause: e })
  } finally {
    memzero(kp.privateKey)
  }
}
