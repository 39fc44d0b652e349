/**
 * The client's X3DH prekeys (src/ratchet), kept in its ClientRecord so a
 * restarted client still answers PreKeyMessages sent to what it published.
 *
 *   signed prekeys     the current one and one before (in-flight grace)
 *   one-time prekeys   each published in exactly one bundle; deleted (zeroed)
 *                      when a session consumes it
 *
 * Bundles are published to the directory under kind "prekey-bundle": one
 * one-time bundle per one-time prekey (handed out once) and a last-resort
 * bundle with the signed prekey only. Signatures are recomputed from the
 * stored keys (Ed25519 is deterministic), so only private keys are stored.
 */
import { x25519Forget, x25519Generate, x25519KeyPairFromPrivate, type X25519KeyPair } from '../crypto/dh.js'
import { identityFromPrivate, type IdentityKeyPair } from '../ratchet/identity.js'
import { signPreKey, type PreKeyBundle, type PreKeyStore } from '../ratchet/prekeys.js'
import type { ClientRecord, PreKeySecret } from '../proto/group.js'

export const PREKEY_BUNDLE_KIND = 'prekey-bundle'

export class ClientPreKeys implements PreKeyStore {
  private dirty = false

  constructor(
    private readonly record: ClientRecord,
    readonly identity: IdentityKeyPair,
  ) {}

  /** The ratchet identity of a client: its Ed25519 identity key plus a stored X25519 key (created on first use). */
  static open(record: ClientRecord): ClientPreKeys {
    if (record.agreementPrivate.length === 0) record.agreementPrivate = x25519Generate().privateKey
    const identity = identityFromPrivate(record.signaturePrivate, record.agreementPrivate)
    const p = new ClientPreKeys(record, identity)
    if (record.signedPrekeys.length === 0) p.rotateSignedPreKey()
    return p
  }

  /** True when a one-time prekey was consumed since the last call (the record must be saved). */
  takeDirty(): boolean {
    const d = this.dirty
    this.dirty = false
    return d
  }

  private nextId(): number {
    const id = Math.max(1, this.record.nextPrekeyId)
    this.record.nextPrekeyId = id + 1
    return id
  }

  rotateSignedPreKey(): void {
    const kp = x25519Generate()
    const id = this.nextId()
    this.record.signedPrekeys.push({ id, privateKey: kp.privateKey })
    this.record.currentSignedPrekey = id
    while (this.record.signedPrekeys.length > 2) x25519Forget(this.record.signedPrekeys.shift()!.privateKey)
  }

  private find(list: PreKeySecret[], id: number): X25519KeyPair | undefined {
    const s = list.find((k) => k.id === id)
    // A copy: whatever the session does with the buffer, the stored key stays ours to delete.
    return s === undefined ? undefined : x25519KeyPairFromPrivate(new Uint8Array(s.privateKey)) // not slice(): a view on a Buffer
  }

  private signedBundle(oneTime?: PreKeySecret): PreKeyBundle {
    const cur = this.record.signedPrekeys.find((k) => k.id === this.record.currentSignedPrekey)!
    const pub = x25519KeyPairFromPrivate(cur.privateKey).publicKey
    return {
      identity: this.identity.public,
      signedPreKey: signPreKey(this.identity, 'signed', cur.id, pub),
      oneTimePreKey:
        oneTime === undefined ? undefined : signPreKey(this.identity, 'one-time', oneTime.id, x25519KeyPairFromPrivate(oneTime.privateKey).publicKey),
    }
  }

  /** `count` new one-time bundles (their private keys added to the record) and the last-resort bundle. */
  newBundles(count: number): { oneTime: PreKeyBundle[]; lastResort: PreKeyBundle } {
    const oneTime: PreKeyBundle[] = []
    for (let i = 0; i < count; i++) {
      const s = { id: this.nextId(), privateKey: x25519Generate().privateKey }
      this.record.oneTimePrekeys.push(s)
      oneTime.push(this.signedBundle(s))
    }
    return { oneTime, lastResort: this.signedBundle() }
  }

  signedPreKey(id: number): X25519KeyPair | undefined {
    return this.find(this.record.signedPrekeys, id)
  }

  oneTimePreKey(id: number): X25519KeyPair | undefined {
    return this.find(this.record.oneTimePrekeys, id)
  }

  removeOneTimePreKey(id: number): void {
    const i = this.record.oneTimePrekeys.findIndex((k) => k.id === id)
    if (i < 0) return
    x25519Forget(this.record.oneTimePrekeys[i]!.privateKey)
    this.record.oneTimePrekeys.splice(i, 1)
    this.dirty = true
  }

  get oneTimeCount(): number {
    return this.record.oneTimePrekeys.length
  }
}
