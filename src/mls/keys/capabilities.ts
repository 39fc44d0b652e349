/**
 * What this implementation supports, as advertised in a LeafNode's
 * Capabilities (RFC 9420 §7.2), and the checks on capabilities that §7.3,
 * §11.1 and §12.1.7 ask for.
 *
 * §7.2: the default proposal types (1..7) and extension types (1..5) MUST NOT
 * be listed; everything else a client supports MUST be. Unknown values (and
 * GREASE, §13.5) in a peer's capabilities are simply ignored: we only ever ask
 * "is X listed", never "is every listed value known".
 */
import { CIPHER_SUITE_IDS } from '../../crypto/suite.js'
import type { Capabilities } from '../wire/capabilities.js'
import { CredentialType } from '../wire/credential.js'
import type { RequiredCapabilities } from '../wire/group-info.js'
import { MLS10 } from '../wire/group-context.js'

/** Extension types every client implements (§7.2 "default"). */
export function isDefaultExtensionType(t: number): boolean {
  return t >= 0x0001 && t <= 0x0005
}

/** Proposal types every client implements (§7.2 "default"). */
export function isDefaultProposalType(t: number): boolean {
  return t >= 0x0001 && t <= 0x0007
}

/** The credential types this implementation can carry and check through an AuthenticationService. */
export const SUPPORTED_CREDENTIAL_TYPES: readonly number[] = [CredentialType.basic]

/** Our capabilities: mls10, every suite of src/crypto, basic credentials, only default extensions/proposals. */
export function defaultCapabilities(): Capabilities {
  return {
    versions: [MLS10],
    cipherSuites: [...CIPHER_SUITE_IDS],
    extensions: [],
    proposals: [],
    credentials: [...SUPPORTED_CREDENTIAL_TYPES],
  }
}

export function supportsExtension(c: Capabilities, extensionType: number): boolean {
  return isDefaultExtensionType(extensionType) || c.extensions.includes(extensionType)
}

export function supportsProposal(c: Capabilities, proposalType: number): boolean {
  return isDefaultProposalType(proposalType) || c.proposals.includes(proposalType)
}

export function supportsCredential(c: Capabilities, credentialType: number): boolean {
  return c.credentials.includes(credentialType)
}

/** §11.1: does a leaf with these capabilities meet the group's required_capabilities? */
export function meetsRequiredCapabilities(c: Capabilities, required: RequiredCapabilities): boolean {
  return (
    required.extensionTypes.every((t) => supportsExtension(c, t)) &&
    required.proposalTypes.every((t) => supportsProposal(c, t)) &&
    required.credentialTypes.every((t) => supportsCredential(c, t))
  )
}
