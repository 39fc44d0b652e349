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

export class CowArray<T, U = never> {
  private chunks: T[][]
  /** owned[c] = 1 when this instance may write chunk c in place. */
  private owned: number[]
  private len: number
  private readonly blank: T
  /** A chunk of blanks, copied for each new chunk. */
  private readonly blankChunk: readonly T[]
  /** derive(chunk) by chunk array, shared by the clones (see the header). */
  private readonly memo: WeakMap<readonly T[], U> | undefined
  private readonly derive: ((slots: readonly T[], count: number) => U) | undefined

  /** `derive`: a pure function of slots[0 .. count) whose results derived() returns (memoised for whole chunks). */
  constructor(length: number, blank: T, derive?: (slots: readonly T[], count: number) => U) {
    this.blank = blank
    const chunk: T[] = []
    for (let j = 0; j < CHUNK; j++) chunk.push(blank)
    this.blankChunk = chunk
    this.derive = derive
    this.memo = derive === undefined ? undefined : new WeakMap()
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
    } else if (this.memo !== undefined) {
      this.memo.delete(this.chunks[c]!) // written in place: its memo no longer matches
    }
    this.chunks[c]![i & MASK] = v
  }

  clone(): CowArray<T, U> {
    // Fields in declaration order (the order class fields are defined in), so both shapes share one hidden class.
    const c = Object.assign(Object.create(CowArray.prototype) as CowArray<T, U>, {
      chunks: this.chunks.slice(),
      owned: this.owned.map(() => 0),
      len: this.len,
      blank: this.blank,
      blankChunk: this.blankChunk,
      memo: this.memo,
      derive: this.derive,
    })
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
        this.chunks.push(this.blankChunk.slice())
        this.owned.push(1)
      } else {
        this.set(i, this.blank) // the tail of a chunk kept by an earlier shrink may hold stale values
      }
    }
    this.len = length
  }

  /**
   * derive() over slots [0, end) chunk by chunk, in order: one result per
   * chunk, the last one over the chunk's first (end mod CHUNK) slots when
   * end is not a chunk boundary (that partial one is not memoised).
   */
  derived(end: number): U[] {
    const derive = this.derive!
    const memo = this.memo!
    const out: U[] = []
    const whole = end >> BITS
    for (let c = 0; c < whole; c++) {
      const chunk = this.chunks[c]!
      let v = memo.get(chunk)
      if (v === undefined) {
        v = derive(chunk, CHUNK)
        memo.set(chunk, v)
      }
      out.push(v)
    }
    if ((end & MASK) !== 0) out.push(derive(this.chunks[whole]!, end & MASK))
    return out
  }

  /** A plain array of slots [0, end). */
  toArray(end = this.len): T[] {
    const out: T[] = []
    for (let i = 0; i < end; i++) out.push(this.get(i))
    return out
  }
}
