// Upcoming schedule occurrences per day for the month (and the shared filter, fetch range and
// agenda merge), in a time zone with DST: the renderer counts by its own local day, so this file
// runs in Europe/Berlin (set below, checked before anything else) where 29 March 2026 has 23
// hours and 25 October 2026 has 25. The month grid is rendered with those counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import type { ScheduleOccurrence } from '../../net/schedules-api'
import { calendarIndexFor } from '../../stores/calendar-index'
import { NONE } from '../../stores/task-store'
import { makeParts } from '../../../../test/fakes/renderer/parts'
import { makeTask } from '../../../../test/fakes/renderer/fake-socket'
import type { CalendarFilter } from './filters'
import { countByDay, fetchRange, groupByAgent, occurrencePasses } from './schedule-occurrences'
import { MonthView, monthRange } from './MonthView'
import { agendaRows } from './AgendaView'

const H = 3600_000
const DAY = 24 * H
const savedTz = process.env.TZ
process.env.TZ = 'Europe/Berlin'

beforeAll(() => {
  // Node applies a TZ set at run time; if it did not, every DST expectation below would be void.
  expect(new Date(2026, 2, 28, 12).getTimezoneOffset()).toBe(-60)
  expect(new Date(2026, 2, 29, 12).getTimezoneOffset()).toBe(-120)
})
afterAll(() => {
  cleanup()
  if (savedTz === undefined) delete process.env.TZ
  else process.env.TZ = savedTz
})

function occ(at: string, over: Partial<ScheduleOccurrence> = {}): ScheduleOccurrence {
  return {
    schedule_id: 'hourly',
    title: 'Hourly sync',
    assignee: 'sync-bot',
    project_id: 'data',
    at,
    deadline: new Date(Date.parse(at) + 300_000).toISOString(),
    ...over,
  }
}

/** An occurrence every hour on the hour (UTC instants) in [fromIso, toIso). */
function hourly(fromIso: string, toIso: string): ScheduleOccurrence[] {
  const out: ScheduleOccurrence[] = []
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += H) out.push(occ(new Date(t).toISOString()))
  return out
}

const ALL: CalendarFilter = { status: 'all', project: 'all', agent: 'all', matches: null }

describe('occurrences per local day', () => {
  it('a spring-forward day holds 23 hourly runs, its neighbours 24', () => {
    // Berlin midnight 28 March (CET, UTC+1) to midnight 31 March (CEST, UTC+2).
    const byDay = countByDay(hourly('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z'))
    expect(Object.fromEntries(byDay)).toEqual({ '2026-03-28': 24, '2026-03-29': 23, '2026-03-30': 24 })
  })

  it('a fall-back day holds 25', () => {
    // Berlin midnight 24 October (CEST) to midnight 27 October (CET).
    const byDay = countByDay(hourly('2026-10-23T22:00:00Z', '2026-10-26T23:00:00Z'))
    expect(Object.fromEntries(byDay)).toEqual({ '2026-10-24': 24, '2026-10-25': 25, '2026-10-26': 24 })
  })

  it("counts a run on the renderer's local day, not the UTC day", () => {
    const byDay = countByDay([
      // 01:30 CET on the 29th (still the 28th in UTC).
      occ('2026-03-28T23:30:00Z'),
      // 00:30 CEST on the 30th (the 29th in UTC).
      occ('2026-03-29T22:30:00Z'),
      // 23:30 CEST on the 29th.
      occ('2026-03-29T21:30:00Z'),
    ])
    expect(Object.fromEntries(byDay)).toEqual({ '2026-03-29': 2, '2026-03-30': 1 })
  })

  it('the month grid spans 42 local days: an hour short across spring-forward, an hour over across fall-back', () => {
    const march = monthRange(new Date(2026, 2, 15).getTime())
    expect(new Date(march.fromMs).toString()).toMatch(/^Mon Feb 23 2026 00:00:00/)
    expect(new Date(march.toMs).toString()).toMatch(/^Mon Apr 06 2026 00:00:00/)
    expect(march.toMs - march.fromMs).toBe(42 * DAY - H)
    const october = monthRange(new Date(2026, 9, 15).getTime())
    expect(new Date(october.fromMs).toString()).toMatch(/^Mon Sep 28 2026 00:00:00/)
    expect(october.toMs - october.fromMs).toBe(42 * DAY + H)
  })
})

describe('the month grid with scheduled runs', () => {
  it('a day shows its upcoming runs outlined beside its totals, named for a screen reader', () => {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          // A missed run of the schedule on the 29th: a failed task, counted with the failures.
          makeTask({
            task_id: 'missed:hourly:2026-03-29T08:00:00.000Z',
            assignee: 'sync-bot',
            project_id: 'data',
            schedule_id: 'hourly',
            status: 'failed',
            scheduled_at: '2026-03-29T08:00:00.000Z',
            updated_at: '2026-03-29T08:05:00.000Z',
            error: 'no run started by 10:05 (Europe/Berlin; the run due 2026-03-29 10:00, grace 300 s)',
          }),
        ],
      },
    ])
    const index = calendarIndexFor(parts.tasks)
    const scheduled = countByDay(hourly('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z'))
    const { container } = render(
      <MonthView
        index={index}
        anchorMs={new Date(2026, 2, 15).getTime()}
        nowMs={new Date(2026, 2, 1).getTime()}
        filter={ALL}
        keep={() => true}
        scheduled={scheduled}
        onOpenDay={() => {}}
      />,
    )
    const cell = (day: string) => container.querySelector<HTMLElement>(`.mo-day[data-day="${day}"]`)!
    expect(cell('2026-03-29').querySelector('.mo-sched')!.textContent).toBe('↻ 23 scheduled runs')
    expect(cell('2026-03-28').querySelector<HTMLElement>('.mo-sched')!.dataset.scheduled).toBe('24')
    expect(cell('2026-03-27').querySelector('.mo-sched')).toBeNull()
    // Planned runs are not tasks: not a status chip and not in the strip.
    expect(cell('2026-03-28').querySelectorAll('.mo-count, .mo-strip')).toHaveLength(0)
    // The missed run is a failure of its day, first, beside the day's planned runs.
    expect([...cell('2026-03-29').querySelectorAll('.mo-count')].map((c) => c.textContent)).toEqual([
      '✕ 1 failed,',
    ])
    screen.getByRole('button', { name: 'Sunday 29 March: 1 failed, 23 scheduled runs' })
    screen.getByRole('button', { name: 'Saturday 28 March: no tasks, 24 scheduled runs' })
    screen.getByRole('button', { name: 'Tuesday 31 March: no tasks' })
  })
})

describe('filters, fetch range and the agenda merge', () => {
  it('occurrences are pending work of their assignee and project; a search hides them', () => {
    const o = occ('2026-12-02T10:00:00Z')
    const none = occ('2026-12-02T10:00:00Z', { assignee: null, project_id: null })
    expect(occurrencePasses(ALL, o)).toBe(true)
    expect(occurrencePasses({ ...ALL, status: 'pending' }, o)).toBe(true)
    expect(occurrencePasses({ ...ALL, status: 'failed' }, o)).toBe(false)
    expect(occurrencePasses({ ...ALL, project: 'data' }, o)).toBe(true)
    expect(occurrencePasses({ ...ALL, project: 'web' }, o)).toBe(false)
    expect(occurrencePasses({ ...ALL, agent: 'sync-bot' }, o)).toBe(true)
    expect(occurrencePasses({ ...ALL, agent: 'other' }, o)).toBe(false)
    expect(occurrencePasses({ ...ALL, agent: NONE, project: NONE }, none)).toBe(true)
    expect(occurrencePasses({ ...ALL, matches: new Set(['t1']) }, o)).toBe(false)
    expect([...groupByAgent([o, none]).keys()]).toEqual(['sync-bot', NONE])
  })

  it('asks only for what can still be shown: nothing of a past range, from a day back in the current one', () => {
    const now = Date.parse('2026-03-15T12:00:00Z')
    const march = monthRange(now)
    expect(fetchRange(march.fromMs, march.toMs, now)).toEqual({ from: now - DAY, to: march.toMs })
    const april = monthRange(new Date(2026, 3, 15).getTime())
    expect(fetchRange(april.fromMs, april.toMs, now)).toEqual({ from: april.fromMs, to: april.toMs })
    const january = monthRange(new Date(2026, 0, 15).getTime())
    expect(fetchRange(january.fromMs, january.toMs, now)).toBeNull()
  })

  it('agenda rows: tasks and planned runs in time order, a task first at the same instant', () => {
    const parts = makeParts()
    const at = (h: number) => new Date(2026, 2, 29, h).toISOString()
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          makeTask({
            task_id: 'a',
            status: 'completed',
            started_at: at(9),
            finished_at: at(10),
            updated_at: at(10),
          }),
          makeTask({
            task_id: 'b',
            status: 'completed',
            started_at: at(11),
            finished_at: at(12),
            updated_at: at(12),
          }),
        ],
      },
    ])
    const index = calendarIndexFor(parts.tasks)
    const from = new Date(2026, 2, 29).getTime()
    const rows = agendaRows(index, from, from + 7 * DAY, from + 8 * DAY, () => true, [
      occ(at(11)),
      occ(at(3)),
      occ(at(10)),
    ])
    expect(rows.map((r) => (r.kind === 'task' ? r.p.id : `occ ${new Date(r.atMs).getHours()}`))).toEqual([
      'occ 3',
      'a',
      'occ 10',
      'b',
      'occ 11',
    ])
  })
})
