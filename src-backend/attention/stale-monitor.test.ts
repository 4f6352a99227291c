import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src-shared/protocol'
import { createStaleMonitor, staleEventFor, type StaleCandidate } from './stale-monitor'
import { createThresholdResolver } from './stale-threshold'

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0)
const iso = (ms: number) => new Date(ms).toISOString()

const candidate = (over: Partial<StaleCandidate> = {}): StaleCandidate => ({
  task_id: 't1',
  assignee: 'agent-a',
  updated_at: iso(T0),
  last_event_id: 'e1',
  stale_after_seconds: null,
  ...over,
})

describe('stale mark', () => {
  it('is due once the last update is older than the threshold, with a deterministic id and time', () => {
    expect(staleEventFor(candidate(), 60, new Date(T0 + 59_999))).toBeNull()
    const mark = staleEventFor(candidate(), 60, new Date(T0 + 75_000))
    expect(mark).toMatchObject({
      event_id: 'stale:t1:e1',
      task_id: 't1',
      // The time it turned stale, not when this backend looked: every backend writes the same.
      updated_at: iso(T0 + 60_000),
      fields: {},
      source: 'monitor',
      stale: { since: iso(T0 + 60_000), basis_event_id: 'e1' },
    })
  })
})

describe('stale monitor', () => {
  function setup(candidates: StaleCandidate[]) {
    let now = T0
    const submitted: TaskEvent[] = []
    const cutoffs: string[] = []
    const monitor = createStaleMonitor({
      candidates: (cutoff) => {
        cutoffs.push(cutoff)
        return candidates
      },
      thresholds: createThresholdResolver({ historyOfAgent: () => [], defaultSeconds: 900, now: () => now }),
      submit: (event) => {
        submitted.push(event)
        return Promise.resolve()
      },
      now: () => new Date(now),
      intervalMs: 5000,
      log: { warn: () => {} },
    })
    return { monitor, submitted, cutoffs, setNow: (ms: number) => (now = ms) }
  }

  it('marks the tasks past their own or the default threshold, and asks with the cut-off', async () => {
    const { monitor, submitted, cutoffs, setNow } = setup([
      candidate({ task_id: 'own', stale_after_seconds: 2 }),
      candidate({ task_id: 'default' }),
    ])
    setNow(T0 + 3000)
    expect(await monitor.check()).toBe(1)
    expect(submitted.map((e) => e.task_id)).toEqual(['own'])
    expect(cutoffs).toEqual([iso(T0 + 3000 - 60_000)])
    setNow(T0 + 901_000)
    expect(await monitor.check()).toBe(2)
    expect(submitted.map((e) => e.event_id)).toEqual(['stale:own:e1', 'stale:own:e1', 'stale:default:e1'])
  })

  it('runs one check at a time, and a failed commit is retried at the next check', async () => {
    let fail = true
    const submitted: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const monitor = createStaleMonitor({
      candidates: () => [candidate({ stale_after_seconds: 1 })],
      thresholds: createThresholdResolver({ historyOfAgent: () => [], defaultSeconds: 900, now: () => T0 }),
      submit: async (event) => {
        await gate
        submitted.push(event.event_id)
        if (fail) throw new Error('disk full')
      },
      now: () => new Date(T0 + 5000),
      intervalMs: 5000,
      log: { warn: () => {} },
    })
    const first = monitor.check()
    expect(monitor.check()).toBe(first) // the same check, not a second one
    release()
    expect(await first).toBe(0)
    fail = false
    expect(await monitor.check()).toBe(1)
    expect(submitted).toEqual(['stale:t1:e1', 'stale:t1:e1'])
    await monitor.stop()
  })
})
