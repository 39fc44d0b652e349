/**
 * Deletion audit (HYBRID.md §7, T16): after a step, no value the protocol has
 * consumed may occur anywhere in a member's serialized state. The consumed
 * set of member X is computed from the oracle and from what X processed:
 *
 *  - E_e, once X derived any chain; base[L] and every seed on the root-to-L
 *    path, once X used L's chain (a node is gone once both children exist);
 *  - for each message X encrypted or decrypted: key/nonce[k,n], and CK[k,n'] for all n' <= n;
 *  - for each rekey X sent or processed: r, prk, RK[k] and CK[k+1,0], and the
 *    whole old chain up to CK[k,pn].
 *
 * Skipped keys of messages X did not process are live and not listed.
 */
import { HybridMessageType } from '../../../src/proto/hybrid.js'
import type { WireRecord } from './group.js'
import type { Oracle } from './oracle.js'

/** What the audit reads of a group (a SimGroup is one; the real-MLS harness passes one per epoch). */
export interface AuditSource {
  /** member -> wire indices it encrypted or decrypted. */
  readonly processed: ReadonlyMap<number, ReadonlySet<number>>
  /** Every recorded message, by index (only those of `tree.epoch` are audited). */
  readonly wire: readonly Pick<WireRecord, 'epoch' | 'sender' | 'message'>[]
  readonly tree: { readonly epoch: bigint }
}

export interface ConsumedValue {
  readonly what: string
  readonly value: Uint8Array
}

export function consumedBy(g: AuditSource, o: Oracle, member: number): ConsumedValue[] {
  const out: ConsumedValue[] = []
  const seen = g.processed.get(member) ?? new Set<number>()
  if (seen.size === 0) return out
  out.push({ what: 'E_e', value: o.epochSeed })
  const senders = new Set<number>()
  const maxN = new Map<string, number>()
  for (const i of seen) {
    const w = g.wire[i]!
    if (w.epoch !== g.tree.epoch) continue
    senders.add(w.sender)
    const { step, n } = w.message
    const id = `${w.sender}:${step}`
    maxN.set(id, Math.max(maxN.get(id) ?? -1, n))
    const mk = o.messageKey(w.sender, step, n)
    out.push({ what: `key[${id},${n}]`, value: mk.key }, { what: `nonce[${id},${n}]`, value: mk.nonce })
    if (w.message.type === HybridMessageType.DATA_REKEY) {
      out.push(
        { what: `r[${id}]`, value: o.r(w.sender, step) },
        { what: `prk[${id}]`, value: o.prk(w.sender, step) },
        { what: `RK[${w.sender}:${step - 1}]`, value: o.chainStart(w.sender, step - 1).rootKey },
      )
      const prev = `${w.sender}:${step - 1}`
      maxN.set(prev, Math.max(maxN.get(prev) ?? -1, w.message.pn))
    }
  }
  for (const leaf of senders) {
    for (const x of o.path(leaf)) out.push({ what: `seed[${x}]`, value: o.seed(x) })
  }
  for (const [id, last] of maxN) {
    const [sender, step] = id.split(':').map(Number) as [number, number]
    for (let n = 0; n <= last; n++) out.push({ what: `CK[${id},${n}]`, value: o.chainKey(sender, step, n) })
  }
  return out
}

/** The consumed values found in `state` (empty = the audit passes). */
export function auditDeletion(g: AuditSource, o: Oracle, member: number, state: Uint8Array): string[] {
  const buf = Buffer.from(state.buffer, state.byteOffset, state.byteLength)
  return consumedBy(g, o, member)
    .filter((c) => buf.indexOf(Buffer.from(c.value)) >= 0)
    .map((c) => c.what)
}
