/**
 * SafeExportSecret (draft-ietf-mls-extensions, "Exported Secrets"): a
 * forward-secure exporter for application components.
 *
 *   Exporter Tree: same structure and derivation as the secret tree
 *   (RFC 9420 §9) with 2^16 leaves, one per ComponentID, and
 *   application_export_secret (DeriveSecret(epoch_secret, "application_export"))
 *   at the root.
 *   SafeExportSecret(ComponentID) = tree_node_[LeafIndex(ComponentID)]_secret
 *
 * Derivation is lazy (16 levels: 32 ExpandWithLabel calls for the first
 * export, fewer afterwards), and an exported secret is consumed on export:
 * the draft says the implementation MUST regard it as consumed and delete the
 * source key material per RFC 9420 §9.2. So a second export of the same
 * ComponentID in the same epoch fails with MLS_EXPORT_CONSUMED; the component
 * must keep what it received (or wait for the next epoch). Returning a cached
 * copy instead would keep the secret in the group state and defeat the
 * forward secrecy this exporter exists for.
 *
 * Persistence: the frontier, TLS-encoded:
 *   struct { uint8 format = 1; uint16 cipher_suite;
 *            struct { uint32 node; opaque secret<V>; } nodes<V>; } ExporterTreeState;
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { Reader, Writer } from '../../codec/tls.js'
import { TalosError } from '../../errors.js'
import { LazyTreeSecrets } from './lazy-tree.js'

/** ComponentID is a uint16: the tree has one leaf per value. */
export const EXPORTER_TREE_LEAVES = 1 << 16
const FORMAT = 1

export class ExporterTree {
  private constructor(
    readonly suite: CipherSuite,
    private readonly nodes: LazyTreeSecrets,
  ) {}

  /** Takes ownership of `applicationExportSecret` (zeroed on the first export). */
  static create(suite: CipherSuite, applicationExportSecret: Uint8Array): ExporterTree {
    return new ExporterTree(suite, LazyTreeSecrets.fromRoot(suite, EXPORTER_TREE_LEAVES, applicationExportSecret))
  }

  /**
   * SafeExportSecret(componentId). The caller owns (and should zero) the
   * returned Nh-byte secret; the tree no longer holds anything it came from.
   */
  safeExportSecret(componentId: number): Uint8Array {
    if (!Number.isInteger(componentId) || componentId < 0 || componentId > 0xffff) {
      throw new TalosError('MLS_INVALID_COMPONENT_ID', `ComponentID ${componentId} is not a uint16`)
    }
    const staged = this.nodes.stageLeaf(componentId)
    if (staged === undefined) {
      throw new TalosError('MLS_EXPORT_CONSUMED', `the secret of component ${componentId} was already exported in this epoch`)
    }
    staged.apply()
    return staged.leafSecret
  }

  /** Whether componentId's secret can still be exported this epoch. */
  canExport(componentId: number): boolean {
    return Number.isInteger(componentId) && componentId >= 0 && componentId <= 0xffff && this.nodes.hasLeaf(componentId)
  }

  clone(): ExporterTree {
    return new ExporterTree(this.suite, this.nodes.clone())
  }

  zeroize(): void {
    this.nodes.zeroize()
  }

  serialize(): Uint8Array {
    const w = new Writer(256)
    w.u8(FORMAT)
    w.u16(this.suite.id)
    w.list(this.nodes.entries(), (v, [x, s]) => {
      v.u32(x)
      v.opaque(s)
    })
    return w.finish()
  }

  static deserialize(suite: CipherSuite, bytes: Uint8Array): ExporterTree {
    const invalid = (msg: string) => new TalosError('MLS_INVALID_TREE_STATE', msg)
    try {
      const r = new Reader(bytes)
      const format = r.u8()
      if (format !== FORMAT) throw invalid(`unknown exporter tree format ${format}`)
      const suiteId = r.u16()
      if (suiteId !== suite.id) throw invalid(`state is for cipher suite ${suiteId}, not ${suite.id}`)
      const nodes = new Map<number, Uint8Array>()
      let prev = -1
      r.list((v) => {
        const x = v.u32()
        if (x <= prev) throw invalid('frontier nodes are not strictly ascending')
        prev = x
        nodes.set(x, v.opaque())
        return x
      })
      r.assertDone('exporter tree state')
      return new ExporterTree(suite, LazyTreeSecrets.fromFrontier(suite, EXPORTER_TREE_LEAVES, nodes))
    } catch (e) {
      if (e instanceof TalosError) throw e
      throw new TalosError('DECODE_INVALID', `exporter tree state: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
  }
}
