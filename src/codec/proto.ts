/**
 * Protobuf glue (ARCHITECTURE.md "Encoding rule"; wire format:
 * https://protobuf.dev/programming-guides/encoding/).
 *
 * Every Talos-defined wire message is a proto3 schema in proto/, compiled by
 * scripts/gen-proto.mjs into a TypeScript module under src/proto/ that
 * exports, per message, an interface and a `MessageType` value of the same
 * name. Callers use only this file:
 *
 *   const bytes = encodeProto(Envelope, Envelope.create({ protocol: Protocol.MLS, payload }))
 *   const env = decodeProto(Envelope, bytes, { maxBytes: 1 << 16 })
 *
 * The generated code uses protobufjs' minimal Reader/Writer for the wire
 * primitives and ./proto-runtime.ts for everything that must be strict.
 *
 * Decoding guarantees: input larger than `maxBytes` is refused before parsing;
 * every read is bounded by the enclosing length (nested messages narrow the
 * reader's limit, so a field can never read into its parent); nesting depth
 * is bounded; bytes fields are copies, never views of the input; strings must
 * be valid UTF-8; enum values must be known (closed enums: a value we do not
 * know cannot be acted on safely); groups (wire types 3/4) and field number 0
 * are rejected. Whatever goes wrong surfaces as TalosError `DECODE_PROTOBUF`.
 *
 * Protobuf encoding is not canonical: never hash, sign or MAC protobuf bytes
 * expecting a peer to reproduce them (use the TLS codec for that).
 */
import $pb from 'protobufjs/minimal.js'
import { TalosError } from '../errors.js'

export type ProtoReader = $pb.Reader
export type ProtoWriter = $pb.Writer

/** What scripts/gen-proto.mjs emits for every message (a value beside the interface of the same name). */
export interface MessageType<T> {
  /** Fully qualified protobuf name, e.g. `talos.v1.Envelope`. */
  readonly typeName: string
  /** A message with proto3 defaults, overridden by `init`. */
  create(init?: Partial<T>): T
  /** Writes the fields of `message` (no outer length prefix). Throws DECODE_INVALID_VALUE on ill-typed values. */
  encodeTo(message: T, w: ProtoWriter): void
  /** Reads fields until `r.len`; `depth` is how many more nested messages may be entered. */
  decodeFrom(r: ProtoReader, depth: number): T
}

export interface DecodeOptions {
  /** Refuse inputs longer than this (default DEFAULT_MAX_PROTO_BYTES). */
  maxBytes?: number
  /** Maximum message nesting depth (default DEFAULT_MAX_PROTO_DEPTH). */
  maxDepth?: number
}

/** 1 MiB: generous for envelopes and ratchet messages; callers carrying large MLS payloads pass their own bound. */
export const DEFAULT_MAX_PROTO_BYTES = 1 << 20
/** Talos schemas nest a few levels; 32 leaves room and keeps the stack shallow. */
export const DEFAULT_MAX_PROTO_DEPTH = 32

/**
 * Decodes one message from `bytes` (the whole input must be the message).
 * Hostile input only ever raises TalosError `DECODE_PROTOBUF`.
 */
export function decodeProto<T>(type: MessageType<T>, bytes: Uint8Array, options: DecodeOptions = {}): T {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PROTO_BYTES
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_PROTO_DEPTH
  if (!(bytes instanceof Uint8Array)) {
    throw new TalosError('DECODE_PROTOBUF', `${type.typeName}: input is not a Uint8Array`)
  }
  if (bytes.length > maxBytes) {
    throw new TalosError('DECODE_PROTOBUF', `${type.typeName}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`)
  }
  try {
    // Always the plain Reader (not BufferReader): our helpers copy explicitly.
    return type.decodeFrom(new $pb.Reader(bytes), maxDepth)
  } catch (e) {
    if (e instanceof TalosError) throw e
    // protobufjs raises RangeError ("index out of range") or Error ("invalid ...").
    throw new TalosError('DECODE_PROTOBUF', `${type.typeName}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    })
  }
}

/**
 * Encodes one message to fresh bytes. Ill-typed values (out-of-range
 * integers, a number where a bigint belongs, lone surrogates, undeclared enum
 * values, a missing array...) raise TalosError `DECODE_INVALID_VALUE` instead
 * of being silently truncated the way protobufjs' writer would.
 */
export function encodeProto<T>(type: MessageType<T>, message: T): Uint8Array {
  const w = new $pb.Writer()
  try {
    type.encodeTo(message, w)
  } catch (e) {
    if (e instanceof TalosError) throw e
    throw new TalosError('DECODE_INVALID_VALUE', `${type.typeName}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    })
  }
  return w.finish()
}
