/**
 * Length-prefixed frames over a byte stream: a 4-byte big-endian length, then
 * the body. The decoder refuses a length of 0 or above its bound before
 * buffering the body, so a hostile peer cannot make it allocate more than
 * `maxFrameBytes` (plus one read chunk) per connection.
 */
import { TalosError } from '../../errors.js'

export const FRAME_HEADER_BYTES = 4

export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, FRAME_HEADER_BYTES)
  return out
}

export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Body length of the frame being read, once its header is in. */
  private need = -1

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns every frame body now complete. Throws DELIVERY_MALFORMED_FRAME. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break
        const header = this.take(FRAME_HEADER_BYTES)
        const len = new DataView(header.buffer, header.byteOffset, 4).getUint32(0)
        if (len === 0 || len > this.maxFrameBytes) {
          throw new TalosError('DELIVERY_MALFORMED_FRAME', `frame length ${len} outside 1..${this.maxFrameBytes}`)
        }
        this.need = len
      }
      if (this.buffered < this.need) break
      frames.push(this.take(this.need))
      this.need = -1
    }
    return frames
  }

  /** Removes and returns the first n buffered bytes (n <= buffered). */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const head = this.chunks[0]!
      const k = Math.min(head.length, n - filled)
      out.set(head.subarray(0, k), filled)
      filled += k
      if (k === head.length) this.chunks.shift()
      else this.chunks[0] = head.subarray(k)
    }
    this.buffered -= n
    return out
  }
}
