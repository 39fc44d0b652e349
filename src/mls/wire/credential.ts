/**
 * Credential (RFC 9420 §5.3).
 *
 *   uint16 CredentialType;                       // IANA registry, §17.5
 *   struct { opaque cert_data<V>; } Certificate;
 *   struct {
 *     CredentialType credential_type;
 *     select (Credential.credential_type) {
 *       case basic: opaque identity<V>;
 *       case x509:  Certificate certificates<V>;
 *     };
 *   } Credential;
 *
 * Unknown credential types. CredentialType is an open registry (GREASE values
 * and private-use codes exist, and §13.3 lets applications introduce new
 * types), but a `select` body carries no length of its own, so an unknown
 * body cannot be skipped in general. Both RFC types, and the multi-credential
 * types of draft-ietf-mls-extensions, have a body that is exactly one
 * variable-length vector; we therefore decode any other type as an
 * OtherCredential whose `body` is the content of one `<V>` vector, and
 * re-encode it verbatim. Decoding never fails on the type value itself;
 * whether a type is acceptable (supported by every member, §13.3) is checked
 * by the group logic against capabilities, not here.
 */
import type { Codec, Reader, Writer } from '../../codec/tls.js'

/** MLS Credential Types registry (RFC 9420 §17.5): the values this library interprets. */
export const CredentialType = { basic: 0x0001, x509: 0x0002 } as const
export type KnownCredentialType = (typeof CredentialType)[keyof typeof CredentialType]

export interface BasicCredential {
  credentialType: typeof CredentialType.basic
  identity: Uint8Array
}

export interface X509Credential {
  credentialType: typeof CredentialType.x509
  /** Each entry is Certificate.cert_data, a DER certificate; [0] is the end entity. */
  certificates: Uint8Array[]
}

/** Any other credential type: the content of its single `<V>` body vector, kept as is. */
export interface OtherCredential {
  credentialType: number
  body: Uint8Array
}

/**
 * Narrow with the type guards below rather than `switch (credentialType)`:
 * OtherCredential's `number` tag defeats TypeScript's discriminant narrowing.
 */
export type Credential = BasicCredential | X509Credential | OtherCredential

export function isBasicCredential(c: Credential): c is BasicCredential {
  return c.credentialType === CredentialType.basic && 'identity' in c
}

export function isX509Credential(c: Credential): c is X509Credential {
  return c.credentialType === CredentialType.x509 && 'certificates' in c
}

export const credentialCodec: Codec<Credential> = {
  encode(w: Writer, c: Credential): void {
    w.u16(c.credentialType)
    if ('identity' in c) w.opaque(c.identity)
    else if ('certificates' in c) w.list(c.certificates, (cw, cert) => cw.opaque(cert))
    // An OtherCredential body is the content of the vector, so this is also
    // the right encoding for a basic or x509 credential built by hand that way.
    else w.opaque(c.body)
  },
  decode(r: Reader): Credential {
    const credentialType = r.u16()
    if (credentialType === CredentialType.basic) return { credentialType, identity: r.opaque() }
    if (credentialType === CredentialType.x509) {
      return { credentialType, certificates: r.list((cr) => cr.opaque()) }
    }
    return { credentialType, body: r.opaque() }
  },
}
