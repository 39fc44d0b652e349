/**
 * Byte-type glue for @hpke/core's interfaces, which take
 * ArrayBufferLike | ArrayBufferView and return ArrayBuffer.
 */

/** A Uint8Array view of the input, without copying. */
export function u8(x: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (x instanceof Uint8Array) return x
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  return new Uint8Array(x)
}

/** The bytes as an ArrayBuffer of exactly their length (copied only if `b` is a partial view). */
export function ab(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer
  // Not b.slice(): on a Node Buffer that is a view whose .buffer is the shared pool.
  return new Uint8Array(b).buffer
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}
