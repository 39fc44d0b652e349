/**
 * TLS presentation language (RFC 8446 §3) as profiled by RFC 9420 §2.1:
 * fixed-width big-endian integers, and variable-length vectors whose length
 * prefix is the QUIC-style varint of RFC 9420 §2.1.2 (1, 2 or 4 bytes; the
 * 0b11 prefix is invalid; the encoding must be minimal).
 *
 * The Reader never allocates from a length field before checking that the
 * input actually holds that many bytes, and raises only TalosError (DECODE_*)
 * on hostile input. The Writer grows one buffer and shifts the body once to
 * insert a vector's length prefix, so nested vectors are not re-encoded. It
 * refuses (DECODE_INVALID_VALUE) an integer that does not fit its field rather
 * than silently truncating it: a wrapped epoch or index would still encode,
 * and then hash or sign something other than what the caller meant.
 */
import { TalosError } from '../errors.js'

/** Largest length a varint can carry (RFC 9420 §2.1.2): 2^30 - 1. */
export const MAX_VARINT = 0x3fffffff

const MAX_U64 = 0xffffffffffffffffn

function badInt(v: number | bigint, width: string): never {
  throw new TalosError('DECODE_INVALID_VALUE', `${String(v)} does not fit a ${width}`)
}

export class Writer {
  private buf: Uint8Array
  private view: DataView
  private pos = 0

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity)
    this.view = new DataView(this.buf.buffer)
  }

  get length(): number {
    return this.pos
  }

  private ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.buf.length) return
    // At least 64 so that a zero-capacity writer still grows.
    let cap = Math.max(this.buf.length * 2, 64)
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) badInt(v, 'uint8')
    this.ensure(1)
    this.buf[this.pos++] = v & 0xff
    return this
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) badInt(v, 'uint16')
    this.ensure(2)
    this.view.setUint16(this.pos, v)
    this.pos += 2
    return this
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) badInt(v, 'uint32')
    this.ensure(4)
    this.view.setUint32(this.pos, v)
    this.pos += 4
    return this
  }

  u64(v: bigint | number): this {
    if (typeof v === 'number' ? !Number.isSafeInteger(v) || v < 0 : typeof v !== 'bigint' || v < 0n || v > MAX_U64) {
      badInt(v, 'uint64')
    }
    this.ensure(8)
    this.view.setBigUint64(this.pos, BigInt(v))
    this.pos += 8
    return this
  }

  /** RFC 9420 §2.1.2 variable-length integer, minimal encoding. */
  varint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > MAX_VARINT) {
      throw new TalosError('DECODE_VARINT_TOO_LARGE', `length ${v} does not fit an MLS varint`)
    }
    if (v < 0x40) return this.u8(v)
    if (v < 0x4000) return this.u16(v | 0x4000)
    return this.u32((v | 0x80000000) >>> 0)
  }

  /** Raw bytes, no length prefix. */
  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** opaque<V>: varint length, then the bytes. */
  opaque(b: Uint8Array): this {
    this.varint(b.length)
    return this.bytes(b)
  }

  /**
   * A variable-length vector whose body is written by `body`. The body is
   * written in place, then shifted right by the size of the length prefix.
   */
  vector(body: (w: this) => void): this {
    const start = this.pos
    body(this)
    const len = this.pos - start
    const prefix = varintSize(len)
    if (len > MAX_VARINT) throw new TalosError('DECODE_VARINT_TOO_LARGE', `vector of ${len} bytes is too long`)
    this.ensure(prefix)
    this.buf.copyWithin(start + prefix, start, this.pos)
    this.pos = start
    this.varint(len)
    this.pos = start + prefix + len
    return this
  }

  /** vector<T> of items written by `enc`. */
  list<T>(items: readonly T[], enc: (w: Writer, item: T) => void): this {
    return this.vector((w) => {
      for (const item of items) enc(w, item)
    })
  }

  /** optional<T>: a presence octet, then the value if present. */
  optional<T>(v: T | undefined | null, enc: (w: Writer, item: T) => void): this {
    if (v === undefined || v === null) return this.u8(0)
    this.u8(1)
    enc(this, v)
    return this
  }

  /**
   * Bytes [start, end) of what was written, as a view of the writer's buffer
   * (no copy): for a caller that sized the writer generously and hands out
   * windows of it. Later writes may move to a new buffer (the view keeps the
   * old one, whose bytes stay as they were); vector() shifts its body once it
   * is written, so take views outside vector bodies.
   */
  written(start: number, end: number): Uint8Array {
    if (!(0 <= start && start <= end && end <= this.pos)) throw new TalosError('DECODE_INVALID_VALUE', `Writer.written [${start}, ${end}) outside [0, ${this.pos})`)
    return this.buf.subarray(start, end)
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    // An exactly sized writer hands over its buffer instead of copying it (a
    // 2 MB ratchet_tree was copied once more per encoding). Safe to keep
    // writing afterwards: the next write finds the buffer full and moves on.
    if (this.pos === this.buf.length) return this.buf
    return this.buf.slice(0, this.pos)
  }
}

export class Reader {
  private readonly view: DataView
  private pos: number
  private readonly end: number

  private readonly buf: Uint8Array

  /** `view`: a DataView over exactly `buf` (a sub-reader shares its parent's instead of allocating one per vector). */
  constructor(buf: Uint8Array, start = 0, end = buf.length, view?: DataView) {
    // Every value read out is a copy made with Uint8Array.prototype.slice. A
    // Node Buffer (readFileSync, sockets) overrides slice to return a view, so
    // decoded secrets would alias the caller's bytes, and zeroing them once
    // consumed would corrupt the caller's record: read through a plain view.
    this.buf = Object.getPrototypeOf(buf) === Uint8Array.prototype ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
    this.end = end
  }

  get offset(): number {
    return this.pos
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number, what: string): void {
    // Written so that a negative or NaN count (a caller bug) also fails.
    if (!(n >= 0 && n <= this.end - this.pos)) {
      throw new TalosError(
        'DECODE_TRUNCATED',
        `${what}: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`,
      )
    }
  }

  u8(): number {
    this.need(1, 'uint8')
    return this.buf[this.pos++]!
  }

  u16(): number {
    this.need(2, 'uint16')
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }

  u32(): number {
    this.need(4, 'uint32')
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }

  u64(): bigint {
    this.need(8, 'uint64')
    const v = this.view.getBigUint64(this.pos)
    this.pos += 8
    return v
  }

  /** RFC 9420 §2.1.2: rejects the 0b11 prefix and non-minimal encodings. */
  varint(): number {
    this.need(1, 'varint')
    const first = this.buf[this.pos]!
    const prefix = first >> 6
    if (prefix === 3) throw new TalosError('DECODE_INVALID_VARINT', `varint prefix 0b11 at offset ${this.pos}`)
    const size = 1 << prefix
    this.need(size, 'varint')
    let v = first & 0x3f
    for (let i = 1; i < size; i++) v = v * 256 + this.buf[this.pos + i]!
    if (prefix === 1 && v < 0x40) throw this.nonMinimal(v)
    if (prefix === 2 && v < 0x4000) throw this.nonMinimal(v)
    this.pos += size
    return v
  }

  private nonMinimal(v: number): TalosError {
    return new TalosError('DECODE_NON_MINIMAL_VARINT', `varint ${v} at offset ${this.pos} is not minimally encoded`)
  }

  /** n raw bytes (a copy: decoded values never alias the input). */
  bytes(n: number): Uint8Array {
    this.need(n, 'bytes')
    const out = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** opaque<V>. */
  opaque(): Uint8Array {
    const len = this.varint()
    this.need(len, 'opaque body')
    return this.bytes(len)
  }

  /**
   * A vector whose body is read by `body` from a sub-reader bounded to exactly
   * the declared length; the body must consume all of it.
   */
  vector<T>(body: (r: Reader) => T): T {
    const len = this.varint()
    this.need(len, 'vector body')
    const sub = new Reader(this.buf, this.pos, this.pos + len, this.view)
    const v = body(sub)
    if (sub.remaining !== 0) {
      throw new TalosError('DECODE_LENGTH_MISMATCH', `vector body left ${sub.remaining} bytes unread`)
    }
    this.pos += len
    return v
  }

  /** vector<T>: items read by `dec` until the declared length is used up. */
  list<T>(dec: (r: Reader) => T): T[] {
    return this.vector((sub) => {
      const out: T[] = []
      while (sub.remaining > 0) out.push(dec(sub))
      return out
    })
  }

  /** optional<T>: presence octet must be 0 or 1. */
  optional<T>(dec: (r: Reader) => T): T | undefined {
    const present = this.u8()
    if (present === 0) return undefined
    if (present !== 1) throw new TalosError('DECODE_INVALID_OPTIONAL', `optional presence byte ${present}`)
    return dec(this)
  }

  /** Reads a uint8/uint16 enum value and checks it is one of `allowed`. */
  enumValue(width: 1 | 2, allowed: ReadonlySet<number>, what: string): number {
    const v = width === 1 ? this.u8() : this.u16()
    if (!allowed.has(v)) throw new TalosError('DECODE_INVALID_VALUE', `${what}: unknown value ${v}`)
    return v
  }

  /** The raw bytes between `from` and the current position (a copy). */
  sliceFrom(from: number): Uint8Array {
    return this.buf.slice(from, this.pos)
  }

  /** Throws unless every byte has been consumed. */
  assertDone(what = 'message'): void {
    if (this.pos !== this.end) {
      throw new TalosError('DECODE_TRAILING_BYTES', `${what}: ${this.end - this.pos} trailing bytes`)
    }
  }
}

/** Encoder/decoder pair for one TLS-encoded type. */
export interface Codec<T> {
  encode(w: Writer, v: T): void
  decode(r: Reader): T
}

export type CodecType<C> = C extends Codec<infer T> ? T : never

export const uint8: Codec<number> = { encode: (w, v) => w.u8(v), decode: (r) => r.u8() }
export const uint16: Codec<number> = { encode: (w, v) => w.u16(v), decode: (r) => r.u16() }
export const uint32: Codec<number> = { encode: (w, v) => w.u32(v), decode: (r) => r.u32() }
export const uint64: Codec<bigint> = { encode: (w, v) => w.u64(v), decode: (r) => r.u64() }
export const opaque: Codec<Uint8Array> = { encode: (w, v) => w.opaque(v), decode: (r) => r.opaque() }

/** vector<T> with a varint length prefix. */
export function vec<T>(item: Codec<T>): Codec<T[]> {
  return {
    encode: (w, v) => w.list(v, item.encode),
    decode: (r) => r.list(item.decode),
  }
}

/** optional<T>. */
export function optional<T>(item: Codec<T>): Codec<T | undefined> {
  return {
    encode: (w, v) => w.optional(v, item.encode),
    decode: (r) => r.optional(item.decode),
  }
}

/** fixed-length opaque[n]. */
export function fixed(n: number): Codec<Uint8Array> {
  return {
    encode: (w, v) => {
      if (v.length !== n) throw new TalosError('DECODE_INVALID_VALUE', `expected ${n} bytes, got ${v.length}`)
      w.bytes(v)
    },
    decode: (r) => r.bytes(n),
  }
}

/**
 * A struct whose fields are encoded in declaration order:
 *   const Foo = struct({ version: uint16, data: opaque })
 */
export function struct<S extends Record<string, Codec<any>>>(fields: S): Codec<{ [K in keyof S]: CodecType<S[K]> }> {
  const entries = Object.entries(fields)
  return {
    encode: (w, v) => {
      for (const [k, c] of entries) c.encode(w, (v as Record<string, unknown>)[k])
    },
    decode: (r) => {
      const out: Record<string, unknown> = {}
      for (const [k, c] of entries) out[k] = c.decode(r)
      return out as { [K in keyof S]: CodecType<S[K]> }
    },
  }
}

/** Encodes one value to fresh bytes. */
export function encode<T>(codec: Codec<T>, v: T): Uint8Array {
  const w = new Writer()
  codec.encode(w, v)
  return w.finish()
}

/**
 * Decodes a whole message: trailing bytes are an error. Anything a decoder
 * throws that is not a TalosError (a bug) is still surfaced as DECODE_INVALID.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, what = 'message'): T {
  try {
    const r = new Reader(bytes)
    const v = codec.decode(r)
    r.assertDone(what)
    return v
  } catch (e) {
    if (e instanceof TalosError) throw e
    throw new TalosError('DECODE_INVALID', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

/** Size in bytes of the RFC 9420 §2.1.2 varint prefix for length `n`. */
export function varintSize(n: number): number {
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4
}
