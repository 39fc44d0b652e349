/**
 * GroupInfo and the extensions that travel with it (RFC 9420 §12.4.3,
 * §12.4.3.2, §11.1, §12.1.8.1).
 *
 *   struct {
 *     GroupContext group_context;
 *     Extension extensions<V>;
 *     MAC confirmation_tag;
 *     uint32 signer;
 *     opaque signature<V>;     // SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)
 *   } GroupInfo;
 *   GroupInfoTBS = GroupInfo without `signature`.
 *   struct { HPKEPublicKey external_pub; } ExternalPub;             // extension external_pub
 *   struct { SignaturePublicKey signature_key; Credential credential; } ExternalSender;
 *   ExternalSender external_senders<V>;                             // extension external_senders
 *   struct { ExtensionType extension_types<V>; ProposalType proposal_types<V>;
 *            CredentialType credential_types<V>; } RequiredCapabilities;  // extension required_capabilities
 *
 * The extension bodies are codecs for Extension.extensionData: decode them
 * with decode(codec, ext.extensionData) once the extension type is known.
 */
import { Writer, struct, opaque, vec, type Codec } from '../../codec/tls.js'
import { uint16List } from './capabilities.js'
import { credentialCodec, type Credential } from './credential.js'
import { withoutTrailingSignature } from './encoded.js'
import { extensionsCodec, type Extension } from './extension.js'
import { groupContextCodec, type GroupContext } from './group-context.js'

export interface GroupInfoTBS {
  groupContext: GroupContext
  extensions: Extension[]
  confirmationTag: Uint8Array
  signer: number
}

export interface GroupInfo extends GroupInfoTBS {
  signature: Uint8Array
}

export const groupInfoTbsCodec: Codec<GroupInfoTBS> = {
  encode(w, v) {
    groupContextCodec.encode(w, v.groupContext)
    extensionsCodec.encode(w, v.extensions)
    w.opaque(v.confirmationTag)
    w.u32(v.signer)
  },
  decode(r) {
    const groupContext = groupContextCodec.decode(r)
    const extensions = extensionsCodec.decode(r)
    const confirmationTag = r.opaque()
    return { groupContext, extensions, confirmationTag, signer: r.u32() }
  },
}

export const groupInfoCodec: Codec<GroupInfo> = {
  encode(w, v) {
    groupInfoTbsCodec.encode(w, v)
    w.opaque(v.signature)
  },
  decode(r) {
    const tbs = groupInfoTbsCodec.decode(r)
    return { ...tbs, signature: r.opaque() }
  },
}

/** The GroupInfoTBS bytes; from `encoded` (the exact GroupInfo bytes) without re-encoding when given. */
export function groupInfoTbsBytes(gi: GroupInfo, encoded?: Uint8Array): Uint8Array {
  if (encoded) return withoutTrailingSignature(encoded, gi.signature)
  // Sized up front: with a ratchet_tree extension the TBS is the whole tree (hundreds of KiB at n = 1024).
  let size = 512 + gi.confirmationTag.length + gi.groupContext.groupId.length
  for (const e of gi.extensions) size += e.extensionData.length + 8
  for (const e of gi.groupContext.extensions) size += e.extensionData.length + 8
  const w = new Writer(size)
  groupInfoTbsCodec.encode(w, gi)
  return w.finish()
}

export interface ExternalPub {
  externalPub: Uint8Array
}

export const externalPubCodec: Codec<ExternalPub> = struct({ externalPub: opaque })

export interface ExternalSender {
  signatureKey: Uint8Array
  credential: Credential
}

export const externalSenderCodec: Codec<ExternalSender> = struct({
  signatureKey: opaque,
  credential: credentialCodec,
})

/** Body of the external_senders extension. */
export const externalSendersCodec: Codec<ExternalSender[]> = vec(externalSenderCodec)

export interface RequiredCapabilities {
  extensionTypes: number[]
  proposalTypes: number[]
  credentialTypes: number[]
}

export const requiredCapabilitiesCodec: Codec<RequiredCapabilities> = struct({
  extensionTypes: uint16List,
  proposalTypes: uint16List,
  credentialTypes: uint16List,
})
