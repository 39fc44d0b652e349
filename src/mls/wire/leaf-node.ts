/**
 * LeafNode and LeafNodeTBS (RFC 9420 §7.2).
 *
 *   enum { reserved(0), key_package(1), update(2), commit(3), (255) } LeafNodeSource;
 *   struct {
 *     HPKEPublicKey encryption_key;
 *     SignaturePublicKey signature_key;
 *     Credential credential;
 *     Capabilities capabilities;
 *     LeafNodeSource leaf_node_source;
 *     select (LeafNode.leaf_node_source) {
 *       case key_package: Lifetime lifetime;
 *       case update:      struct{};
 *       case commit:      opaque parent_hash<V>;
 *     };
 *     Extension extensions<V>;
 *     opaque signature<V>;     // SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)
 *   } LeafNode;
 *
 * LeafNodeTBS is the same without `signature`, followed, for the update and
 * commit sources only, by `opaque group_id<V>; uint32 leaf_index;`: a leaf
 * that lives in a group is bound to that group and position.
 *
 * LeafNodeSource is a closed enum: any other value is DECODE_INVALID_VALUE.
 */
import { TalosError } from '../../errors.js'
import { Writer, type Codec, type Reader } from '../../codec/tls.js'
import { capabilitiesCodec, type Capabilities } from './capabilities.js'
import { credentialCodec, type Credential } from './credential.js'
import { withoutTrailingSignature, invalidStruct } from './encoded.js'
import { extensionsCodec, type Extension } from './extension.js'
import { lifetimeCodec, type Lifetime } from './lifetime.js'

export const LeafNodeSource = { key_package: 1, update: 2, commit: 3 } as const
export type LeafNodeSource = (typeof LeafNodeSource)[keyof typeof LeafNodeSource]
const SOURCES: ReadonlySet<number> = new Set(Object.values(LeafNodeSource))

interface LeafNodeFields {
  encryptionKey: Uint8Array
  signatureKey: Uint8Array
  credential: Credential
  capabilities: Capabilities
  extensions: Extension[]
}

/** The source-dependent part of a leaf, discriminated on `leafNodeSource`. */
export type LeafNodeSourceData =
  | { leafNodeSource: typeof LeafNodeSource.key_package; lifetime: Lifetime }
  | { leafNodeSource: typeof LeafNodeSource.update }
  | { leafNodeSource: typeof LeafNodeSource.commit; parentHash: Uint8Array }

/** Every LeafNode field except `signature`: what LeafNodeTBS starts with. */
export type LeafNodeData = LeafNodeFields & LeafNodeSourceData

export type LeafNode = LeafNodeData & { signature: Uint8Array }

/** Where an update/commit leaf sits; absent for key_package leaves. */
export interface LeafNodeTBSContext {
  groupId: Uint8Array
  leafIndex: number
}

export type LeafNodeTBS = LeafNodeData & { groupId?: Uint8Array; leafIndex?: number }

function encodeData(w: Writer, v: LeafNodeData): void {
  w.opaque(v.encryptionKey)
  w.opaque(v.signatureKey)
  credentialCodec.encode(w, v.credential)
  capabilitiesCodec.encode(w, v.capabilities)
  w.u8(v.leafNodeSource)
  switch (v.leafNodeSource) {
    case LeafNodeSource.key_package:
      lifetimeCodec.encode(w, v.lifetime)
      break
    case LeafNodeSource.update:
      break
    case LeafNodeSource.commit:
      w.opaque(v.parentHash)
      break
    default:
      throw invalidStruct(`LeafNode with leaf_node_source ${(v as { leafNodeSource: number }).leafNodeSource}`)
  }
  extensionsCodec.encode(w, v.extensions)
}

function decodeData(r: Reader): LeafNodeData {
  const encryptionKey = r.opaque()
  const signatureKey = r.opaque()
  const credential = credentialCodec.decode(r)
  const capabilities = capabilitiesCodec.decode(r)
  const source = r.enumValue(1, SOURCES, 'LeafNodeSource') as LeafNodeSource
  let sourceData: LeafNodeSourceData
  if (source === LeafNodeSource.key_package) sourceData = { leafNodeSource: source, lifetime: lifetimeCodec.decode(r) }
  else if (source === LeafNodeSource.commit) sourceData = { leafNodeSource: source, parentHash: r.opaque() }
  else sourceData = { leafNodeSource: LeafNodeSource.update }
  const extensions = extensionsCodec.decode(r)
  return { encryptionKey, signatureKey, credential, capabilities, ...sourceData, extensions }
}

export const leafNodeCodec: Codec<LeafNode> = {
  encode(w, v) {
    encodeData(w, v)
    w.opaque(v.signature)
  },
  decode(r) {
    const data = decodeData(r) as LeafNode
    data.signature = r.opaque()
    return data
  },
}

/** True when the source binds the leaf to a group_id and leaf_index in its TBS. */
function needsContext(source: LeafNodeSource): boolean {
  return source === LeafNodeSource.update || source === LeafNodeSource.commit
}

function checkContext(source: LeafNodeSource, groupId: Uint8Array | undefined, leafIndex: number | undefined): void {
  const has = groupId !== undefined && leafIndex !== undefined
  if (needsContext(source) !== has) {
    throw new TalosError(
      'MLS_INVALID_STRUCTURE',
      `LeafNodeTBS for source ${source} ${has ? 'must not' : 'must'} carry group_id and leaf_index`,
    )
  }
}

export const leafNodeTbsCodec: Codec<LeafNodeTBS> = {
  encode(w, v) {
    checkContext(v.leafNodeSource, v.groupId, v.leafIndex)
    encodeData(w, v)
    if (v.groupId !== undefined && v.leafIndex !== undefined) {
      w.opaque(v.groupId)
      w.u32(v.leafIndex)
    }
  },
  decode(r) {
    const data: LeafNodeTBS = decodeData(r)
    if (needsContext(data.leafNodeSource)) {
      data.groupId = r.opaque()
      data.leafIndex = r.u32()
    }
    return data
  },
}

/**
 * The LeafNodeTBS bytes that `leaf`'s signature covers. `context` is required
 * for update and commit leaves and refused for key_package leaves.
 *
 * Pass `encoded`, the exact LeafNode bytes (e.g. from withBytes(leafNodeCodec)),
 * to skip re-encoding: the TBS is then that encoding minus the signature, plus
 * the context.
 */
export function leafNodeTbsBytes(leaf: LeafNode, context?: LeafNodeTBSContext, encoded?: Uint8Array): Uint8Array {
  checkContext(leaf.leafNodeSource, context?.groupId, context?.leafIndex)
  if (encoded === undefined) {
    const w = new Writer()
    encodeData(w, leaf)
    if (context) w.opaque(context.groupId).u32(context.leafIndex)
    return w.finish()
  }
  const prefix = withoutTrailingSignature(encoded, leaf.signature)
  if (!context) return prefix
  const w = new Writer(prefix.length + context.groupId.length + 8)
  return w.bytes(prefix).opaque(context.groupId).u32(context.leafIndex).finish()
}
