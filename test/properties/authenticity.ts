/**
 * Authenticity, observed (row "authenticity").
 *
 * snapshot(R) of a receiver R = m1 is taken, then m0 sends M. Every attempt is
 * processed by a fresh clone of that snapshot (so state changes never mask a
 * result):
 *   altered   M's bytes (as they reach R) with one byte flipped, at up to 48
 *             positions spread over the message: accepted only counts if the
 *             clone returns a different plaintext or sender (a flip in a field
 *             that changes nothing is not a forgery)
 *   forged    a message of the same protocol from an independent group's m0
 *   impersonation  member m2 uses everything it holds to send as m0 (forgeAs);
 *             it counts if R's clone accepts it as coming from m0; control: the
 *             same forging path claiming m2's own identity must be accepted
 * Coordinator: also the hub forging a delivery "from m0" to R.
 * Sanity: the clone accepts the unaltered M.
 */
import type { Column, Observation } from './types.js'
import { CoordinatorWorld } from './worlds/coordinator.js'
import { createWorld, warmUp } from './worlds/index.js'

export async function observeAuthenticity(column: Column): Promise<Observation> {
  const w = await createWorld(column)
  const other = await createWorld(column)
  await warmUp(w)
  await warmUp(other)
  const [S, R] = [w.members[0]!, w.members[1]!]
  const snap = await w.snapshot(R)
  const m = await w.send(S, 'M')
  const bytes = w.bytesFor(m, R)
  const evidence: string[] = []
  const sane = await w.tryReceive(snap, bytes)
  evidence.push(`unaltered M accepted by R's clone: ${sane?.text === 'M' && sane.sender === S ? 'yes' : 'NO'}`)

  let alteredAccepted = 0
  const positions = new Set<number>()
  const step = Math.max(1, Math.floor(bytes.length / 48))
  for (let i = 0; i < bytes.length; i += step) positions.add(i)
  positions.add(bytes.length - 1)
  for (const i of positions) {
    const b = bytes.slice()
    b[i]! ^= 0x01
    const got = await w.tryReceive(snap, b)
    if (got !== undefined && (got.text !== 'M' || got.sender !== S)) alteredAccepted++
  }
  evidence.push(`altered (one byte flipped at ${positions.size} positions of ${bytes.length}): ${alteredAccepted} accepted with another plaintext or sender`)

  const f = await other.send(other.members[0]!, 'forged')
  const forged = await w.tryReceive(snap, other.bytesFor(f, other.members[1]!))
  evidence.push(`forged (a message of an independent group's m0): ${forged === undefined ? 'rejected' : `ACCEPTED as ${forged.sender}`}`)

  let impersonated: boolean | undefined
  let controlOk = true
  if (w.forgeAs !== undefined && w.members.length >= 3) {
    const by = w.members[2]!
    // Control: the same forging path, claiming by's own identity, must be accepted (so a rejection below is
    // the identity check, not a broken forgery).
    const snapControl = await w.snapshot(R)
    const control = await w.tryReceive(snapControl, await w.forgeAs(by, by, 'control', R))
    controlOk = control?.sender === by && control.text.endsWith('control')
    evidence.push(`control: ${by} sending as itself by the same path: ${controlOk ? 'accepted' : 'NOT accepted (forgery path broken)'}`)
    const snapNow = await w.snapshot(R)
    const fake = await w.forgeAs(by, S, 'I am m0', R)
    const got = await w.tryReceive(snapNow, fake)
    impersonated = got !== undefined && got.sender === S
    evidence.push(`impersonation (${by} sends as ${S} with everything it holds): ${got === undefined ? 'rejected' : `accepted as from ${got.sender}${impersonated ? ' (IMPERSONATION)' : ''}`}`)
  } else {
    evidence.push('impersonation: not applicable (two parties)')
  }
  let hubForges = false
  if (w instanceof CoordinatorWorld) {
    const got = w.forgeFromHub(S, R, 'hub-made')
    hubForges = got !== undefined && got.startsWith(`${S}:`)
    evidence.push(`the hub forges a delivery from ${S} to ${R}: ${got === undefined ? 'rejected' : `accepted (${got})`}`)
  }
  const ok = sane?.text === 'M' && alteredAccepted === 0 && forged === undefined && impersonated !== true && controlOk
  let value = ok ? 'yes' : 'NO'
  if (ok && impersonated === undefined) value = 'yes (no third party to impersonate)'
  if (ok && hubForges) value = 'yes among members; the hub can forge'
  return {
    row: 'authenticity',
    column,
    value,
    scenario: `snapshot(${R}); ${S} sends M; clones of the snapshot process: M with one byte flipped (every position step ${step}), a message from an independent group, ${w.forgeAs ? `m2 sending as ${S}` : 'no impersonation (two parties)'}${hubForges ? `, a hub-forged delivery` : ''}`,
    evidence,
  }
}
