// The Projects window maths: what counts, the failure rate, "% done" over tasks that were due, the
// failures listed and the red mark, at the window's edges.
import { describe, expect, it } from 'vitest'
import { makeTask } from '../../../../test/fakes/renderer/fake-socket'
import type { Task } from '../../../../src-shared/task-model'
import { LISTED, projectWindowStats, WINDOW_MS } from './project-window'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0)
const HOUR = 3600_000
const DAY = 24 * HOUR
const ago = (ms: number) => new Date(NOW - ms).toISOString()

let n = 0
/** A task of project p, last updated `updatedAgo` before NOW. */
function task(p: string | null, over: Partial<Task> & { updatedAgo: number }): Task {
  const { updatedAgo, ...rest } = over
  return makeTask({ task_id: `t${n++}`, project_id: p, updated_at: ago(updatedAgo), ...rest })
}

const failed = (p: string, finishedAgo: number, over: Partial<Task> = {}) =>
  task(p, { status: 'failed', updatedAgo: finishedAgo, finished_at: ago(finishedAgo), ...over })
const completed = (p: string, finishedAgo: number, over: Partial<Task> = {}) =>
  task(p, { status: 'completed', updatedAgo: finishedAgo, finished_at: ago(finishedAgo), ...over })

describe('project window stats', () => {
  it('counts tasks finished in the window and every open task, by status (waiting too)', () => {
    const s = projectWindowStats(
      [
        completed('a', HOUR),
        completed('a', 2 * DAY), // outside 24 h
        task('a', { status: 'running', updatedAgo: 10 * DAY }), // open: counts
        task('a', { status: 'waiting', updatedAgo: 3 * DAY }),
        task('a', { status: 'pending', updatedAgo: 40 * DAY }),
        failed('a', 5 * HOUR),
      ],
      '24h',
      NOW,
    ).get('a')!
    expect(s.counts).toEqual({ pending: 1, running: 1, waiting: 1, completed: 1, failed: 1 })
    expect(s.total).toBe(5)
  })

  it('failure rate: failed over finished in the window', () => {
    const tasks = [
      completed('a', HOUR),
      completed('a', 2 * HOUR),
      completed('a', 3 * HOUR),
      failed('a', 4 * HOUR),
      failed('a', 3 * DAY), // in 7 d, not in 24 h
      task('a', { status: 'running', updatedAgo: HOUR }), // not finished: not in the rate
    ]
    const day = projectWindowStats(tasks, '24h', NOW).get('a')!
    expect([day.failed, day.finished, day.failureRate]).toEqual([1, 4, 0.25])
    const week = projectWindowStats(tasks, '7d', NOW).get('a')!
    expect([week.failed, week.finished, week.failureRate]).toEqual([2, 5, 0.4])
    expect(
      projectWindowStats([task('b', { status: 'running', updatedAgo: 1 })], '24h', NOW).get('b')!.failureRate,
    ).toBe(null)
  })

  it('a finished task is placed by finished_at, not by a later update', () => {
    // Failed 3 days ago, acknowledged (an update) an hour ago: not a failure of the last 24 h.
    const t = failed('a', 3 * DAY, { updated_at: ago(HOUR), acknowledged_at: ago(HOUR) })
    const s = projectWindowStats([t], '24h', NOW).get('a')!
    expect(s.failed).toBe(0)
    expect(s.failures).toEqual([])
    expect(s.counts.failed).toBe(0)
    expect(s.total).toBe(0)
  })

  it('"% done" is over tasks that were due in the window; future and undated tasks do not count', () => {
    const tasks = [
      completed('a', 2 * HOUR, { due_at: ago(HOUR) }), // due in window, done
      completed('a', 30 * HOUR, { due_at: ago(20 * HOUR) }), // due in window, done before the window
      task('a', { status: 'running', updatedAgo: HOUR, due_at: ago(3 * HOUR) }), // due, not done: overdue
      failed('a', HOUR, { due_at: ago(2 * HOUR) }), // due, failed: not done
      task('a', { status: 'pending', updatedAgo: HOUR, due_at: new Date(NOW + DAY).toISOString() }), // future
      task('a', { status: 'pending', updatedAgo: HOUR }), // no due date
      completed('a', HOUR, { due_at: ago(2 * DAY) }), // due before the window
    ]
    const s = projectWindowStats(tasks, '24h', NOW).get('a')!
    expect([s.dueDone, s.due, s.donePct]).toEqual([2, 4, 50])
    expect(projectWindowStats([completed('b', HOUR)], '24h', NOW).get('b')!.donePct).toBeNull()
  })

  it('red mark only for unacknowledged failures in the window', () => {
    const old = failed('old', 42 * DAY) // six weeks ago, never acknowledged
    const acked = failed('acked', HOUR, { acknowledged_at: ago(HOUR / 2), updated_at: ago(HOUR / 2) })
    const ackedBefore = failed('again', HOUR, { acknowledged_at: ago(2 * HOUR) }) // an ack of an earlier failure
    const fresh = failed('fresh', HOUR)
    const s = projectWindowStats([old, acked, ackedBefore, fresh], '24h', NOW)
    expect(s.get('old')!.unacknowledged).toBe(0)
    expect(s.get('acked')!.unacknowledged).toBe(0)
    expect(s.get('again')!.unacknowledged).toBe(1)
    expect(s.get('fresh')!.unacknowledged).toBe(1)
    // In a 30 d window the six-week-old failure is still outside; in none is it red.
    expect(projectWindowStats([old], '30d', NOW).get('old')!.unacknowledged).toBe(0)
  })

  it('window edges: the start and now are inside, a millisecond earlier or later is not', () => {
    const w = WINDOW_MS['24h']
    const atStart = failed('a', w)
    const beforeStart = failed('a', w + 1)
    const atNow = failed('a', 0)
    const future = failed('a', -1)
    const s = projectWindowStats([atStart, beforeStart, atNow, future], '24h', NOW).get('a')!
    expect(s.failures.map((t) => t.task_id).sort()).toEqual([atStart.task_id, atNow.task_id].sort())
  })

  it('lists the newest failures first, at most LISTED, and counts them all', () => {
    const tasks = Array.from({ length: 50 }, (_, i) => failed('a', (i + 1) * 60_000))
    const s = projectWindowStats(tasks.slice().reverse(), '24h', NOW).get('a')!
    expect(s.failed).toBe(50)
    expect(s.failures.map((t) => t.task_id)).toEqual(tasks.slice(0, LISTED).map((t) => t.task_id))
  })

  it('filters narrow the tasks; matches are listed from any time; every store project shows unfiltered', () => {
    const hit = failed('a', 10 * DAY, { error: 'OutOfMemoryError' })
    const other = completed('b', HOUR)
    const matches = new Set([hit.task_id])
    const s = projectWindowStats([hit, other], '24h', NOW, {
      pass: (t) => matches.has(t.task_id),
      matches,
    })
    expect([...s.keys()]).toEqual(['a'])
    expect(s.get('a')!.matches.map((t) => t.task_id)).toEqual([hit.task_id])
    expect(s.get('a')!.matchCount).toBe(1)
    expect(s.get('a')!.failed).toBe(0) // ten days ago: outside the window
    const all = projectWindowStats([other], '24h', NOW, { projectKeys: ['a', 'b', ''] })
    expect([...all.keys()].sort()).toEqual(['', 'a', 'b'])
    expect(all.get('a')!.total).toBe(0)
  })

  it('tasks without a project go under the empty key', () => {
    const s = projectWindowStats([task(null, { status: 'running', updatedAgo: 1 })], '24h', NOW)
    expect(s.get('')!.counts.running).toBe(1)
  })
})
