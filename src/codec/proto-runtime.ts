/**
 * The runtime that scripts/gen-proto.mjs output calls (`$rt.*`); not for
 * hand-written code, which uses decodeProto/encodeProto from ./proto.ts.
 * Protobuf wire format: https://protobuf.dev/programming-guides/encoding/.
 *
 * Readers: tags and lengths through protobufjs' strict tag()/size(); every
 * length checked against what is left of the enclosing message, whose end
 * becomes the reader's limit while it is read (enter/leave), so no field can
 * read into its parent; a depth budget for nested messages; bytes copied;
 * strings valid UTF-8; closed enums; unknown fields skipped, groups refused.
 * All of it raises TalosError DECODE_PROTOBUF.
 *
 * Writers: each value is checked against its protobuf type before it is
 * written (TalosError DECODE_INVALID_VALUE), because protobufjs' Writer would
 * silently truncate an out-of-range number.
 */
import { TalosError } from '../errors.js'
import type { MessageType, ProtoReader, ProtoWriter } from './proto.js'

export type { MessageType, ProtoReader, ProtoWriter } from './proto.js'

export function fail(message: string): never {
  throw new TalosError('DECODE_PROTOBUF', message)
}

function invalid(name: string, what: string): never {
  throw new TalosError('DECODE_INVALID_VALUE', `${name}: ${what}`)
}

const WIRE_NAMES = ['varint', 'i64', 'len', 'group start', 'group end', 'i32', 'wire type 6', 'wire type 7']

/** Reads a field tag; protobufjs' tag() refuses tags over 5 bytes or 32 bits, we refuse field number 0. */
export function readTag(r: ProtoReader): number {
  const tag = r.tag()
  if (tag >>> 3 === 0) fail(`field number 0 at offset ${r.pos}`)
  return tag
}

/** A known field arrived with the wrong wire type: refuse rather than misparse. */
export function wire(tag: number, expected: number, name: string): void {
  if ((tag & 7) !== expected) fail(`${name}: wire type ${WIRE_NAMES[tag & 7]}, expected ${WIRE_NAMES[expected]}`)
}

/** Skips an unknown field (forward compatibility). Groups are not proto3 and are refused. */
export function skipField(r: ProtoReader, tag: number): void {
  switch (tag & 7) {
    case 0:
      for (let i = 0; ; i++) {
        if (i === 10) fail(`varint longer than 10 bytes at offset ${r.pos}`)
        if (r.pos >= r.len) fail('truncated varint')
        if (r.buf[r.pos++]! < 0x80) return
      }
    case 1:
      return skipBytes(r, 8)
    case 2:
      return skipBytes(r, readLength(r))
    case 5:
      return skipBytes(r, 4)
    default:
      fail(`field ${tag >>> 3}: unsupported wire type ${WIRE_NAMES[tag & 7]}`)
  }
}

function skipBytes(r: ProtoReader, n: number): void {
  if (n > r.len - r.pos) fail(`truncated: need ${n} bytes at offset ${r.pos}, ${r.len - r.pos} left`)
  r.pos += n
}

/** A length prefix (protobufjs' size() refuses over-long or >= 2^31 ones), checked against what is left. */
export function readLength(r: ProtoReader): number {
  const n = r.size()
  if (n > r.len - r.pos) fail(`length ${n} at offset ${r.pos} exceeds the ${r.len - r.pos} bytes left`)
  return n
}

/**
 * Narrows the reader to a length-delimited region and returns the outer
 * limit, to be restored with `leave` once the region is fully read.
 */
export function enter(r: ProtoReader): number {
  const n = readLength(r)
  const outer = r.len
  r.len = r.pos + n
  return outer
}

export function leave(r: ProtoReader, outer: number): void {
  if (r.pos !== r.len) fail(`length-delimited field not fully consumed at offset ${r.pos}`)
  r.len = outer
}

/** A nested message: bounded by its length prefix and by the depth budget. */
export function readMessage<T>(r: ProtoReader, type: MessageType<T>, depth: number): T {
  if (depth <= 0) fail(`${type.typeName}: nesting too deep`)
  const outer = enter(r)
  const v = type.decodeFrom(r, depth - 1)
  leave(r, outer)
  return v
}

/**
 * The default of every bytes field: one frozen zero-length array, because
 * allocating `new Uint8Array(0)` costs V8 more than a 1 KiB copy does.
 * Zero-length and frozen, it cannot be written through.
 */
export const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0))

/** bytes: a copy, so decoded messages never alias (or pin) the input buffer. */
export function readBytes(r: ProtoReader): Uint8Array {
  const n = readLength(r)
  if (n === 0) return EMPTY_BYTES
  const out = new Uint8Array(n)
  out.set(r.buf.subarray(r.pos, r.pos + n))
  r.pos += n
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** string: proto3 requires valid UTF-8; malformed input is refused, not repaired. */
export function readString(r: ProtoReader): string {
  const n = readLength(r)
  const s = n <= ASCII_FAST_MAX ? ascii(r.buf, r.pos, r.pos + n) : undefined
  const out = s ?? wrapUtf8(r.buf.subarray(r.pos, r.pos + n))
  r.pos += n
  return out
}

// Short ASCII strings (DIDs, labels) skip TextDecoder, whose per-call cost dominates at this size.
const ASCII_FAST_MAX = 64

function ascii(buf: Uint8Array, start: number, end: number): string | undefined {
  let s = ''
  for (let i = start; i < end; i++) {
    const c = buf[i]!
    if (c >= 0x80) return undefined
    s += String.fromCharCode(c)
  }
  return s
}

function wrapUtf8(b: Uint8Array): string {
  try {
    return utf8.decode(b)
  } catch {
    return fail('string field is not valid UTF-8')
  }
}

/** Closed enum: only values declared in the schema are accepted. */
export function readEnum<E extends number>(r: ProtoReader, values: ReadonlySet<number>, name: string): E {
  const v = r.int32()
  if (!values.has(v)) fail(`${name}: unknown enum value ${v}`)
  return v as E
}

/** The declared values of a TypeScript numeric enum (generated enums only). */
export function enumValues(e: Record<string, string | number>): ReadonlySet<number> {
  return new Set(Object.values(e).filter((v): v is number => typeof v === 'number'))
}

/** Unsigned 64-bit varint; two 32-bit halves, one BigInt at the end. */
export function readUint64(r: ProtoReader): bigint {
  let lo = 0
  let hi = 0
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) fail('truncated varint')
    const b = r.buf[r.pos++]!
    const bits = b & 0x7f
    if (i < 4) lo |= bits << (7 * i)
    else if (i === 4) {
      lo |= bits << 28
      hi |= bits >>> 4
    } else hi |= bits << (7 * i - 32)
    if (b < 0x80) return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
  }
  return fail(`varint longer than 10 bytes at offset ${r.pos}`)
}

export function readInt64(r: ProtoReader): bigint {
  return BigInt.asIntN(64, readUint64(r))
}

export function readSint64(r: ProtoReader): bigint {
  const u = readUint64(r)
  return (u >> 1n) ^ -(u & 1n)
}

export function readFixed64(r: ProtoReader): bigint {
  const lo = r.fixed32()
  const hi = r.fixed32()
  return (BigInt(hi) << 32n) | BigInt(lo)
}

export function readSfixed64(r: ProtoReader): bigint {
  return BigInt.asIntN(64, readFixed64(r))
}

// --- writing ---------------------------------------------------------------

const U64_MAX = (1n << 64n) - 1n
const I64_MIN = -(1n << 63n)
const I64_MAX = (1n << 63n) - 1n

/** protobufjs' Writer takes 64-bit values as {low, high} (LongBits.from). */
function halves(v: bigint): number {
  const u = BigInt.asUintN(64, v)
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 } as unknown as number
}

export function writeVarint64(w: ProtoWriter, v: bigint): void {
  w.uint64(halves(v))
}

export function writeSint64(w: ProtoWriter, v: bigint): void {
  w.uint64(halves((v << 1n) ^ (v >> 63n)))
}

export function writeFixed64(w: ProtoWriter, v: bigint): void {
  w.fixed64(halves(v))
}

export function i32(v: number, name: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) invalid(name, `${String(v)} is not an int32`)
  return v
}

export function u32(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) invalid(name, `${String(v)} is not a uint32`)
  return v
}

export function num(v: number, name: string): number {
  if (typeof v !== 'number') invalid(name, 'not a number')
  return v
}

export function i64(v: bigint, name: string): bigint {
  if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) invalid(name, `${String(v)} is not an int64 bigint`)
  return v
}

export function u64(v: bigint, name: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) invalid(name, `${String(v)} is not a uint64 bigint`)
  return v
}

export function bool(v: boolean, name: string): boolean {
  if (typeof v !== 'boolean') invalid(name, 'not a boolean')
  return v
}

export function bytes(v: Uint8Array, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(name, 'not a Uint8Array')
  return v
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Lone surrogates would encode to invalid UTF-8 that our own decoder refuses. */
export function str(v: string, name: string): string {
  if (typeof v !== 'string') invalid(name, 'not a string')
  if (LONE_SURROGATE.test(v)) invalid(name, 'string is not well-formed UTF-16')
  return v
}

export function enumValue(v: number, values: ReadonlySet<number>, name: string): number {
  if (!values.has(v)) invalid(name, `${String(v)} is not a declared enum value`)
  return v
}

/** A oneof holding a case the schema does not declare. */
export function badCase(name: string, c: unknown): never {
  return invalid(name, `unknown oneof case ${String(c)}`)
}
