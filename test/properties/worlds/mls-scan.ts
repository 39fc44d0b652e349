/**
 * Key scan of an MLS state (RFC 9420 §6.3, §9): every Nh-byte field of the
 * serialized state (a window after a one-byte length Nh) is tried
 *   - as the epoch's sender_data_secret, until one decrypts the message's
 *     sender data (leaf, generation, reuse guard), then
 *   - as that leaf's ratchet secret of the right type at every generation
 *     g0 ≤ the message's generation, run forward with DeriveTreeSecret
 *     ("secret") and opened with DeriveTreeSecret("key"/"nonce"),
 * through the framing layer's own unprotectPrivateMessage (so the content
 * AEAD, padding and the sender's signature are checked as a member would),
 * with the framing context of the attacker's epoch (the scan targets messages
 * of that epoch; earlier epochs are tried by the clone).
 */
import type { CipherSuite } from '../../../src/crypto/index.js'
import { unprotectPrivateMessage } from '../../../src/mls/framing/index.js'
import type { KeySource } from '../../../src/mls/framing/private-message.js'
import type { MlsGroup } from '../../../src/mls/index.js'
import { decodeMLSMessage } from '../../../src/mls/index.js'
import type { RatchetType, StagedKey } from '../../../src/mls/schedule/secret-tree.js'
import { WireFormat } from '../../../src/mls/wire/index.js'
import { NodeType } from '../../../src/mls/wire/ratchet-tree.js'

class Found extends Error {
  constructor(readonly leaf: number, readonly type: RatchetType, readonly generation: number) {
    super('sender data decrypted')
  }
}

/** A KeySource whose ratchet for every leaf is `secret` at generation g0. */
function candidateSource(suite: CipherSuite, secret: Uint8Array, g0: number): KeySource {
  const stage = (leaf: number, type: RatchetType, generation: number): StagedKey => {
    if (generation < g0 || generation - g0 > 1000) throw new Error('out of range')
    let s = secret
    for (let g = g0; g < generation; g++) s = suite.deriveTreeSecret(s, 'secret', g, suite.Nh)
    return {
      leaf,
      type,
      generation,
      key: suite.deriveTreeSecret(s, 'key', generation, suite.Nk),
      nonce: suite.deriveTreeSecret(s, 'nonce', generation, suite.Nn),
      commit: () => undefined,
      discard: () => undefined,
    }
  }
  return { stageKey: stage, stageNextKey: () => { throw new Error('receive only') } }
}

export function mlsScan(attacker: MlsGroup, state: Uint8Array, bytes: Uint8Array): Uint8Array | undefined {
  const msg = decodeMLSMessage(bytes)
  if (msg.wireFormat !== WireFormat.mls_private_message) return undefined
  const pm = (msg as { privateMessage: Parameters<typeof unprotectPrivateMessage>[1] }).privateMessage
  const st = attacker.currentState
  if (pm.epoch !== st.epoch.framing.groupContext.epoch) return undefined
  const suite = st.suite
  const ctx = st.epoch.framing
  const senders = {
    memberSignatureKey: (leaf: number) => {
      const n = leaf >= 0 && 2 * leaf < st.tree.nodeCount ? st.tree.node(2 * leaf) : undefined
      return n?.nodeType === NodeType.leaf ? n.leafNode.signatureKey : undefined
    },
  }
  const Nh = suite.Nh
  const windows: Uint8Array[] = []
  for (let i = 1; i + Nh <= state.length; i++) {
    if (state[i - 1] !== Nh) continue
    const w = state.slice(i, i + Nh)
    if (new Set(w).size >= Nh / 2) windows.push(w)
  }
  // 1. The sender_data_secret: the window whose sender-data decryption asks the tree for a key.
  let sds: Uint8Array | undefined
  let found: Found | undefined
  const probe: KeySource = {
    stageKey: (leaf, type, generation) => {
      throw new Found(leaf, type, generation)
    },
    stageNextKey: () => {
      throw new Error('receive only')
    },
  }
  for (const w of windows) {
    try {
      unprotectPrivateMessage(ctx, pm, { secretTree: probe, senderDataSecret: w }, senders)
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause
      const f = e instanceof Found ? e : cause instanceof Found ? cause : undefined
      if (f !== undefined) {
        sds = w
        found = f
        break
      }
    }
  }
  if (sds === undefined || found === undefined) return undefined
  // 2. The ratchet secret, at every generation up to the message's.
  for (const w of windows) {
    for (let g0 = 0; g0 <= found.generation; g0++) {
      try {
        const staged = unprotectPrivateMessage(ctx, pm, { secretTree: candidateSource(suite, w, g0), senderDataSecret: sds }, senders)
        const c = staged.content.content
        if (c.contentType === 1 /* application */) return (c as { applicationData: Uint8Array }).applicationData
      } catch {
        // not this one
      }
    }
  }
  return undefined
}
