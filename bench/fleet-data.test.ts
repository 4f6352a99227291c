// The fleet generator the ui-scale bench streams and the e2e fixture builds from
// (bench/lib/fleet-data.mjs): the same seed gives the same fleet, and the e2e fleet is pinned —
// the README's and the fleet e2e's screenshots show exactly it, so a change that shifts the
// generator's draws must be a deliberate one (new screenshots), not a side effect.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fleetSource, liveUpdates, SEARCH_QUERIES } from './lib/fleet-data.mjs'
import { buildFleet } from '../test/e2e/fleet-fixture'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0)
const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex')

describe('fleet data', () => {
  it('is the same fleet for the same seed, another for another seed', () => {
    const a = [...fleetSource().tasks(NOW, 500)]
    const b = [...fleetSource().tasks(NOW, 500)]
    expect(a).toEqual(b)
    expect(sha([...fleetSource({ seed: 1 }).tasks(NOW, 500)])).not.toBe(sha(a))
  })

  it('builds the e2e fleet the screenshots show (pinned)', () => {
    const fleet = buildFleet(NOW)
    expect(fleet.updates).toHaveLength(9735)
    expect(fleet.taskCount).toBe(5004)
    expect(fleet.longTitleTaskId).toBe('fleet-00007')
    expect(fleet.failedTaskId).toBe('fleet-00485')
    expect(sha(fleet)).toBe('0e73d300ec823e9b60ce937145209227699e4746bb3ee696d713b8ea5a9fde43')
  })

  it("gives the bench's ids and tells which tasks each search query must find", () => {
    const tasks = [
      ...fleetSource({ taskId: (i) => `uis-${i}`, eventId: (n) => `uis-e${n}` }).tasks(NOW, 2000),
    ]
    expect(tasks[0]!.taskId).toBe('uis-0')
    expect(tasks.every((t) => t.final.lastEventId === t.updates.at(-1)!.event_id)).toBe(true)
    for (const q of SEARCH_QUERIES) expect(tasks.some((t) => q.matches(t.final))).toBe(true)
    // Live traffic never matches a query: the search phase knows its results from the seed.
    const next = liveUpdates(7)
    for (let i = 0; i < 2000; i++) {
      const u = next(NOW + i)
      for (const q of SEARCH_QUERIES)
        expect(q.matches({ title: u.title ?? '', error: u.error, lastEventId: '' })).toBe(false)
    }
  })
})
