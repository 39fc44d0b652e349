/**
 * GroupInfo for the current epoch (RFC 9420 §12.4.3): what Welcomes carry
 * and what an external joiner needs (§12.4.3.2).
 *
 *   group_context     the epoch's GroupContext
 *   extensions        ratchet_tree (§12.4.3.3) and external_pub (§12.4.3.2), as asked
 *   confirmation_tag  the tag of the Commit that started the epoch
 *   signer            our leaf index, signature over GroupInfoTBS
 */
import { encode } from '../../codec/tls.js'
import type { CipherSuite } from '../../crypto/suite.js'
import { deriveExternalPub } from '../schedule/external.js'
import { encodeTree } from '../tree/codec.js'
import type { RatchetTree } from '../tree/ratchet-tree.js'
import type { Encoded } from '../wire/encoded.js'
import { ExtensionType, type Extension } from '../wire/extension.js'
import { externalPubCodec, type GroupInfo } from '../wire/group-info.js'
import type { GroupContext } from '../wire/group-context.js'
import { signGroupInfo } from './welcome.js'

export interface GroupInfoParts {
  readonly suite: CipherSuite
  readonly groupContext: GroupContext
  readonly tree: RatchetTree
  readonly confirmationTag: Uint8Array
  readonly externalSecret: Uint8Array
  readonly signer: number
  readonly signaturePriv: Uint8Array
}

export interface GroupInfoOptions {
  /** Include the ratchet_tree extension (default true). */
  readonly ratchetTree?: boolean | undefined
  /** Include external_pub so outsiders can join by external Commit (default true). */
  readonly externalPub?: boolean | undefined
}

export async function buildGroupInfo(p: GroupInfoParts, opts: GroupInfoOptions = {}): Promise<Encoded<GroupInfo>> {
  const extensions: Extension[] = []
  if (opts.externalPub ?? true) {
    const externalPub = await deriveExternalPub(p.suite, p.externalSecret)
    extensions.push({ extensionType: ExtensionType.external_pub, extensionData: encode(externalPubCodec, { externalPub }) })
  }
  if (opts.ratchetTree ?? true) {
    extensions.push({ extensionType: ExtensionType.ratchet_tree, extensionData: encodeTree(p.tree) })
  }
  return signGroupInfo(p.suite, p.signaturePriv, {
    groupContext: p.groupContext,
    extensions,
    confirmationTag: p.confirmationTag,
    signer: p.signer,
  })
}
