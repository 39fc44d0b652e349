/**
 * Proposals (RFC 9420 §12.1) and ProposalOrRef (§12.4).
 *
 *   struct { KeyPackage key_package; } Add;                       // §12.1.1
 *   struct { LeafNode leaf_node; } Update;                        // §12.1.2
 *   struct { uint32 removed; } Remove;                            // §12.1.3
 *   struct { PreSharedKeyID psk; } PreSharedKey;                  // §12.1.4
 *   struct { opaque group_id<V>; ProtocolVersion version;
 *            CipherSuite cipher_suite; Extension extensions<V>; } ReInit;   // §12.1.5
 *   struct { opaque kem_output<V>; } ExternalInit;                // §12.1.6
 *   struct { Extension extensions<V>; } GroupContextExtensions;   // §12.1.7
 *   struct {
 *     ProposalType proposal_type;
 *     select (Proposal.proposal_type) { case add: Add; ... };
 *   } Proposal;
 *   enum { reserved(0), proposal(1), reference(2), (255) } ProposalOrRefType;
 *   struct {
 *     ProposalOrRefType type;
 *     select (ProposalOrRef.type) {
 *       case proposal:  Proposal proposal;
 *       case reference: ProposalRef reference;   // opaque HashReference<V>
 *     };
 *   } ProposalOrRef;
 *
 * Unknown proposal types. ProposalType is an IANA registry, but a Proposal's
 * body has no length prefix, so a proposal of a type we do not implement
 * cannot be framed (it may not even be the last thing in its vector). §13.5
 * forbids GREASE in proposal_type and §12.4 forbids committing a type not
 * every member supports, so rejecting at decode (DECODE_INVALID_VALUE) is what
 * a conforming peer expects of us. Supporting a new type (e.g. the
 * draft-ietf-mls-extensions ones) means adding a case here.
 */
import { Reader, Writer, type Codec } from '../../codec/tls.js'
import { invalidStruct } from './encoded.js'
import { extensionsCodec, type Extension } from './extension.js'
import { keyPackageCodec, type KeyPackage } from './key-package.js'
import { leafNodeCodec, type LeafNode } from './leaf-node.js'
import { preSharedKeyIdCodec, type PreSharedKeyID } from './psk.js'

/** MLS Proposal Types registry (RFC 9420 §17.4): the default types. */
export const ProposalType = {
  add: 0x0001,
  update: 0x0002,
  remove: 0x0003,
  psk: 0x0004,
  reinit: 0x0005,
  external_init: 0x0006,
  group_context_extensions: 0x0007,
} as const
export type ProposalType = (typeof ProposalType)[keyof typeof ProposalType]
const PROPOSAL_TYPES: ReadonlySet<number> = new Set(Object.values(ProposalType))

export interface Add {
  keyPackage: KeyPackage
}
export interface Update {
  leafNode: LeafNode
}
export interface Remove {
  removed: number
}
export interface PreSharedKey {
  psk: PreSharedKeyID
}
export interface ReInit {
  groupId: Uint8Array
  version: number
  cipherSuite: number
  extensions: Extension[]
}
export interface ExternalInit {
  kemOutput: Uint8Array
}
export interface GroupContextExtensions {
  extensions: Extension[]
}

export const addCodec: Codec<Add> = {
  encode: (w, v) => keyPackageCodec.encode(w, v.keyPackage),
  decode: (r) => ({ keyPackage: keyPackageCodec.decode(r) }),
}
export const updateCodec: Codec<Update> = {
  encode: (w, v) => leafNodeCodec.encode(w, v.leafNode),
  decode: (r) => ({ leafNode: leafNodeCodec.decode(r) }),
}
export const removeCodec: Codec<Remove> = {
  encode: (w, v) => w.u32(v.removed),
  decode: (r) => ({ removed: r.u32() }),
}
export const preSharedKeyCodec: Codec<PreSharedKey> = {
  encode: (w, v) => preSharedKeyIdCodec.encode(w, v.psk),
  decode: (r) => ({ psk: preSharedKeyIdCodec.decode(r) }),
}
export const reInitCodec: Codec<ReInit> = {
  encode(w, v) {
    w.opaque(v.groupId)
    w.u16(v.version)
    w.u16(v.cipherSuite)
    extensionsCodec.encode(w, v.extensions)
  },
  decode(r) {
    const groupId = r.opaque()
    const version = r.u16()
    const cipherSuite = r.u16()
    return { groupId, version, cipherSuite, extensions: extensionsCodec.decode(r) }
  },
}
export const externalInitCodec: Codec<ExternalInit> = {
  encode: (w, v) => w.opaque(v.kemOutput),
  decode: (r) => ({ kemOutput: r.opaque() }),
}
export const groupContextExtensionsCodec: Codec<GroupContextExtensions> = {
  encode: (w, v) => extensionsCodec.encode(w, v.extensions),
  decode: (r) => ({ extensions: extensionsCodec.decode(r) }),
}

/** Discriminated on `proposalType`; the body sits under the RFC case name. */
export type Proposal =
  | { proposalType: typeof ProposalType.add; add: Add }
  | { proposalType: typeof ProposalType.update; update: Update }
  | { proposalType: typeof ProposalType.remove; remove: Remove }
  | { proposalType: typeof ProposalType.psk; psk: PreSharedKey }
  | { proposalType: typeof ProposalType.reinit; reinit: ReInit }
  | { proposalType: typeof ProposalType.external_init; externalInit: ExternalInit }
  | { proposalType: typeof ProposalType.group_context_extensions; groupContextExtensions: GroupContextExtensions }

function encodeProposal(w: Writer, p: Proposal): void {
  w.u16(p.proposalType)
  switch (p.proposalType) {
    case ProposalType.add:
      return addCodec.encode(w, p.add)
    case ProposalType.update:
      return updateCodec.encode(w, p.update)
    case ProposalType.remove:
      return removeCodec.encode(w, p.remove)
    case ProposalType.psk:
      return preSharedKeyCodec.encode(w, p.psk)
    case ProposalType.reinit:
      return reInitCodec.encode(w, p.reinit)
    case ProposalType.external_init:
      return externalInitCodec.encode(w, p.externalInit)
    case ProposalType.group_context_extensions:
      return groupContextExtensionsCodec.encode(w, p.groupContextExtensions)
    default:
      throw invalidStruct(`Proposal of type ${(p as { proposalType: number }).proposalType}`)
  }
}

function decodeProposal(r: Reader): Proposal {
  const t = r.enumValue(2, PROPOSAL_TYPES, 'ProposalType') as ProposalType
  switch (t) {
    case ProposalType.add:
      return { proposalType: t, add: addCodec.decode(r) }
    case ProposalType.update:
      return { proposalType: t, update: updateCodec.decode(r) }
    case ProposalType.remove:
      return { proposalType: t, remove: removeCodec.decode(r) }
    case ProposalType.psk:
      return { proposalType: t, psk: preSharedKeyCodec.decode(r) }
    case ProposalType.reinit:
      return { proposalType: t, reinit: reInitCodec.decode(r) }
    case ProposalType.external_init:
      return { proposalType: t, externalInit: externalInitCodec.decode(r) }
    case ProposalType.group_context_extensions:
      return { proposalType: t, groupContextExtensions: groupContextExtensionsCodec.decode(r) }
  }
}

export const proposalCodec: Codec<Proposal> = { encode: encodeProposal, decode: decodeProposal }

export const ProposalOrRefType = { proposal: 1, reference: 2 } as const
export type ProposalOrRefType = (typeof ProposalOrRefType)[keyof typeof ProposalOrRefType]
const POR_TYPES: ReadonlySet<number> = new Set(Object.values(ProposalOrRefType))

/** Discriminated on `type`; `reference` is a ProposalRef (§5.2). */
export type ProposalOrRef =
  | { type: typeof ProposalOrRefType.proposal; proposal: Proposal }
  | { type: typeof ProposalOrRefType.reference; reference: Uint8Array }

export const proposalOrRefCodec: Codec<ProposalOrRef> = {
  encode(w, v) {
    w.u8(v.type)
    if (v.type === ProposalOrRefType.proposal) encodeProposal(w, v.proposal)
    else if (v.type === ProposalOrRefType.reference) w.opaque(v.reference)
    else throw invalidStruct(`ProposalOrRef of type ${(v as { type: number }).type}`)
  },
  decode(r) {
    const type = r.enumValue(1, POR_TYPES, 'ProposalOrRefType')
    if (type === ProposalOrRefType.proposal) return { type, proposal: decodeProposal(r) }
    return { type: ProposalOrRefType.reference, reference: r.opaque() }
  },
}
