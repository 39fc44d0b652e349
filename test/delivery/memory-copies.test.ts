/** The in-memory log and directory keep real copies: a publisher may reuse its Node Buffer (Buffer#slice is a view). */
import { describe, expect, it } from 'vitest'
import { MemoryDirectory } from '../../src/delivery/memory/directory.js'
import { MemoryLog } from '../../src/delivery/memory/log.js'

describe('memory delivery copies', () => {
  it('a log entry survives the publisher reusing its Buffer', () => {
    const log = new MemoryLog(1 << 20)
    const buf = Buffer.from([1, 2, 3])
    const seq = log.append('message', buf)
    buf.fill(0)
    expect([...log.get(seq)!.bytes]).toEqual([1, 2, 3])
  })

  it('directory items survive the owner reusing its Buffers', async () => {
    const d = new MemoryDirectory()
    const last = Buffer.from([7, 7, 7])
    const one = Buffer.from([8, 8, 8])
    await d.setLastResort('did:talos:a', 'kp', last)
    await d.addOneTime('did:talos:a', 'kp', [one])
    last.fill(0)
    one.fill(0)
    expect([...(await d.claim('did:talos:a', 'kp'))!.item]).toEqual([8, 8, 8])
    expect([...(await d.claim('did:talos:a', 'kp'))!.item]).toEqual([7, 7, 7])
  })
})
