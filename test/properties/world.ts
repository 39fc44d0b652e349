/**
 * The uniform face every protocol shows the FS, PCS and confidentiality
 * simulations: members send, the wire is recorded, a member's whole state can
 * be snapshotted, and `reads(snapshot, record)` runs the attacker.
 *
 * The attacker holding snapshot(X) taken at wire position p:
 *   - for a record before p (forward secrecy): a fresh clone built from the
 *     snapshot tries to open it, and, where the world has one, a key scan tries
 *     every secret-looking value of the snapshot bytes in every role a key can play;
 *   - for a record at or after p (post-compromise): one clone is fed every record
 *     after p that X would have received, in wire order (commits, rekeys,
 *     distributions, messages; failures ignored), as a passive attacker who sees
 *     all traffic keeps its copy up to date; the record is exposed if that clone
 *     (or a key scan of its state, for X's own outgoing messages) yields its plaintext.
 */

export interface Rec {
  readonly index: number
  /** 'app': a group message with a plaintext; 'control': a rekey, distribution, commit, join... */
  readonly kind: 'app' | 'control'
  readonly from: string
  /** Recipient member, or 'all' for a broadcast. */
  readonly to: string
  readonly bytes: Uint8Array
  readonly text?: string
  /** Protocol-specific extras (e.g. the coordinator's per-recipient deliveries). */
  readonly extra?: unknown
}

export interface Snap {
  readonly member: string
  /** Wire position when taken. */
  readonly pos: number
  readonly data: unknown
}

export interface World {
  readonly members: string[]
  readonly wire: Rec[]
  /** `from` sends `text` to the group; every other current member receives it. */
  send(from: string, text: string): Promise<Rec>
  snapshot(member: string): Promise<Snap>
  /** Whether the attacker holding `snap` (and every wire record) obtains r's plaintext. */
  reads(snap: Snap, r: Rec): Promise<boolean>
  /** The member's own in-epoch rekey, if the protocol has one (description of what was done). */
  rekey?(member: string): Promise<string>
  /** The member commits (new epoch), if the protocol has commits. */
  commit?(member: string): Promise<string>
  /** `by` removes `member`; afterwards `member` is no longer in `members`. */
  remove?(member: string, by: string): Promise<string>
  /** The key scan alone (no clone): whether some value of the snapshot bytes opens r. */
  scanReads(snap: Snap, r: Rec): Promise<boolean>
  /** The bytes of r that reach `member` (the coordinator's delivery; elsewhere r itself). */
  bytesFor(r: Rec, member: string): Uint8Array
  /** A clone from `snap` processes `bytes` as if delivered to its member: who sent what, or undefined if refused. */
  tryReceive(snap: Snap, bytes: Uint8Array): Promise<{ sender: string; text: string } | undefined>
  /** Bytes for member `to`, made by member `by` with everything it holds, that claim to come from `victim`. */
  forgeAs?(by: string, victim: string, text: string, to: string): Promise<Uint8Array>
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
export const eqBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Runs fn, returning undefined when it throws (an attacker's failed attempt). */
export async function attempt<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn()
  } catch {
    return undefined
  }
}
