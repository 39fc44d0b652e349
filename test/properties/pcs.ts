/**
 * Post-compromise security, observed (rows "pcs-sender", "pcs-receiver").
 *
 * Each candidate healing event runs in a fresh world (warm-up: everyone sends
 * twice), so one event's effect never leaks into another's:
 *
 * Sender side: S = m0 sends M0; snapshot(S); S sends B (baseline: must be
 * exposed, or the compromise did nothing); the event; S sends A1, A2. Healed
 * if neither A1 nor A2 is read by the attacker (clone following all traffic,
 * key scan for S's own frames).
 *   events, in order: own rekey (S's), own commit (S's), anyone's commit (m2's)
 *
 * Receiver side: X = m1 compromised, S = m0 sends: S sends M0 (delivered);
 * snapshot(X); S sends B (baseline exposed); the event; S sends A1, A2.
 *   events, in order: own rekey (X's; S then sends as its policy says),
 *   own rekey then the sender's rekey (X's, then S's), a two-party round
 *   trip then the sender's rekey (sender keys only: X's session with S takes a
 *   DH step, then S rotates over it), own commit (X's), anyone's commit (m2's)
 *
 * The cell is the first event, in that order, after which the attacker reads
 * neither A1 nor A2; "never" if none does. Every event runs, so the evidence
 * also shows the later ones (e.g. that someone else's Commit does not heal MLS). Events a protocol lacks are skipped
 * (listed in the evidence).
 */
import type { Column, Observation } from './types.js'
import type { World } from './world.js'
import { createWorld, warmUp } from './worlds/index.js'
import { MlsWorld } from './worlds/mls.js'
import { SenderKeysWorld } from './worlds/sender-keys.js'

interface Event {
  readonly label: string
  readonly applies: (w: World) => boolean
  readonly run: (w: World, me: string, sender: string, third: string) => Promise<string>
}

const SENDER_EVENTS: Event[] = [
  { label: 'own rekey', applies: (w) => w.rekey !== undefined && !(w instanceof MlsWorld && w.hybridMode === undefined), run: (w, me) => w.rekey!(me) },
  { label: 'own commit', applies: (w) => w.commit !== undefined, run: (w, me) => w.commit!(me) },
  { label: "anyone's commit", applies: (w) => w.commit !== undefined, run: (w, _me, _s, third) => w.commit!(third) },
]

const RECEIVER_EVENTS: Event[] = [
  SENDER_EVENTS[0]!,
  {
    label: "own rekey, then the sender's rekey",
    applies: SENDER_EVENTS[0]!.applies,
    run: async (w, me, sender) => `${await w.rekey!(me)}; ${await w.rekey!(sender)}`,
  },
  {
    label: "a two-party round trip, then the sender's rekey",
    applies: (w) => w instanceof SenderKeysWorld,
    run: async (w, me, sender) => `${await (w as SenderKeysWorld).sessionRoundTrip(me, sender)}; ${await w.rekey!(sender)}`,
  },
  SENDER_EVENTS[1]!,
  SENDER_EVENTS[2]!,
]

async function runSide(column: Column, side: 'sender' | 'receiver'): Promise<Observation> {
  const events = side === 'sender' ? SENDER_EVENTS : RECEIVER_EVENTS
  const evidence: string[] = []
  let value: string | undefined
  for (const e of events) {
    const w = await createWorld(column)
    if (!e.applies(w)) {
      evidence.push(`${e.label}: not in this protocol`)
      continue
    }
    await warmUp(w)
    const [S, X] = [w.members[0]!, w.members[1]!]
    const third = w.members[2] ?? X
    const victim = side === 'sender' ? S : X
    await w.send(S, 'M0')
    const snap = await w.snapshot(victim)
    const baseline = await w.send(S, 'B')
    const baseRead = await w.reads(snap, baseline)
    const did = await e.run(w, victim, S, third)
    const after = [await w.send(S, 'A1'), await w.send(S, 'A2')]
    const read: string[] = []
    for (const r of after) if (await w.reads(snap, r)) read.push(r.text!)
    let healed = baseRead && read.length === 0
    evidence.push(`${e.label} (${did}): baseline B ${baseRead ? 'read' : 'NOT read (compromise ineffective)'}; after: ${read.length === 0 ? 'A1, A2 safe' : `${read.join(', ')} read`}`)
    if (side === 'sender' && e.label === 'own rekey' && w instanceof MlsWorld && w.hybridMode !== undefined) {
      // The rekey attack found no r it could open; with a recipient's keys added it must read A1.
      const control = await w.rekeyAttackControl(snap, after[0]!, X)
      evidence.push(`  control: the same rekey attack given ${X}'s private keys too ${control ? 'reads A1' : 'does NOT read A1 (attack broken)'}`)
      if (!control) healed = false
    }
    if (!baseRead) {
      value ??= 'attacker failed its baseline'
      break
    }
    if (healed && value === undefined) value = e.label // later events still run, for the evidence
  }
  const who = side === 'sender' ? 'the sender S = m0' : 'a receiver X = m1 (S = m0 sends)'
  return {
    row: side === 'sender' ? 'pcs-sender' : 'pcs-receiver',
    column,
    value: value ?? 'never',
    scenario: `snapshot of ${who} after warm-up; S sends B (must be exposed); then, each in a fresh group: ${events.map((e) => e.label).join(' / ')}; S sends A1, A2; the attacker's clone follows every later record`,
    evidence,
  }
}

export const observePcsSender = (c: Column): Promise<Observation> => runSide(c, 'sender')
export const observePcsReceiver = (c: Column): Promise<Observation> => runSide(c, 'receiver')
