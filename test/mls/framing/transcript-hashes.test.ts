/**
 * transcript-hashes.json (FORMAT.md "Transcript Hashes", RFC 9420 §8.2, §6.1),
 * every suite: the AuthenticatedContent holds a Commit whose confirmation_tag
 * is MAC(confirmation_key, confirmed_transcript_hash_after), and updating
 * interim_transcript_hash_before with it gives both expected hashes. A tag
 * differing in any single bit, or of another length, is MLS_BAD_CONFIRMATION_TAG.
 */
import { describe, expect, it } from 'vitest'
import { decode } from '../../../src/codec/tls.js'
import { getCipherSuite } from '../../../src/crypto/index.js'
import {
  confirmationTag,
  confirmedTranscriptHash,
  interimTranscriptHash,
  nextTranscriptHashes,
  verifyConfirmationTag,
} from '../../../src/mls/framing/index.js'
import { authenticatedContentCodec, ContentType } from '../../../src/mls/wire/index.js'
import { hex, loadVectors, toHex } from '../../helpers/vectors.js'

const FILE = 'transcript-hashes.json'
const cases = loadVectors<Record<string, any>>(FILE)
const code = (c: string) => expect.objectContaining({ code: c })

describe(FILE, () => {
  cases.forEach((v, i) => {
    const suite = getCipherSuite(v.cipher_suite)
    const ac = decode(authenticatedContentCodec, hex(v.authenticated_content), 'AuthenticatedContent')
    const key = hex(v.confirmation_key)
    const confirmed = hex(v.confirmed_transcript_hash_after)

    it(`${FILE} case ${i} (suite ${v.cipher_suite}): confirmation_tag verifies over confirmed_transcript_hash_after`, () => {
      expect(ac.content.contentType).toBe(ContentType.commit)
      const tag = ac.auth.confirmationTag!
      expect(toHex(confirmationTag(suite, key, confirmed))).toBe(toHex(tag))
      expect(() => verifyConfirmationTag(suite, key, confirmed, tag)).not.toThrow()
    })

    it(`${FILE} case ${i} (suite ${v.cipher_suite}): confirmed and interim hashes follow from interim_transcript_hash_before`, () => {
      const before = hex(v.interim_transcript_hash_before)
      const next = nextTranscriptHashes(suite, before, ac)
      expect(toHex(next.confirmedTranscriptHash)).toBe(v.confirmed_transcript_hash_after)
      expect(toHex(next.interimTranscriptHash)).toBe(v.interim_transcript_hash_after)
      // The two steps separately, as a committer uses them (tag computed in between).
      const c = confirmedTranscriptHash(suite, before, { ...ac, auth: { signature: ac.auth.signature } })
      expect(toHex(c)).toBe(v.confirmed_transcript_hash_after)
      expect(toHex(interimTranscriptHash(suite, c, ac.auth.confirmationTag!))).toBe(v.interim_transcript_hash_after)
    })

    it(`${FILE} case ${i} (suite ${v.cipher_suite}): a wrong confirmation_tag is MLS_BAD_CONFIRMATION_TAG`, () => {
      const tag = ac.auth.confirmationTag!
      for (let bit = 0; bit < tag.length * 8; bit += 7) {
        const bad = tag.slice()
        bad[bit >> 3]! ^= 1 << (bit & 7)
        expect(() => verifyConfirmationTag(suite, key, confirmed, bad)).toThrow(code('MLS_BAD_CONFIRMATION_TAG'))
      }
      expect(() => verifyConfirmationTag(suite, key, confirmed, tag.subarray(1))).toThrow(code('MLS_BAD_CONFIRMATION_TAG'))
      expect(() => verifyConfirmationTag(suite, key, confirmed, new Uint8Array(0))).toThrow(code('MLS_BAD_CONFIRMATION_TAG'))
      // The right tag under the wrong key or transcript.
      expect(() => verifyConfirmationTag(suite, suite.hash(key), confirmed, tag)).toThrow(code('MLS_BAD_CONFIRMATION_TAG'))
      expect(() => verifyConfirmationTag(suite, key, suite.hash(confirmed), tag)).toThrow(code('MLS_BAD_CONFIRMATION_TAG'))
    })

    it(`${FILE} case ${i} (suite ${v.cipher_suite}): only a Commit with its tag enters the transcript`, () => {
      expect(() => nextTranscriptHashes(suite, new Uint8Array(0), { ...ac, auth: { signature: ac.auth.signature } })).toThrow(
        code('MLS_MISSING_CONFIRMATION_TAG'),
      )
      const app = {
        wireFormat: ac.wireFormat,
        content: { ...ac.content, contentType: ContentType.application, applicationData: new Uint8Array(1) },
        auth: { signature: ac.auth.signature },
      } as any
      expect(() => confirmedTranscriptHash(suite, new Uint8Array(0), app)).toThrow(code('MLS_INVALID_STRUCTURE'))
    })
  })
})
