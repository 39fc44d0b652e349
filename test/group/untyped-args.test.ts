/**
 * Wrongly typed arguments at the Client/Group API (JavaScript callers, JSON,
 * cast-away types) give GROUP_INVALID_ARGUMENT at once, not a TypeError
 * now, a TypeError later inside the log loop, or a promise that never
 * settles.
 */
import { describe, expect, it } from 'vitest'
import { agents, closeAll, did } from './helpers.js'

const cast = <T>(v: unknown): T => v as T

function codeOf(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    return (e as { code?: string }).code ?? `not a TalosError: ${String(e)}`
  }
  return 'no error'
}

describe('untyped arguments at the Client/Group API', () => {
  it('on() refuses unknown events and listeners that are not functions', async () => {
    const { agents: a } = await agents(['alice', 'bob'])
    const alice = a.alice!.client
    expect(codeOf(() => alice.on(cast('bogus'), () => {}))).toBe('GROUP_INVALID_ARGUMENT')
    expect(codeOf(() => alice.on(cast('__proto__'), () => {}))).toBe('GROUP_INVALID_ARGUMENT')
    expect(codeOf(() => alice.on('joined', cast(5)))).toBe('GROUP_INVALID_ARGUMENT')
    expect(codeOf(() => alice.on('rejected', cast(undefined)))).toBe('GROUP_INVALID_ARGUMENT')
    const g = await alice.createGroup({ name: 'g', members: [did('bob')], protocol: 'mls' })
    expect(codeOf(() => g.on(cast('bogus'), () => {}))).toBe('GROUP_INVALID_ARGUMENT')
    expect(codeOf(() => g.on('error', cast('listener')))).toBe('GROUP_INVALID_ARGUMENT')
    await closeAll(Object.values(a))
  })

  it("a throwing 'joined' listener does not break createGroup", async () => {
    const { agents: a } = await agents(['alice', 'bob'])
    a.alice!.client.on('joined', () => {
      throw new Error('application bug')
    })
    const g = await a.alice!.client.createGroup({ name: 'g', members: [did('bob')], protocol: 'mls' })
    expect(a.alice!.client.group(g.id)).toBe(g)
    await closeAll(Object.values(a))
  })

  it('waitForGroup, waitFor and messages refuse ids, seqs and options of the wrong type instead of waiting forever', async () => {
    const { agents: a } = await agents(['alice', 'bob'])
    const alice = a.alice!.client
    await expect(alice.waitForGroup(cast(5))).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })
    await expect(alice.waitForGroup(cast(undefined))).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })
    const g = await alice.createGroup({ name: 'g', members: [did('bob')], protocol: 'sender-keys' })
    for (const seq of ['3', NaN, 1.5, undefined, Infinity]) {
      await expect(g.waitFor(cast(seq))).rejects.toMatchObject({ code: 'GROUP_INVALID_ARGUMENT' })
    }
    await g.waitFor(-1)
    for (const options of [null, 'x', { after: 'x' }, { after: NaN }, { after: 2.5 }]) {
      expect(codeOf(() => g.messages(cast(options))), JSON.stringify(options)).toBe('GROUP_INVALID_ARGUMENT')
    }
    expect(codeOf(() => g.messages({ after: -1 }))).toBe('no error')
    await closeAll(Object.values(a))
  })
})
