import fc from 'fast-check'
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

const envelopeArb = fc.record({
  protocol: fc.constantFrom(
    Protocol.PROTOCOL_UNSPECIFIED,
    Protocol.SENDER_KEYS,
    Protocol.MLS,
    Protocol.HYBRID,
    Protocol.COORDINATOR,
  ),
  groupId: fc.uint8Array({ maxLength: 64 }),
  senderDid: fc.string({ unit: 'binary', maxLength: 64 }),
  payload: fc.uint8Array({ maxLength: 300 }),
})

function onlyDecodeProtobuf(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    if (!isTalosError(e, 'DECODE_PROTOBUF')) throw new Error(`expected DECODE_PROTOBUF, got ${String(e)}`)
  }
}

describe('Envelope properties', () => {
  it('encode then decode is the identity', () => {
    fc.assert(
      fc.property(envelopeArb, (env) => {
        expect(decodeProto(Envelope, encodeProto(Envelope, env))).toEqual(env)
      }),
    )
  })

  it('random bytes only ever raise DECODE_PROTOBUF', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (b) => onlyDecodeProtobuf(() => decodeProto(Envelope, b))),
      { numRuns: 3000 },
    )
  })

  it('every truncation of a valid envelope decodes or raises DECODE_PROTOBUF', () => {
    fc.assert(
      fc.property(envelopeArb, (env) => {
        const bytes = encodeProto(Envelope, env)
        for (let i = 0; i < bytes.length; i++) onlyDecodeProtobuf(() => decodeProto(Envelope, bytes.subarray(0, i)))
      }),
      { numRuns: 200 },
    )
  })

  it('an unknown protocol value is refused (closed enum)', () => {
    let err: unknown
    try {
      decodeProto(Envelope, Uint8Array.of(0x08, 0x05))
    } catch (e) {
      err = e
    }
    expect(isTalosError(err, 'DECODE_PROTOBUF')).toBe(true)
  })

  it('unknown fields are skipped (forward compatibility)', () => {
    // field 4 payload = 01, then unknown field 15 (len) = "zz"
    expect(decodeProto(Envelope, Uint8Array.of(0x22, 0x01, 0x01, 0x7a, 0x02, 0x7a, 0x7a))).toEqual(
      Envelope.create({ payload: Uint8Array.of(1) }),
    )
  })
})
