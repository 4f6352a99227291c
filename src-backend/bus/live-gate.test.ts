// The live gate on its own: which end of a hold releases it, and in what order messages go on.
// Against real Redis (a reader held back by an ACL): test/integration/redis-bus.test.ts.
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { InboundMessage } from './bus'
import { createLiveGate, type LiveGateDeps } from './live-gate'

const live = (payload: string): InboundMessage => ({ source: 'redis', payload })
const entry = (streamId: string): InboundMessage => ({ source: 'stream', payload: streamId, streamId })

function setup(over: Partial<LiveGateDeps> = {}) {
  const delivered: InboundMessage[] = []
  const warnings: string[] = []
  let position = '0'
  // One pair per streamEnd question, oldest first.
  const questions: { answer: (end: string | null) => void; fail: (err: Error) => void }[] = []
  const gate = createLiveGate({
    deliver: (batch) => void delivered.push(...batch),
    log: pino({ level: 'warn' }, { write: (s: string) => void warnings.push(s) }),
    streamEnd: () =>
      new Promise((answer, fail) => {
        questions.push({ answer, fail })
      }),
    readerPosition: () => position,
    ...over,
  })
  return {
    gate,
    delivered,
    warnings,
    /** The reader delivers a stream entry (its position moves first, as in the reader). */
    read(streamId: string) {
      position = streamId
      delivered.push(entry(streamId))
    },
    /** Answers the latest streamEnd question, or the one numbered `nth` (0 = the first). */
    answerEnd: (end: string | null, nth = questions.length - 1) => questions[nth]!.answer(end),
    failEnd: (err: Error) => questions.at(-1)!.fail(err),
    questions: () => questions.length,
  }
}
const flush = () => vi.advanceTimersByTimeAsync(0)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('live gate', () => {
  it('hands live messages on at once while no subscribe is waiting for the stream', () => {
    const t = setup()
    t.gate.offer([live('a'), live('b')])
    expect(t.delivered).toEqual([live('a'), live('b')])
  })

  it('after a subscribe, holds live messages until the reader reaches the stream end asked for, then hands them on after it', async () => {
    const t = setup()
    t.gate.subscribed()
    t.gate.offer([live('new-1')])
    t.answerEnd('5-0')
    await flush()
    expect(t.gate.holding()).toBe(true)
    const token = t.gate.readStarting()
    t.read('3-0')
    t.gate.readDone(token, false)
    t.gate.offer([live('new-2')])
    expect(t.delivered).toEqual([entry('3-0')])
    t.read('5-0')
    t.gate.readDone(token, false)
    expect(t.delivered).toEqual([entry('3-0'), entry('5-0'), live('new-1'), live('new-2')])
    expect(t.gate.holding()).toBe(false)
    expect(t.warnings).toEqual([])
  })

  it('releases at once when the reader is already past the end, or the stream is empty', async () => {
    const t = setup()
    t.read('9-0')
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.answerEnd('9-0')
    await flush()
    expect(t.delivered.at(-1)).toEqual(live('x'))

    const empty = setup()
    empty.gate.subscribed()
    empty.gate.offer([live('y')])
    empty.answerEnd(null)
    await flush()
    expect(empty.delivered).toEqual([live('y')])
  })

  it('a short read sent after the subscribe releases; one sent before it does not', async () => {
    const t = setup()
    const before = t.gate.readStarting()
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.failEnd(new Error('publisher down'))
    await flush()
    t.gate.readDone(before, true)
    expect(t.delivered).toEqual([])
    const after = t.gate.readStarting()
    t.gate.readDone(after, true)
    expect(t.delivered).toEqual([live('x')])
  })

  it('a reader past the end asked for (its cursor from before a stream reset) waits for a short read', async () => {
    const t = setup()
    t.read('900-0') // the old cursor; the new stream's ids are lower
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.answerEnd('5-0')
    await flush()
    expect(t.delivered).toEqual([entry('900-0')])
    const token = t.gate.readStarting()
    t.read('5-0') // the reader found the reset and read the new stream from its start
    t.gate.readDone(token, true)
    expect(t.delivered).toEqual([entry('900-0'), entry('5-0'), live('x')])
  })

  it('a question that failed (publisher still down) is asked again when the publisher is ready', async () => {
    const t = setup()
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.failEnd(new Error('Stream is not writeable'))
    await flush()
    t.gate.publisherReady()
    t.answerEnd(null)
    await flush()
    expect(t.delivered).toEqual([live('x')])
    // Not asked again while one question is out, nor when nothing is held.
    t.gate.subscribed()
    t.gate.publisherReady()
    t.answerEnd(null)
    await flush()
    t.gate.publisherReady()
    expect(t.questions()).toBe(3)
  })

  it("a second subscribe makes the first one's stream end count for nothing", async () => {
    const t = setup()
    t.gate.subscribed()
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.read('1-0')
    t.answerEnd('1-0', 0)
    await flush()
    expect(t.delivered).toEqual([entry('1-0')])
    t.answerEnd('1-0', 1)
    await flush()
    expect(t.delivered).toEqual([entry('1-0'), live('x')])
  })

  it('ends a hold at the time bound, with a warning', async () => {
    const t = setup({ maxHoldMs: 1_000 })
    t.gate.subscribed()
    t.gate.offer([live('x')])
    await vi.advanceTimersByTimeAsync(999)
    expect(t.delivered).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(t.delivered).toEqual([live('x')])
    expect(t.warnings.join('')).toContain('"reason":"timeout"')
  })

  it('ends a hold over the count or byte bound, in order, and stays open until the next subscribe', () => {
    const t = setup({ maxHeldMessages: 3 })
    t.gate.subscribed()
    t.gate.offer([live('1'), live('2'), live('3')])
    expect(t.delivered).toEqual([])
    t.gate.offer([live('4')])
    expect(t.delivered.map((m) => m.payload)).toEqual(['1', '2', '3', '4'])
    t.gate.offer([live('5')])
    expect(t.delivered.map((m) => m.payload)).toEqual(['1', '2', '3', '4', '5'])
    expect(t.warnings.join('')).toContain('"reason":"overflow"')

    const bytes = setup({ maxHeldBytes: 10 })
    bytes.gate.subscribed()
    bytes.gate.offer([live('12345')])
    expect(bytes.delivered).toEqual([])
    bytes.gate.offer([live('678901')])
    expect(bytes.delivered.map((m) => m.payload)).toEqual(['12345', '678901'])
  })

  it('stop drops what is held and delivers nothing after', async () => {
    const t = setup()
    t.gate.subscribed()
    t.gate.offer([live('x')])
    t.gate.stop()
    t.answerEnd(null)
    await vi.advanceTimersByTimeAsync(20_000)
    t.gate.offer([live('y')])
    expect(t.delivered).toEqual([])
  })
})
