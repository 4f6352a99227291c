import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AGENT_POLICY,
  createThresholdResolver,
  gapsWhileRunning,
  percentile,
  thresholdFromGaps,
  type HistoryEvent,
} from './stale-threshold'

const at = (s: number): string => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + s * 1000).toISOString()

/** A task that runs with an update every `gapS` seconds, `n` gaps in all. */
function runningTask(taskId: string, gapS: number, n: number, startS = 0): HistoryEvent[] {
  const events: HistoryEvent[] = [{ task_id: taskId, status: 'running', updated_at: at(startS) }]
  for (let i = 1; i <= n; i++)
    events.push({ task_id: taskId, status: null, updated_at: at(startS + i * gapS) })
  return events
}

describe('gaps between updates of running tasks', () => {
  it('counts only gaps after which the task was running, per task, in time order', () => {
    const events: HistoryEvent[] = [
      { task_id: 'a', status: null, updated_at: at(0) }, // unknown state: the gap after it is not counted
      { task_id: 'a', status: 'running', updated_at: at(10) },
      { task_id: 'a', status: null, updated_at: at(40) }, // 30 s while running
      { task_id: 'a', status: 'completed', updated_at: at(100) }, // 60 s while running
      { task_id: 'a', status: null, updated_at: at(1000) }, // after completion: not counted
      { task_id: 'b', status: 'pending', updated_at: at(0) },
      { task_id: 'b', status: 'running', updated_at: at(5) },
      { task_id: 'b', status: null, updated_at: at(25) }, // 20 s while running
    ]
    // Given shuffled, the answer is the same.
    expect(gapsWhileRunning([...events].reverse()).sort((x, y) => x - y)).toEqual([20_000, 30_000, 60_000])
  })
})

describe('threshold from an agent history', () => {
  it('is the nearest-rank percentile times the factor, clamped', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.95)).toBe(5)
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3)
    expect(percentile([], 0.5)).toBeNull()
    const gaps = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000) // 1 s … 100 s
    // p95 = 95 s, × 3 = 285 s.
    expect(thresholdFromGaps(gaps)).toBe(285)
    // Fast agents get at least a minute; slow ones at most a day.
    expect(thresholdFromGaps(Array<number>(50).fill(1000))).toBe(DEFAULT_AGENT_POLICY.minSeconds)
    expect(thresholdFromGaps(Array<number>(50).fill(20 * 3600_000))).toBe(DEFAULT_AGENT_POLICY.maxSeconds)
  })
  it('says nothing with too few samples', () => {
    expect(thresholdFromGaps(Array<number>(19).fill(100_000))).toBeNull()
    expect(thresholdFromGaps(Array<number>(20).fill(100_000))).toBe(300)
  })
})

describe('threshold resolver', () => {
  function setup(history: Record<string, HistoryEvent[]>) {
    let now = 0
    const reads: string[] = []
    const resolver = createThresholdResolver({
      historyOfAgent: (agent) => {
        reads.push(agent)
        return history[agent] ?? []
      },
      defaultSeconds: 900,
      now: () => now,
    })
    return { resolver, reads, advance: (ms: number) => (now += ms) }
  }

  it("takes the task's own threshold first, then the agent's history, then the default", () => {
    const { resolver } = setup({ steady: runningTask('s1', 40, 30) })
    expect(resolver.thresholdFor({ assignee: 'steady', stale_after_seconds: 2 })).toEqual({
      seconds: 2,
      source: 'task',
    })
    expect(resolver.thresholdFor({ assignee: 'steady', stale_after_seconds: null })).toEqual({
      seconds: 120, // 40 s × 3
      source: 'agent',
    })
    expect(resolver.thresholdFor({ assignee: 'new-agent', stale_after_seconds: null })).toEqual({
      seconds: 900,
      source: 'default',
    })
    expect(resolver.thresholdFor({ assignee: null, stale_after_seconds: null })).toEqual({
      seconds: 900,
      source: 'default',
    })
  })

  it('reads an agent history at most once a minute', () => {
    const history: Record<string, HistoryEvent[]> = { a: runningTask('t1', 40, 30) }
    const { resolver, reads, advance } = setup(history)
    const ask = () => resolver.thresholdFor({ assignee: 'a', stale_after_seconds: null })
    expect(ask().seconds).toBe(120)
    advance(30_000)
    history.a = runningTask('t1', 100, 30) // the agent slowed down
    expect(ask().seconds).toBe(120) // cached
    expect(reads).toEqual(['a'])
    advance(30_000)
    expect(ask().seconds).toBe(300) // a minute on: recomputed
    expect(reads).toEqual(['a', 'a'])
  })

  it('spreads recomputations of known agents: at most the budget per second, the old value meanwhile', () => {
    let now = 0
    const reads: string[] = []
    const resolver = createThresholdResolver({
      historyOfAgent: (agent) => {
        reads.push(agent)
        return runningTask(`${agent}-t`, 40, 30)
      },
      defaultSeconds: 900,
      now: () => now,
      maxRecomputesPerSecond: 2,
    })
    const agents = ['a', 'b', 'c', 'd', 'e']
    const askAll = () =>
      agents.map((a) => resolver.thresholdFor({ assignee: a, stale_after_seconds: null }).seconds)
    expect(askAll()).toEqual([120, 120, 120, 120, 120]) // first sight: all computed
    expect(reads).toHaveLength(5)
    now = 60_000
    expect(askAll()).toEqual([120, 120, 120, 120, 120]) // all due, two recomputed, three served old
    expect(reads).toHaveLength(7)
    now = 61_000
    askAll()
    expect(reads).toHaveLength(9)
    now = 62_000
    askAll()
    expect(reads.slice(5).sort()).toEqual(agents)
  })

  it("gives the monitor's cut-off: the smallest threshold a task without its own can get", () => {
    const { resolver } = setup({})
    expect(resolver.floorSeconds()).toBe(60)
    const low = createThresholdResolver({ historyOfAgent: () => [], defaultSeconds: 5, now: () => 0 })
    expect(low.floorSeconds()).toBe(5)
  })
})
