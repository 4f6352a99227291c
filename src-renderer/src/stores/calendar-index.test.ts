// The calendar index: per-day status counts and per-agent day buckets, kept incrementally from
// the task store's changed ids (no rescan), and the revisions that tell one row it changed.
import { describe, expect, it } from 'vitest'
import { createTaskStore } from './task-store'
import { calendarIndexFor, createCalendarIndex, dayKeysBetween } from './calendar-index'
import { localDayKey } from './placement'
import { makeTask, updateMsg } from '../../../test/fakes/renderer/fake-socket'

const at = (d: number, h = 0, m = 0) => new Date(2026, 10, d, h, m).getTime()
const iso = (ms: number) => new Date(ms).toISOString()

function run(
  id: string,
  agent: string,
  day: number,
  h: number,
  status: 'completed' | 'failed' | 'running',
  hours = 1,
) {
  return makeTask({
    task_id: id,
    assignee: agent,
    project_id: agent.startsWith('a') ? 'web' : 'etl',
    status,
    started_at: iso(at(day, h)),
    finished_at: status === 'running' ? null : iso(at(day, h) + hours * 3600_000),
    updated_at: iso(at(day, h) + hours * 3600_000),
  })
}

describe('calendar index', () => {
  it('counts each day by status and project, and moves a task between days and statuses', () => {
    const store = createTaskStore()
    store.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          run('a', 'alpha', 3, 9, 'completed'),
          run('b', 'alpha', 3, 11, 'failed'),
          run('c', 'beta', 3, 13, 'completed'),
          run('d', 'beta', 4, 9, 'completed'),
        ],
      },
    ])
    const index = calendarIndexFor(store)
    expect(calendarIndexFor(store)).toBe(index)
    const day3 = localDayKey(at(3))
    expect(index.dayCounts(day3)?.get('web')).toMatchObject({ completed: 1, failed: 1 })
    expect(index.dayCounts(day3)?.get('etl')).toMatchObject({ completed: 1 })
    expect(index.agents()).toEqual(['alpha', 'beta'])

    const alphaRev = index.agentRev('alpha')
    const betaRev = index.agentRev('beta')
    const countsRev = index.countsRev()
    // Task a fails on the 5th instead: one update, the index follows it.
    const moved = run('a', 'alpha', 5, 9, 'failed')
    store.getState().applyBatch([{ kind: 'update', msg: updateMsg(moved, 2) }])
    expect(index.dayCounts(day3)?.get('web')).toMatchObject({ completed: 0, failed: 1 })
    expect(index.dayCounts(localDayKey(at(5)))?.get('web')).toMatchObject({ failed: 1 })
    expect(index.get('a')?.task).toBe(store.getState().tasks.get('a'))
    // Only alpha's row and the counts moved on.
    expect(index.agentRev('alpha')).toBe(alphaRev + 1)
    expect(index.agentRev('beta')).toBe(betaRev)
    expect(index.countsRev()).toBe(countsRev + 1)

    // An output line changes no count: the counts revision stays (the month does not re-render).
    const logged = { ...store.getState().tasks.get('c')!, output: 'more', updated_at: iso(at(3, 15)) }
    store.getState().applyBatch([{ kind: 'update', msg: updateMsg(logged, 3) }])
    expect(index.countsRev()).toBe(countsRev + 1)
    expect(index.agentRev('beta')).toBe(betaRev + 1)
  })

  it('finds an agent’s runs overlapping a window, including runs begun days before and open runs', () => {
    const index = createCalendarIndex()
    index.load([
      run('multi', 'alpha', 1, 20, 'completed', 60), // 1st 20:00 → 4th 08:00
      run('open', 'alpha', 2, 6, 'running'), // still running
      run('in', 'alpha', 3, 10, 'completed'),
      run('other', 'beta', 3, 10, 'completed'),
      run('before', 'alpha', 1, 8, 'completed'),
    ])
    const ids = (from: number, to: number, now: number) =>
      index
        .agentTasksIn('alpha', from, to, now)
        .map((p) => p.id)
        .sort()
    expect(ids(at(3), at(4), at(3, 12))).toEqual(['in', 'multi', 'open'])
    // The open run ends "now": before it started, nothing; the window after now does not have it.
    expect(ids(at(5), at(6), at(3, 12))).toEqual([])
    expect(ids(at(5), at(6), at(5, 12))).toEqual(['open'])
    expect(ids(at(1, 7), at(1, 9), at(5))).toEqual(['before'])
    expect(
      index
        .tasksIn(at(3), at(4), at(3, 12))
        .map((p) => p.id)
        .sort(),
    ).toEqual(['in', 'multi', 'open', 'other'])
  })

  it('reloads on a new snapshot and ignores batches that changed nothing', () => {
    const store = createTaskStore()
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: [run('a', 'alpha', 3, 9, 'completed')] }])
    const index = calendarIndexFor(store)
    const rev = index.rev()
    store.getState().applyBatch([{ kind: 'synced', seq: 1 }])
    expect(index.rev()).toBe(rev)
    store.getState().applyBatch([{ kind: 'snapshot', seq: 5, tasks: [run('z', 'zeta', 4, 9, 'failed')] }])
    expect(index.agents()).toEqual(['zeta'])
    expect(index.get('a')).toBeUndefined()
    // A later snapshot page adds to it (changed ids, no reload).
    store
      .getState()
      .applyBatch([{ kind: 'snapshot', seq: 5, first: false, tasks: [run('y', 'alpha', 4, 7, 'completed')] }])
    expect(index.agents()).toEqual(['alpha', 'zeta'])
  })

  it('steps local days across a range', () => {
    expect(dayKeysBetween(at(30, 23), at(30, 23) + 3 * 86_400_000)).toEqual([
      localDayKey(at(30)),
      localDayKey(at(31)),
      localDayKey(at(32)),
      localDayKey(at(33)),
    ])
  })
})
