import { it, expect } from 'vitest'
import * as t from '../../src/index.js'
it('index', async () => {
  expect(typeof t.Client.create).toBe('function')
  expect(typeof t.mls.MlsGroup).toBe('function')
  expect(typeof t.hybrid.HybridSession).toBe('function')
  const d = new t.MemoryDelivery()
  const a = await t.Client.create({ did: 'did:talos:a', delivery: d, store: new t.MemoryStore() })
  await a.close()
})
