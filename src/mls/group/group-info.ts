/**
 * GroupInfo for the current epoch (RFC 9420 §12.4.3): what Welcomes carry
 * and what an external joiner needs (§12.4.3.2).
 *
 *   group_context     the epoch's GroupContext
 *   extensions        ratchet_tree (§12.4.3.3) and external_pub (§12.4.3.2), as asked
 *   confirmation_tag  the tag of the Commit that started the epoch
 *   signer            our leaf index, signature over GroupInfoTBS
 */
import { encode, varintSize, Writer } from '../../codec/tls.js'
import { signContentPrefix } from '../../crypto/labeled.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { deriveExternalPub } from '../schedule/external.js'
import { encodedTreeLength, writeTreeParts } from '../tree/codec.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { Encoded } from '../wire/encoded.js'
import { extensionCodec, ExtensionType, type Extension } from '../wire/extension.js'
import { externalPubCodec, type GroupInfo } from '../wire/group-info.js'
import { WireFormat } from '../wire/framing.js'
import { groupContextCodec, MLS10, type GroupContext } from '../wire/group-context.js'

const GROUP_INFO_LABEL = 'GroupInfoTBS'
/** Room left after the TBS for opaque signature<V>: every suite's signature fits (Ed448 114 B, P-521 DER <= 139 B). */
const SIGNATURE_ROOM = 4 + 256

export interface GroupInfoParts {
  readonly suite: CipherSuite
  readonly groupContext: GroupContext
  readonly tree: RatchetTree
  readonly confirmationTag: Uint8Array
  readonly externalSecret: Uint8Array
  readonly signer: number
  readonly signaturePriv: Uint8Array
}

/** A signed GroupInfo: its exact bytes, and the same bytes as an MLSMessage (mls_group_info). */
export interface SignedGroupInfo extends Encoded<GroupInfo> {
  readonly message: Uint8Array
}

export interface GroupInfoOptions {
  /** Include the ratchet_tree extension (default true). */
  readonly ratchetTree?: boolean | undefined
  /** Include external_pub so outsiders can join by external Commit (default true). */
  readonly externalPub?: boolean | undefined
}

/**
 * The signed GroupInfo of the epoch. With the ratchet_tree the TBS is the
 * whole tree (~2 MB at n = 10,000), so it is written once, into one buffer
 * laid out as
 *
 *   opaque label<V> || varint(len) || GroupInfoTBS || opaque signature<V>
 *   \_____________ SignContent (§5.1.2) ___________/
 *                                 \_____________ GroupInfo ______________/
 *
 * and signed in place: the tree comes from the tree's memoised chunk
 * encodings (RatchetTree.encodedNodes), the SignContent and the GroupInfo are
 * views of the same bytes, and no part of it is copied again. Once signed,
 * the SignContent prefix is no longer needed: the MLSMessage header
 * (version, wire_format) is written over its last four bytes, so the
 * GroupInfo as an MLSMessage is a view as well.
 */
export async function buildGroupInfo(p: GroupInfoParts, opts: GroupInfoOptions = {}): Promise<SignedGroupInfo> {
  const extensions: Extension[] = []
  if (opts.externalPub ?? true) {
    const externalPub = await deriveExternalPub(p.suite, p.externalSecret)
    extensions.push({ extensionType: ExtensionType.external_pub, extensionData: encode(externalPubCodec, { externalPub }) })
  }
  const treeParts = (opts.ratchetTree ?? true) ? p.tree.encodedNodes() : undefined
  const groupContext = encode(groupContextCodec, p.groupContext)
  const sw = new Writer()
  for (const e of extensions) extensionCodec.encode(sw, e)
  const small = sw.finish()
  const treeData = treeParts === undefined ? 0 : encodedTreeLength(treeParts)
  const extensionsLength = small.length + (treeParts === undefined ? 0 : 2 + varintSize(treeData) + treeData)
  const tbsLength =
    groupContext.length + varintSize(extensionsLength) + extensionsLength + varintSize(p.confirmationTag.length) + p.confirmationTag.length + 4
  const prefix = signContentPrefix(GROUP_INFO_LABEL, tbsLength)

  const w = new Writer(prefix.length + tbsLength + SIGNATURE_ROOM)
  w.bytes(prefix)
  const tbsStart = w.length
  w.bytes(groupContext).varint(extensionsLength).bytes(small)
  let treeAt = -1
  if (treeParts !== undefined) {
    w.u16(ExtensionType.ratchet_tree).varint(treeData)
    treeAt = w.length
    writeTreeParts(w, treeParts)
    extensions.push({ extensionType: ExtensionType.ratchet_tree, extensionData: w.written(treeAt, w.length) })
  }
  w.opaque(p.confirmationTag).u32(p.signer)
  const signature = p.suite.sign(p.signaturePriv, w.written(0, w.length))
  w.opaque(signature)
  const value: GroupInfo = { groupContext: p.groupContext, extensions, confirmationTag: p.confirmationTag, signer: p.signer, signature }
  const message = w.written(tbsStart - 4, w.length) // prefix.length >= 4: its label alone is 21 bytes
  message.set([MLS10 >>> 8, MLS10 & 0xff, WireFormat.mls_group_info >>> 8, WireFormat.mls_group_info & 0xff])
  return { value, bytes: w.written(tbsStart, w.length), message }
}
