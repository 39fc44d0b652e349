/** Helpers for the group-layer tests: clients over one delivery service, reading with a bound. */
import { Client, type ClientOptions, type Group, type GroupMessage } from '../../src/group/index.js'
import { MemoryDelivery } from '../../src/delivery/index.js'
import { MemoryStore } from '../../src/store/index.js'
import type { DeliveryService } from '../../src/delivery/index.js'
import type { StateStore } from '../../src/store/index.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
export const did = (name: string): string => `did:talos:${name}`

export interface Agent {
  readonly name: string
  readonly client: Client
  readonly store: StateStore
}

export async function agents(
  names: string[],
  delivery: DeliveryService = new MemoryDelivery(),
  extra: Partial<ClientOptions> = {},
): Promise<{ delivery: DeliveryService; agents: Record<string, Agent> }> {
  const out: Record<string, Agent> = {}
  for (const name of names) {
    const store = new MemoryStore()
    out[name] = { name, store, client: await Client.create({ did: did(name), delivery, store, keyPackages: 4, ...extra }) }
  }
  return { delivery, agents: out }
}

/** Takes `n` messages from the group's iterator (each consumed once the next is asked for). */
export async function take(group: Group, n: number, after?: number): Promise<GroupMessage[]> {
  const out: GroupMessage[] = []
  if (n === 0) return out
  const it = group.messages(after === undefined ? {} : { after })
  for (;;) {
    const r = await it.next()
    if (r.done) break
    out.push(r.value)
    if (out.length === n) break
  }
  // Mark the last one consumed too.
  await it.return?.()
  return out
}

export async function closeAll(list: Agent[]): Promise<void> {
  for (const a of list) await a.client.close()
}
