/** One world per column (see world.ts for the interface and the attacker). */
import type { Column } from '../types.js'
import type { World } from '../world.js'
import { CoordinatorWorld } from './coordinator.js'
import { DoubleRatchetWorld } from './double-ratchet.js'
import { MlsWorld } from './mls.js'
import { SenderKeysWorld } from './sender-keys.js'

export async function createWorld(column: Column, n = 4): Promise<World> {
  switch (column) {
    case 'coordinator':
      return CoordinatorWorld.create(n)
    case 'sender-keys':
      return SenderKeysWorld.create(n)
    case 'mls':
      return MlsWorld.create(n)
    case 'hybrid-copath':
      return MlsWorld.create(n, 'copath')
    case 'hybrid-pairwise':
      return MlsWorld.create(n, 'pairwise')
    case 'double-ratchet':
      return DoubleRatchetWorld.create()
  }
}

/** Everyone sends twice, round robin, so every session, chain and (hybrid) rekey is live. */
export async function warmUp(w: World): Promise<void> {
  for (let round = 0; round < 2; round++) for (const m of [...w.members]) await w.send(m, `warm-up ${round} from ${m}`)
}
