import { describe, expect, it } from 'vitest'
import { decodeProto, encodeProto } from '../../src/codec/proto.js'
import { isTalosError } from '../../src/errors.js'
import { Envelope, Protocol } from '../../src/proto/envelope.js'
import { toHex } from '../helpers/vectors.js'

describe('Envelope', () => {
  it('round trips and has the documented wire bytes', () => {
    const env = Envelope.create({
      protocol: Protocol.MLS,
      groupId: new Uint8Array([0xaa, 0xbb]),
      senderDid: 'did:talos:alice',
      payload: new Uint8Array([1, 2, 3]),
    })
    const bytes = encodeProto(Envelope, env)
    // field 1 varint 2 | field 2 len 2 | field 3 len 15 | field 4 len 3
    expect(toHex(bytes)).toBe('0802' + '1202aabb' + '1a0f' + toHex(new TextEncoder().encode('did:talos:alice')) + '2203010203')
    expect(decodeProto(Envelope, bytes)).toEqual(env)
  })

  it('defaults are omitted and decode back to defaults', () => {
    expect(encodeProto(Envelope, Envelope.create()).length).toBe(0)
    expect(decodeProto(Envelope, new Uint8Array(0))).toEqual(Envelope.create())
  })

  it('truncated input is DECODE_PROTOBUF', () => {
    const bytes = encodeProto(Envelope, Envelope.create({ protocol: Protocol.HYBRID, payload: new Uint8Array(40) }))
    // bytes = 08 03 | 22 28 <40 bytes>: cutting at 2 leaves a complete message; every later cut is inside field 4.
    expect(decodeProto(Envelope, bytes.subarray(0, 2)).protocol).toBe(Protocol.HYBRID)
    for (let i = 3; i < bytes.length; i++) {
      let err: unknown
      try {
        decodeProto(Envelope, bytes.subarray(0, i))
      } catch (e) {
        err = e
      }
      expect(isTalosError(err, 'DECODE_PROTOBUF'), `cut at ${i}`).toBe(true)
    }
  })
})
