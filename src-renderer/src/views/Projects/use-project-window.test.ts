// The runner that computes the Projects window off the frame path: slices, throttling under a
// stream of updates, recomputing as time passes, and stopping.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'
import { createTaskStore, type TaskStore } from '../../stores/task-store'
import { NO_FILTER } from '../../stores/view-filter'
import { AGE_MS, REFRESH_MS, runProjectWindow, type WindowResult } from './use-project-window'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0)
const ago = (ms: number) => new Date(NOW - ms).toISOString()

let tasks: TaskStore
let wall: number
let perf: number
const clock = { now: () => wall, perf: () => perf }

beforeEach(() => {
  vi.useFakeTimers()
  tasks = createTaskStore()
  wall = NOW
  perf = 0
})
afterEach(() => vi.useRealTimers())

function failedTask(id: string, finishedAgoMs: number) {
  return makeTask({
    task_id: id,
    project_id: 'p',
    status: 'failed',
    updated_at: ago(finishedAgoMs),
    finished_at: ago(finishedAgoMs),
  })
}

describe('runProjectWindow', () => {
  it('feeds the tasks in slices and publishes one whole result', async () => {
    tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: Array.from({ length: 5000 }, (_, i) => failedTask(`t${i}`, 60_000 + i)),
      },
    ])
    const results: WindowResult[] = []
    // Every clock read costs 3 ms of "work": a slice (5 ms budget) ends after two batches of 512.
    const slowClock = {
      now: () => wall,
      perf: () => {
        perf += 3
        return perf
      },
    }
    const spy = vi.spyOn(globalThis, 'setTimeout')
    const runner = runProjectWindow(tasks, '24h', NO_FILTER, (r) => results.push(r), slowClock)
    // (A fake timer of 0 ms fires on the next advance of 1 ms.)
    for (let i = 0; i < 20 && results.length === 0; i++) await vi.advanceTimersByTimeAsync(1)
    const yields = spy.mock.calls.filter(([, ms]) => ms === 0).length
    spy.mockRestore()
    expect(results).toHaveLength(1)
    expect(results[0]!.stats.get('p')!.failed).toBe(5000)
    expect(results[0]!.stats.get('p')!.unacknowledged).toBe(5000)
    expect(yields).toBe(4) // 5,000 tasks in slices of 1,024: five slices
    runner.stop()
  })

  it('under a stream of updates, computes at most once per REFRESH_MS, and includes the last update', async () => {
    tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [failedTask('a', 60_000)] }])
    const results: WindowResult[] = []
    const runner = runProjectWindow(tasks, '24h', NO_FILTER, (r) => results.push(r), clock)
    await vi.advanceTimersByTimeAsync(0)
    expect(results).toHaveLength(1)
    // 50 updates a second for 3 seconds.
    for (let i = 0; i < 150; i++) {
      tasks.getState().applyBatch([{ kind: 'update', msg: updateMsg(failedTask(`u${i}`, 1000), i + 2) }])
      perf += 20
      await vi.advanceTimersByTimeAsync(20)
    }
    await vi.advanceTimersByTimeAsync(REFRESH_MS)
    perf += REFRESH_MS
    await vi.advanceTimersByTimeAsync(REFRESH_MS)
    expect(results.length).toBeGreaterThanOrEqual(3)
    expect(results.length).toBeLessThanOrEqual(5)
    expect(results.at(-1)!.stats.get('p')!.failed).toBe(151)
    runner.stop()
  })

  it('recomputes as time passes, so failures age out of the window without any update', async () => {
    tasks
      .getState()
      .applyBatch([{ kind: 'snapshot', seq: 1, tasks: [failedTask('a', 24 * 3600_000 - 10_000)] }])
    const results: WindowResult[] = []
    const runner = runProjectWindow(tasks, '24h', NO_FILTER, (r) => results.push(r), clock)
    await vi.advanceTimersByTimeAsync(0)
    expect(results.at(-1)!.stats.get('p')!.unacknowledged).toBe(1)
    wall += AGE_MS
    perf += AGE_MS
    await vi.advanceTimersByTimeAsync(AGE_MS)
    expect(results.at(-1)!.stats.get('p')!.unacknowledged).toBe(0)
    runner.stop()
    const count = results.length
    tasks.getState().applyBatch([{ kind: 'update', msg: updateMsg(failedTask('b', 1), 2) }])
    await vi.advanceTimersByTimeAsync(AGE_MS * 2)
    expect(results).toHaveLength(count)
  })
})
