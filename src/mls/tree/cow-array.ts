/**
 * A fixed-chunk copy-on-write array: the storage behind RatchetTree, so that
 * staging a commit does not copy O(n) slots.
 *
 * Why: a tree of 10,000 members has 32,767 node slots; a flat array of that
 * size lives in V8's large-object space, and copying three of them for every
 * staged commit cost ~0.5 ms, more than the commit's own hashing. Here the
 * slots sit in chunks of CHUNK entries; clone() copies only the chunk table
 * (n / CHUNK pointers) and both copies lose write ownership, so the first
 * write to a chunk afterwards copies that chunk alone. A commit writes
 * O(log n) slots, hence O(log n) chunk copies of CHUNK entries each.
 */

const BITS = 8
const CHUNK = 1 << BITS
const MASK = CHUNK - 1

export class CowArray<T> {
  private chunks: T[][]
  /** owned[c] = 1 when this instance may write chunk c in place. */
  private owned: number[]
  private len: number
  private readonly blank: T

  constructor(length: number, blank: T) {
    this.blank = blank
    this.chunks = []
    this.owned = []
    this.len = 0
    this.resize(length)
  }

  get length(): number {
    return this.len
  }

  /** The value at i (callers keep i < length). */
  get(i: number): T {
    return this.chunks[i >> BITS]![i & MASK]!
  }

  set(i: number, v: T): void {
    const c = i >> BITS
    if (this.owned[c] === 0) {
      this.chunks[c] = this.chunks[c]!.slice()
      this.owned[c] = 1
    }
    this.chunks[c]![i & MASK] = v
  }

  clone(): CowArray<T> {
    const c = Object.create(CowArray.prototype) as CowArray<T>
    ;(c as unknown as { blank: T }).blank = this.blank
    c.chunks = this.chunks.slice()
    c.owned = this.owned.map(() => 0)
    c.len = this.len
    this.owned.fill(0)
    return c
  }

  /** Grows with blank slots or shrinks (dropped slots are forgotten). */
  resize(length: number): void {
    if (length < this.len) {
      const keep = (length + MASK) >> BITS
      this.chunks.length = keep
      this.owned.length = keep
      this.len = length
      return
    }
    for (let i = this.len; i < length; i++) {
      if ((i & MASK) === 0 && i >> BITS === this.chunks.length) {
        const chunk: T[] = []
        for (let j = 0; j < CHUNK; j++) chunk.push(this.blank)
        this.chunks.push(chunk)
        this.owned.push(1)
      } else {
        this.set(i, this.blank) // the tail of a chunk kept by an earlier shrink may hold stale values
      }
    }
    this.len = length
  }

  /** A plain array of slots [0, end). */
  toArray(end = this.len): T[] {
    const out: T[] = []
    for (let i = 0; i < end; i++) out.push(this.get(i))
    return out
  }
}
