import { describe, expect, it, vi } from 'vitest'
import { createFrameBatcher, frameThrottleSchedule } from './frame-batcher'
import { createTaskStore, type Incoming } from '../stores/task-store'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'

function manualFrames() {
  const queue: (() => void)[] = []
  return {
    schedule: (run: () => void) => queue.push(run),
    frame() {
      const q = queue.splice(0)
      for (const run of q) run()
    },
    scheduled: () => queue.length,
  }
}

describe('frame batcher', () => {
  it('applies everything received within a frame in one call, in order', () => {
    const frames = manualFrames()
    const applied: number[][] = []
    const b = createFrameBatcher<number>((items) => applied.push(items), frames.schedule)
    b.push(1)
    b.push(2)
    b.push(3)
    expect(frames.scheduled()).toBe(1)
    expect(applied).toEqual([])
    frames.frame()
    expect(applied).toEqual([[1, 2, 3]])
    b.push(4)
    frames.frame()
    expect(applied).toEqual([[1, 2, 3], [4]])
    frames.frame()
    expect(applied).toHaveLength(2)
  })

  it('200 socket messages in a frame cause one store notification', () => {
    const frames = manualFrames()
    const store = createTaskStore()
    store.getState().applyBatch([{ kind: 'snapshot', seq: 0, tasks: [] }])
    const b = createFrameBatcher<Incoming>((items) => store.getState().applyBatch(items), frames.schedule)
    let notified = 0
    store.subscribe(() => notified++)
    for (let i = 1; i <= 200; i++)
      b.push({ kind: 'update', msg: updateMsg(makeTask({ task_id: `t${i % 50}`, status: 'running' }), i) })
    frames.frame()
    expect(notified).toBe(1)
    expect(store.getState().tasks.size).toBe(50)
    expect(store.getState().seq).toBe(200)
  })
})

describe('frame throttle schedule', () => {
  // The leading edge runs on a MessageChannel message, whose delivery order against timers is not
  // guaranteed (happy-dom on a busy machine): wait for it rather than for one timer tick.
  const ranSoon = (ran: string[], expected: string[]) =>
    vi.waitFor(() => expect(ran).toEqual(expected), { timeout: 5000, interval: 1 })
  const nextTask = () => new Promise((r) => setTimeout(r, 0))

  it('runs at once after a quiet frame, and waits for the next frame within one', async () => {
    let t = 1000
    const frames = manualFrames()
    const schedule = frameThrottleSchedule({ now: () => t, frame: frames.schedule })
    const ran: string[] = []
    schedule(() => ran.push('first'))
    await ranSoon(ran, ['first'])
    t += 5
    schedule(() => ran.push('second'))
    await nextTask()
    expect(ran).toEqual(['first'])
    expect(frames.scheduled()).toBe(1)
    t += 12
    frames.frame()
    expect(ran).toEqual(['first', 'second'])
    t += 40
    schedule(() => ran.push('third'))
    await ranSoon(ran, ['first', 'second', 'third'])
  })
})
