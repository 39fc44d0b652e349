/**
 * messages.json (mls-implementations test vectors, FORMAT.md "Messages"):
 * every field of every case decodes with its struct's codec and re-encodes
 * to the identical bytes. One test per case; a failure names case and field.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode, type Codec } from '../../../src/codec/tls.js'
import {
  addCodec,
  commitCodec,
  ContentType,
  externalInitCodec,
  groupContextExtensionsCodec,
  groupSecretsCodec,
  mlsMessageCodec,
  preSharedKeyCodec,
  ratchetTreeCodec,
  reInitCodec,
  removeCodec,
  updateCodec,
  WireFormat,
  type MLSMessage,
} from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

const FILE = 'messages.json'

type Check = (value: any) => void

function mls(wireFormat: number, contentType?: number): { codec: Codec<any>; check: Check } {
  return {
    codec: mlsMessageCodec,
    check: (m: MLSMessage) => {
      expect(m.wireFormat).toBe(wireFormat)
      if (contentType !== undefined && m.wireFormat === WireFormat.mls_public_message) {
        expect(m.publicMessage.content.contentType).toBe(contentType)
      }
    },
  }
}

const plain = (codec: Codec<any>) => ({ codec, check: (() => {}) as Check })

/** Field name -> the struct it holds (FORMAT.md "Messages"). */
export const MESSAGE_FIELDS: Record<string, { codec: Codec<any>; check: Check }> = {
  mls_welcome: mls(WireFormat.mls_welcome),
  mls_group_info: mls(WireFormat.mls_group_info),
  mls_key_package: mls(WireFormat.mls_key_package),
  ratchet_tree: plain(ratchetTreeCodec),
  group_secrets: plain(groupSecretsCodec),
  add_proposal: plain(addCodec),
  update_proposal: plain(updateCodec),
  remove_proposal: plain(removeCodec),
  pre_shared_key_proposal: plain(preSharedKeyCodec),
  re_init_proposal: plain(reInitCodec),
  external_init_proposal: plain(externalInitCodec),
  group_context_extensions_proposal: plain(groupContextExtensionsCodec),
  commit: plain(commitCodec),
  public_message_application: mls(WireFormat.mls_public_message, ContentType.application),
  public_message_proposal: mls(WireFormat.mls_public_message, ContentType.proposal),
  public_message_commit: mls(WireFormat.mls_public_message, ContentType.commit),
  private_message: mls(WireFormat.mls_private_message),
}

const cases = loadVectors<Record<string, string>>(FILE)

describe(FILE, () => {
  it('has 300 cases, each with exactly the 17 documented fields', () => {
    expect(cases.length).toBe(300)
    for (const c of cases) expect(Object.keys(c).sort()).toEqual(Object.keys(MESSAGE_FIELDS).sort())
  })

  cases.forEach((c, i) => {
    it(`${FILE} case ${i}: all 17 fields decode and re-encode byte-identically`, () => {
      for (const [field, { codec, check }] of Object.entries(MESSAGE_FIELDS)) {
        const where = `${FILE} case ${i} field ${field}`
        const input = c[field]
        if (typeof input !== 'string') throw new Error(`${where}: missing`)
        let value: unknown
        try {
          value = decode(codec, hex(input), field)
        } catch (e) {
          throw new Error(`${where}: decode failed: ${(e as Error).message}`, { cause: e })
        }
        check(value)
        expect(toHex(encode(codec, value)), where).toBe(input)
      }
    })
  })
})
