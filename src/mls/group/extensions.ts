/**
 * Reading the extensions a group acts on (RFC 9420 §12.1.8.1, §11.1,
 * §12.4.3.2, §12.4.3.3, §13.4).
 *
 * §13.4: a list of extensions MUST NOT contain two of the same type; every
 * list we receive is checked (MLS_DUPLICATE_EXTENSION). A malformed body of
 * an extension we interpret is a TalosError from the codec, never anything
 * else.
 */
import { decode } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import type { Capabilities } from '../wire/capabilities.js'
import { ExtensionType, type Extension } from '../wire/extension.js'
import {
  externalPubCodec,
  externalSendersCodec,
  requiredCapabilitiesCodec,
  type ExternalSender,
  type RequiredCapabilities,
} from '../wire/group-info.js'
import { decodeRatchetTree, type RatchetTree } from '../wire/ratchet-tree.js'
import { supportsExtension } from '../keys/capabilities.js'
import { checkDistinctExtensionTypes } from '../keys/leaf-node.js'

/** §13.4 (shared with the leaf and KeyPackage checks of src/mls/keys). */
export const checkUniqueExtensions = checkDistinctExtensionTypes

export function findExtension(list: readonly Extension[], type: number): Extension | undefined {
  return list.find((e) => e.extensionType === type)
}

export function requiredCapabilitiesOf(list: readonly Extension[]): RequiredCapabilities | undefined {
  const e = findExtension(list, ExtensionType.required_capabilities)
  return e && decode(requiredCapabilitiesCodec, e.extensionData, 'required_capabilities')
}

export function externalSendersOf(list: readonly Extension[]): ExternalSender[] {
  const e = findExtension(list, ExtensionType.external_senders)
  return e ? decode(externalSendersCodec, e.extensionData, 'external_senders') : []
}

export function externalPubOf(list: readonly Extension[]): Uint8Array | undefined {
  const e = findExtension(list, ExtensionType.external_pub)
  return e && decode(externalPubCodec, e.extensionData, 'external_pub').externalPub
}

export function ratchetTreeOf(list: readonly Extension[]): RatchetTree | undefined {
  const e = findExtension(list, ExtensionType.ratchet_tree)
  return e && decodeRatchetTree(e.extensionData)
}

/**
 * §13.4: every GroupContext extension must be supported by every member;
 * `caps` are one member's capabilities.
 */
export function supportsGroupExtensions(caps: Capabilities, groupExtensions: readonly Extension[]): boolean {
  return groupExtensions.every((e) => supportsExtension(caps, e.extensionType))
}

/** GroupContext extensions we can act on as a member (§13.4: a joiner must support all of them). */
export function checkWeSupportGroupExtensions(groupExtensions: readonly Extension[], ours: Capabilities): void {
  for (const e of groupExtensions) {
    if (!supportsExtension(ours, e.extensionType)) {
      throw new TalosError('MLS_UNSUPPORTED_EXTENSION', `group extension ${e.extensionType} is not supported by this client`)
    }
  }
  // Decode the ones we interpret now, so a malformed body fails the join, not a later message.
  requiredCapabilitiesOf(groupExtensions)
  externalSendersOf(groupExtensions)
}
