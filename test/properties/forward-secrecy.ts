/**
 * Forward secrecy, observed (row "forward-secrecy").
 *
 * Scenario, every column: warm-up (everyone sends twice); the sender S = m0
 * sends P1, P2 ("previous epoch"); an epoch boundary (a Commit by m2 where the
 * protocol has commits, else S's own rekey: sender-key rotation, DH ratchet
 * step); S sends C1..C4, all delivered. Then snapshot(R) of the receiver R = m1
 * and snapshot(S) of the sender. Sanity: the next message S sends (N) must be
 * exposed to snapshot(R), both to the clone and to the key scan alone, or the
 * attacker is broken and the cell says so.
 *
 *   "none"         a previous-epoch message P is exposed
 *   "per epoch"    P1, P2 safe, but an already-delivered current-epoch C is exposed
 *   "per message"  nothing already delivered is exposed (to either snapshot)
 */
import type { Column, Observation } from './types.js'
import type { Rec, World } from './world.js'
import { createWorld, warmUp } from './worlds/index.js'

export async function observeForwardSecrecy(column: Column): Promise<Observation> {
  const w = await createWorld(column)
  const [S, R] = [w.members[0]!, w.members[1]!]
  const third = w.members[2]
  await warmUp(w)
  const prev: Rec[] = [await w.send(S, 'P1'), await w.send(S, 'P2')]
  let boundary: string
  if (w.commit !== undefined && third !== undefined) boundary = await w.commit(third)
  else boundary = await w.rekey!(S)
  const cur: Rec[] = []
  for (let i = 1; i <= 4; i++) cur.push(await w.send(S, `C${i}`))
  const snapR = await w.snapshot(R)
  const snapS = await w.snapshot(S)
  const exposed = async (recs: Rec[]): Promise<string[]> => {
    const out: string[] = []
    for (const r of recs) {
      if (await w.reads(snapR, r)) out.push(`${r.text} to snapshot(${R})`)
      if (await w.reads(snapS, r)) out.push(`${r.text} to snapshot(${S})`)
    }
    return out
  }
  const prevExposed = await exposed(prev)
  const curExposed = await exposed(cur)
  const next = await w.send(S, 'N')
  const sanity = await w.reads(snapR, next)
  const scanSanity = await w.scanReads(snapR, next)
  const value = !sanity || !scanSanity ? 'attacker failed its sanity check' : prevExposed.length > 0 ? 'none' : curExposed.length > 0 ? 'per epoch' : 'per message'
  return {
    row: 'forward-secrecy',
    column,
    value,
    scenario: `warm-up; ${S} sends P1, P2; boundary: ${boundary}; ${S} sends C1..C4 (all delivered); snapshot(${R}) and snapshot(${S}); clone + key scan on P1, P2, C1..C4; sanity: ${S}'s next message N read by snapshot(${R}), by the clone and by the key scan alone`,
    evidence: [
      `previous-epoch messages exposed: ${prevExposed.length === 0 ? 'none' : prevExposed.join(', ')}`,
      `current-epoch delivered messages exposed: ${curExposed.length === 0 ? 'none' : curExposed.join(', ')}`,
      `sanity: N ${sanity ? 'is' : 'is NOT'} read by snapshot(${R}); the key scan alone ${scanSanity ? 'opens' : 'does NOT open'} it`,
    ],
  }
}
