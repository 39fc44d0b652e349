/**
 * Confidentiality, observed (row "confidentiality").
 *
 * Outsider: an independent group of the same protocol with the same member
 * names (and, for sender keys and the coordinator, the same group id) is built;
 * its member m1 — valid keys, wrong group — tries every recorded message of the
 * real group that reached m1.
 * Removed member: snapshot(m3) right before `m0` removes m3; the attacker's
 * clone follows every later record (the removal included); m0 and m1 then send
 * R1, R2: neither may be read.
 * Coordinator: the hub's own view is recorded too (hubSaw): it reads every
 * plaintext, which the cell says.
 * 1:1 Double Ratchet: outsider only (no members to remove).
 */
import type { Column, Observation } from './types.js'
import type { Rec } from './world.js'
import { CoordinatorWorld } from './worlds/coordinator.js'
import { createWorld, warmUp } from './worlds/index.js'

export async function observeConfidentiality(column: Column): Promise<Observation> {
  const w = await createWorld(column)
  const outsiderWorld = await createWorld(column)
  await warmUp(w)
  const evidence: string[] = []
  const apps = w.wire.filter((r): r is Rec => r.kind === 'app' && r.from !== 'm1' && r.from !== 'B')
  const receiver = w.members[1]!
  const outsiderSnap = await outsiderWorld.snapshot(outsiderWorld.members[1]!)
  let outsiderRead = 0
  for (const r of apps) if ((await outsiderWorld.tryReceive(outsiderSnap, w.bytesFor(r, receiver))) !== undefined) outsiderRead++
  evidence.push(`outsider (member of an independent group of the same protocol) read ${outsiderRead} of ${apps.length} recorded messages`)

  let removedRead: number | undefined
  if (w.remove !== undefined && w.members.length >= 4) {
    const victim = w.members[3]!
    const snap = await w.snapshot(victim)
    const how = await w.remove(victim, w.members[0]!)
    const after = [await w.send(w.members[0]!, 'R1'), await w.send(w.members[1]!, 'R2')]
    removedRead = 0
    for (const r of after) if (await w.reads(snap, r)) removedRead++
    evidence.push(`removed member: ${how}; its final state, following every later record, read ${removedRead} of ${after.length} later messages`)
  } else {
    evidence.push('removed member: not applicable (two parties)')
  }
  let hubReads = false
  if (w instanceof CoordinatorWorld) {
    const texts = w.wire.filter((r) => r.kind === 'app').map((r) => r.text!)
    hubReads = texts.every((t) => w.hubSaw.includes(t))
    evidence.push(`the hub saw the plaintext of ${texts.filter((t) => w.hubSaw.includes(t)).length} of ${texts.length} messages`)
  }
  const ok = outsiderRead === 0 && (removedRead ?? 0) === 0
  let value = ok ? 'yes' : 'NO'
  if (ok && removedRead === undefined) value = 'yes (outsider; no removal in 1:1)'
  if (ok && hubReads) value = 'yes, except the hub (reads all plaintext)'
  return {
    row: 'confidentiality',
    column,
    value,
    scenario: [
      'warm-up',
      'an outsider (a member of an independent group of the same protocol) tries every recorded message',
      ...(removedRead === undefined ? [] : ['snapshot(m3), m0 removes m3, m0 and m1 send R1, R2, the removed state follows all traffic']),
      ...(hubReads ? ['the hub’s view recorded'] : []),
    ].join('; '),
    evidence,
  }
}
