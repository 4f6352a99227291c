import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render } from '@testing-library/react'
import { eventsInRange } from '../../stores/calendar-events'
import { EVENT_TEXT } from './event-text'
import { createTaskStore } from '../../stores/task-store'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { StatusBadge } from '../../components/StatusBadge'

describe('calendar events', () => {
  it('collects the tasks placed in the visible range, with status and icon', () => {
    const store = createTaskStore()
    store.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          makeTask({
            task_id: 'in',
            title: 'Deploy',
            status: 'failed',
            scheduled_at: new Date(2026, 10, 10, 9).toISOString(),
          }),
          makeTask({ task_id: 'out', scheduled_at: new Date(2026, 11, 10, 9).toISOString() }),
          makeTask({
            task_id: 'run',
            status: 'completed',
            started_at: new Date(2026, 10, 12, 8).toISOString(),
            finished_at: new Date(2026, 10, 12, 9).toISOString(),
          }),
        ],
      },
    ])
    const s = store.getState()
    const ev = eventsInRange(
      s.days,
      s.tasks,
      new Date(2026, 10, 1).getTime(),
      new Date(2026, 10, 30, 23, 59).getTime(),
      0,
    )
    expect(ev.map((e) => e.id).sort()).toEqual(['in', 'run'])
    const deploy = ev.find((e) => e.id === 'in')!
    expect(deploy).toMatchObject({ title: '✕ Deploy', status: 'failed', basis: 'scheduled' })
    expect(ev.find((e) => e.id === 'run')!.basis).toBe('run')
  })
})

describe('multi-day runs that began before the visible range', () => {
  afterEach(() => {
    cleanup()
  })
  const at = (...a: [number, number, number, number?]) => new Date(a[0], a[1], a[2], a[3] ?? 0).getTime()
  const iso = (ms: number) => new Date(ms).toISOString()
  // The week of Sunday 1 – Saturday 7 November 2026 (local time).
  const from = at(2026, 10, 1)
  const to = at(2026, 10, 7, 23) + 59 * 60_000
  /** Does the event cover some part of local day `d` (its [00:00, 24:00))? */
  const onDay = (e: { start: Date; end: Date }, day: number) =>
    e.start.getTime() < at(2026, 10, day + 1) && e.end.getTime() > at(2026, 10, day)

  function storeWith(tasks: ReturnType<typeof makeTask>[]) {
    const store = createTaskStore()
    store.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    return store
  }

  it('shows a run that started before the range, clipped, in every visible day it spans', () => {
    const store = storeWith([
      makeTask({
        task_id: 'long',
        status: 'completed',
        started_at: iso(at(2026, 9, 29, 20)),
        finished_at: iso(at(2026, 10, 3, 10)),
        updated_at: iso(at(2026, 10, 3, 10)),
      }),
      // Ended before the range: not shown.
      makeTask({
        task_id: 'before',
        status: 'failed',
        started_at: iso(at(2026, 9, 28, 20)),
        finished_at: iso(at(2026, 9, 30, 10)),
        updated_at: iso(at(2026, 9, 30, 10)),
      }),
      // Still running since last month: reaches "now" (5 November, noon).
      makeTask({
        task_id: 'stuck',
        status: 'running',
        started_at: iso(at(2026, 9, 20, 8)),
        updated_at: iso(at(2026, 9, 20, 8)),
      }),
      // A schedule across the range start.
      makeTask({
        task_id: 'sched',
        scheduled_at: iso(at(2026, 9, 31, 22)),
        due_at: iso(at(2026, 10, 1, 6)),
      }),
    ])
    const s = store.getState()
    const ev = eventsInRange(s.days, s.tasks, from, to, at(2026, 10, 5, 12), s.spanning)
    const byId = new Map(ev.map((e) => [e.id, e]))
    expect([...byId.keys()].sort()).toEqual(['long', 'sched', 'stuck'])
    expect(ev).toHaveLength(3)

    const long = byId.get('long')!
    expect(long.start.getTime()).toBe(from)
    expect(long.end.getTime()).toBe(at(2026, 10, 3, 10))
    expect([1, 2, 3, 4, 5, 6, 7].filter((d) => onDay(long, d))).toEqual([1, 2, 3])
    expect(long).toMatchObject({ status: 'completed', basis: 'run' })

    const stuck = byId.get('stuck')!
    expect(stuck.start.getTime()).toBe(from)
    expect([1, 2, 3, 4, 5, 6, 7].filter((d) => onDay(stuck, d))).toEqual([1, 2, 3, 4, 5])

    expect([1, 2, 3].filter((d) => onDay(byId.get('sched')!, d))).toEqual([1])
    expect(byId.get('sched')!.basis).toBe('scheduled')
  })

  it('keeps the spanning index current: a run that finishes the day it started leaves it', () => {
    const store = storeWith([
      makeTask({
        task_id: 'r',
        status: 'running',
        started_at: iso(at(2026, 9, 31, 9)),
        updated_at: iso(at(2026, 9, 31, 9)),
      }),
    ])
    expect([...store.getState().spanning]).toEqual(['r'])
    const done = makeTask({
      task_id: 'r',
      status: 'completed',
      started_at: iso(at(2026, 9, 31, 9)),
      finished_at: iso(at(2026, 9, 31, 11)),
      updated_at: iso(at(2026, 9, 31, 11)),
    })
    store.getState().applyBatch([{ kind: 'update', msg: updateMsg(done, 2, 'running') }])
    const s = store.getState()
    expect(s.spanning.size).toBe(0)
    expect(eventsInRange(s.days, s.tasks, from, to, at(2026, 10, 5), s.spanning)).toEqual([])
  })
})

describe('status colours', () => {
  it('uses the reference colours', () => {
    expect(STATUS_STYLES.pending.color).toBe('#3B82F6')
    expect(STATUS_STYLES.running.color).toBe('#F59E0B')
    expect(STATUS_STYLES.completed.color).toBe('#10B981')
    expect(STATUS_STYLES.failed.color).toBe('#EF4444')
    expect(Object.keys(EVENT_TEXT).sort()).toEqual(['completed', 'failed', 'pending', 'running', 'waiting'])
  })
  it('never shows status by colour alone: the badge has a glyph and a word', () => {
    const { container } = render(<StatusBadge status="failed" />)
    const badge = container.querySelector('[data-status="failed"]')!
    expect(badge.textContent).toBe('✕Failed')
    expect(badge.getAttribute('aria-label')).toBe('Status: Failed')
    expect(badge.className).toContain('badge-failed')
  })
})
