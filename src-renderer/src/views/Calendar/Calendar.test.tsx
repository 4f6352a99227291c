// The calendar views in happy-dom against the real task store: the timeline's virtual rows (40 and
// 400 agents), its keyboard, that an update re-renders only the bar it changes (React's Profiler
// inside each bar's memo boundary, test/fakes/renderer/profiled.ts), the month's per-day totals and
// the agenda's columns, filters and search.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startOfWeek } from 'date-fns'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import type * as BarModule from './TimelineBar'
import { CalendarView } from './Calendar'
import { monthRange } from './MonthView'
import { fakeLayout, fakeSchedulesApi, makeParts, withParts } from '../../../../test/fakes/renderer/parts'
import { makeTask, updateMsg } from '../../../../test/fakes/renderer/fake-socket'
import type { Task } from '../../../../src-shared/protocol'

const probe = vi.hoisted(() => {
  const state = { renders: null as Map<string, number> | null }
  return {
    state,
    onRender: (id: string) => void state.renders?.set(id, (state.renders.get(id) ?? 0) + 1),
  }
})
vi.mock('./TimelineBar', async (importOriginal) => {
  const { profiled } = await import('../../../../test/fakes/renderer/profiled')
  const mod = await importOriginal<typeof BarModule>()
  return {
    ...mod,
    TimelineBar: profiled<BarModule.TimelineBarProps>(
      mod.TimelineBar,
      (p) => `bar:${p.p.id}`,
      probe.onRender,
    ),
  }
})

const H = 3600_000
const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
const iso = (ms: number) => new Date(ms).toISOString()
const pad = (n: number) => String(n).padStart(3, '0')

/** `agents` agents, `per` finished runs each within the last hours (in the first window). */
/** Records each [from, to) window the calendar asks the schedules API for, and still answers it. */
function recordOccurrenceWindows(schedules: ReturnType<typeof fakeSchedulesApi>): [number, number][] {
  const asked: [number, number][] = []
  const list = schedules.occurrences.bind(schedules)
  schedules.occurrences = (from, to) => {
    asked.push([from, to])
    return list(from, to)
  }
  return asked
}

function fleet(agents: number, per: number, now: number): Task[] {
  const out: Task[] = []
  for (let a = 0; a < agents; a++)
    for (let k = 0; k < per; k++) {
      const start = now - (k + 1) * 3 * H + a * 60_000
      out.push(
        makeTask({
          task_id: `t-${pad(a)}-${k}`,
          title: `Run ${k} of agent ${a}`,
          assignee: `agent-${pad(a)}`,
          project_id: a % 2 ? 'odd' : 'even',
          status: k === 0 && a % 5 === 0 ? 'failed' : 'completed',
          started_at: iso(start),
          finished_at: iso(start + H),
          updated_at: iso(start + H),
        }),
      )
    }
  return out
}

describe('calendar', () => {
  let restoreLayout: () => void
  beforeEach(() => {
    restoreLayout = fakeLayout(900, 1200)
  })
  afterEach(() => {
    cleanup()
    restoreLayout()
    probe.state.renders = null
    vi.useRealTimers()
  })

  function setup(tasks: Task[]) {
    const parts = makeParts()
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks }])
    const view = render(withParts(parts, <CalendarView />))
    return { parts, ...view }
  }
  const openTimeline = () => fireEvent.click(screen.getByRole('button', { name: 'Timeline' }))

  it.each([40, 400])('timeline with %i agents puts only the rows in view in the DOM', (n) => {
    const { container } = setup(fleet(n, 1, Date.now()))
    openTimeline()
    const rows = () => [...container.querySelectorAll<HTMLElement>('.tl-row')]
    // 900 px of 36 px rows (+ overscan): about 30 rows, whatever the fleet.
    expect(rows().length).toBeGreaterThan(20)
    expect(rows().length).toBeLessThanOrEqual(Math.min(n, 34))
    expect(container.querySelector('.tl-canvas')!.getAttribute('style')).toContain(`height: ${n * 36}px`)
    // Scrolled to the end: the last agents are there, the first ones gone.
    const body = container.querySelector<HTMLElement>('.tl-body')!
    body.scrollTop = n * 36 - 900
    fireEvent.scroll(body)
    const names = rows().map((r) => r.dataset.agent)
    expect(names).toContain(`agent-${pad(n - 1)}`)
    expect(names).not.toContain('agent-000')
    expect(rows().length).toBeLessThanOrEqual(34)
  })

  it('a task update re-renders its one bar, not the others', () => {
    const now = Date.now()
    const { parts, container } = setup(fleet(40, 3, now))
    openTimeline()
    const before = container.querySelectorAll('.tl-bar').length
    expect(before).toBeGreaterThan(60)
    probe.state.renders = new Map()
    const t = parts.tasks.getState().tasks.get('t-003-1')!
    const changed: Task = { ...t, status: 'failed', error: 'exit 1', updated_at: iso(now - 1000) }
    act(() =>
      parts.tasks.getState().applyBatch([{ kind: 'update', msg: updateMsg(changed, 2, 'completed') }]),
    )
    expect([...probe.state.renders.entries()]).toEqual([['bar:t-003-1', 1]])
    const bar = container.querySelector<HTMLElement>('.tl-bar[data-task-id="t-003-1"]')!
    expect(bar.dataset.status).toBe('failed')
    expect(bar.textContent).toContain('Failed')
    expect(container.querySelectorAll('.tl-bar').length).toBe(before)
  })

  it('bars are named by title, status and times; arrows move along a row, Enter opens, + and - zoom', () => {
    const { parts, container } = setup(fleet(3, 3, Date.now()))
    openTimeline()
    const row = container.querySelector<HTMLElement>('.tl-row[data-agent="agent-000"]')!
    const bars = [...row.querySelectorAll<HTMLElement>('.tl-bar')]
    expect(bars.length).toBe(3)
    // One Tab stop per row; every bar focusable.
    expect(bars.map((b) => b.tabIndex)).toEqual([0, -1, -1])
    expect(bars[0]!.tagName).toBe('BUTTON')
    // In time order: run 2 first; run 0 (the latest) failed.
    expect(bars[0]!.textContent).toMatch(
      /^✓Run 2 of agent 0, Completed, \w{3} \d+ \w{3} \d\d:\d\d – .*\d\d:\d\d, 1 h 0 min$/,
    )
    expect(bars[2]!.textContent).toMatch(/^✕Run 0 of agent 0, Failed, /)
    bars[0]!.focus()
    fireEvent.keyDown(bars[0]!, { key: 'ArrowRight' })
    expect(document.activeElement).toBe(bars[1])
    fireEvent.keyDown(bars[1]!, { key: 'ArrowDown' })
    expect((document.activeElement as HTMLElement).closest('.tl-row')!.getAttribute('data-agent')).toBe(
      'agent-001',
    )
    const id = (document.activeElement as HTMLElement).dataset.taskId
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' })
    expect(parts.ui.getState().selectedTaskId).toBe(id)

    const label = () => container.querySelector('.cal-label')!.textContent
    const day = label()
    fireEvent.keyDown(container.querySelector('.tl-body')!, { key: '+' })
    expect(label()).not.toBe(day)
    fireEvent.keyDown(container.querySelector('.tl-body')!, { key: '-' })
    expect(label()).toBe(day)
  })

  it('waiting and stale bars differ from the rest without colour; future schedules are outlined', () => {
    const now = Date.now()
    const { container } = setup([
      makeTask({
        task_id: 'w',
        assignee: 'a',
        status: 'waiting',
        started_at: iso(now - 2 * H),
        updated_at: iso(now - H),
      }),
      makeTask({
        task_id: 's',
        assignee: 'a',
        status: 'running',
        started_at: iso(now - 3 * H),
        updated_at: iso(now - 3 * H),
        stale_since: iso(now - H),
      }),
      makeTask({
        task_id: 'p',
        assignee: 'a',
        status: 'pending',
        scheduled_at: iso(now + H),
        due_at: iso(now + 2 * H),
      }),
    ])
    openTimeline()
    const bar = (id: string) => container.querySelector<HTMLElement>(`.tl-bar[data-task-id="${id}"]`)!
    expect(bar('w').querySelector('.tl-glyph')!.textContent).toBe('?')
    expect(bar('w').className).toContain('tl-waiting')
    expect(bar('s').className).toContain('tl-stale')
    expect(bar('s').querySelector('.tl-glyph')!.textContent).toBe('◷')
    expect(bar('s').textContent).toContain('stale since')
    expect(bar('p').className).toContain('tl-planned')
    expect(bar('p').textContent).toContain('scheduled')
  })

  it("schedules: upcoming occurrences are outlined on the assignee's row, fetched for the window", async () => {
    const now = Date.now()
    const schedules = fakeSchedulesApi([
      {
        schedule_id: 'nightly',
        cron: '0 2 * * *',
        timezone: 'UTC',
        grace_seconds: 900,
        title: 'Nightly ETL',
        assignee: 'etl-bot',
        project_id: 'data',
        max_runtime_seconds: null,
        // One passed (its grace is over: a run or a missed-run task shows it), two ahead.
        next_occurrences: [iso(now - 2 * H), iso(now + H), iso(now + 3 * H)],
        state: 'ok',
      },
    ])
    const asked = recordOccurrenceWindows(schedules)
    const parts = makeParts({ schedules })
    parts.tasks.getState().applyBatch([{ kind: 'snapshot', seq: 1, tasks: fleet(2, 1, now) }])
    const { container } = render(withParts(parts, <CalendarView />))
    openTimeline()
    const marks = () => [...container.querySelectorAll<HTMLElement>('.tl-occ')]
    await vi.waitFor(() => expect(marks()).toHaveLength(2), { timeout: 10_000 })
    const row = container.querySelector<HTMLElement>('.tl-row[data-agent="etl-bot"]')!
    // The schedule's assignee has a row though it has no task yet, and says what is planned.
    expect(row.getAttribute('aria-label')).toBe('etl-bot: 0 tasks, 2 scheduled')
    expect(marks().every((m) => m.closest('.tl-row') === row)).toBe(true)
    expect(marks().map((m) => m.dataset.at)).toEqual([iso(now + H), iso(now + 3 * H)])
    expect(marks()[0]!.className).toContain('tl-planned')
    expect(marks()[0]!.getAttribute('aria-label')).toMatch(
      /^Nightly ETL: scheduled \w{3} \d+ \w{3} \d\d:\d\d, a run must start by \d\d:\d\d \(schedule nightly\)$/,
    )
    // Not a task: no bar, nothing to Tab to.
    expect(row.querySelectorAll('.tl-bar')).toHaveLength(0)
    const [from, to] = asked.at(-1)!
    const first = asked.length
    expect(to - from).toBe(24 * H)
    expect(from).toBeLessThanOrEqual(now)
    // A minute later (the app's clock): asked again for the same window.
    act(() => parts.clock.setState({ now: parts.clock.getState().now + 60_000 }))
    await vi.waitFor(() => expect(asked.length).toBeGreaterThan(first), { timeout: 10_000 })
    expect(asked.at(-1)).toEqual([from, to])
    const second = asked.length
    // Another window: asked again for it.
    fireEvent.click(screen.getByRole('button', { name: 'Week' }))
    await vi.waitFor(() => expect(asked.length).toBeGreaterThan(second), { timeout: 10_000 })
    // The week from Monday, asked from a day before now at the earliest (what passed is not shown).
    const monday = startOfWeek(now, { weekStartsOn: 1 }).getTime()
    expect(asked.at(-1)![1]).toBe(monday + 7 * 24 * H)
    const minute = Math.floor(parts.clock.getState().now / 60_000) * 60_000
    expect(asked.at(-1)![0]).toBe(Math.max(monday, minute - 24 * H))
    // A project filter that the schedule does not match hides it (and its row).
    act(() => parts.ui.getState().setProjectFilter('odd'))
    expect(marks()).toHaveLength(0)
    expect(container.querySelector('.tl-row[data-agent="etl-bot"]')).toBeNull()
  })

  it('month: per-day totals by status, failures first; a day opens in the timeline', () => {
    const day = new Date()
    day.setHours(0, 0, 0, 0)
    const d0 = day.getTime()
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      makeTask({
        task_id: `m${i}`,
        assignee: 'a',
        status: i < 2 ? 'completed' : i < 4 ? 'failed' : 'running',
        started_at: iso(d0 + (i + 1) * 60_000),
        finished_at: i < 4 ? iso(d0 + (i + 2) * 60_000) : null,
        updated_at: iso(d0 + (i + 2) * 60_000),
      }),
    )
    const { container, parts } = setup(tasks)
    const cell = container.querySelector<HTMLElement>('.mo-today')!
    const counts = [...cell.querySelectorAll<HTMLElement>('.mo-count')].map((c) => c.textContent)
    expect(counts).toEqual(['✕ 2 failed,', '◐ 1 running,', '✓ 2 completed,'])
    expect(container.querySelectorAll('.mo-day')).toHaveLength(42)
    // Filtered by status: only that status is counted.
    act(() => parts.ui.getState().setStatusFilter('failed'))
    expect([...cell.querySelectorAll('.mo-count')].map((c) => c.textContent)).toEqual(['✕ 2 failed,'])
    act(() => parts.ui.getState().setStatusFilter('all'))
    fireEvent.click(cell)
    expect(container.querySelector('[data-testid="timeline"]')).not.toBeNull()
    expect(container.querySelectorAll('.tl-bar')).toHaveLength(5)
  })

  it('schedules in the month (a count per day) and the agenda (outlined rows); a missed run is a failure with its error', async () => {
    // Noon today, local: the missed occurrence below (earlier today) must be past its 15-minute
    // grace, which no time today is in the first minutes after midnight (a CI run at 00:05 failed).
    // Only Date is faked; timers stay real for the waits.
    const noon = new Date()
    noon.setHours(12, 0, 0, 0)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(noon)
    const now = Date.now()
    const today = new Date(now)
    today.setHours(0, 0, 0, 0)
    // Tomorrow at 10:00 and 14:00 local, and one today in the evening if it is still ahead.
    const tomorrow = new Date(today)
    tomorrow.setDate(tomorrow.getDate() + 1)
    const at = (d: Date, h: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate(), h).getTime()
    const ahead = [at(tomorrow, 10), at(tomorrow, 14)]
    // Earlier today, whatever the hour: halfway from midnight to now.
    const missedAt = Math.floor((today.getTime() + now) / 2)
    const schedules = fakeSchedulesApi([
      {
        schedule_id: 'etl',
        cron: '0 10,14 * * *',
        timezone: 'UTC',
        grace_seconds: 900,
        title: 'Warehouse ETL',
        assignee: 'etl-bot',
        project_id: 'data',
        max_runtime_seconds: null,
        // One whose grace is over (its missed run shows it), two ahead.
        next_occurrences: [iso(missedAt), ...ahead.map(iso)],
        state: 'missed',
      },
    ])
    const asked = recordOccurrenceWindows(schedules)
    const parts = makeParts({ schedules })
    parts.tasks.getState().applyBatch([
      {
        kind: 'snapshot',
        seq: 1,
        tasks: [
          makeTask({
            task_id: `missed:etl:${iso(missedAt)}`,
            title: 'Warehouse ETL — missed run',
            assignee: 'etl-bot',
            project_id: 'data',
            schedule_id: 'etl',
            status: 'failed',
            scheduled_at: iso(missedAt),
            updated_at: iso(missedAt + 900_000),
            error: 'no run started by 02:15 (UTC; the run due 2026-12-01 02:00, grace 900 s)',
          }),
        ],
      },
    ])
    const { container } = render(withParts(parts, <CalendarView />))
    // The month asks for its six weeks (from a day back: what passed is not shown).
    await vi.waitFor(() => expect(asked.length).toBeGreaterThan(0), { timeout: 10_000 })
    // Exactly that: not a length, which shrinks as the month goes on (a bound of 27 days failed on
    // every date from the 16th of December).
    const grid = monthRange(now)
    expect(asked[0]![1]).toBe(grid.toMs)
    expect(asked[0]![0]).toBeLessThanOrEqual(Math.max(grid.fromMs, now - 24 * H))
    expect(asked[0]![0]).toBeGreaterThanOrEqual(Math.max(grid.fromMs, now - 24 * H - 60_000))
    const cell = (d: Date) => container.querySelector<HTMLElement>(`.mo-day[data-day="${dayKey(d)}"]`)
    // The passed occurrence is not planned any more; its missed run is a failure of today.
    expect([...cell(today)!.querySelectorAll('.mo-count')].map((c) => c.textContent)).toEqual(['✕ 1 failed,'])
    // Tomorrow may be in next month's grid only: step there if this grid ends today.
    if (!cell(tomorrow)) fireEvent.click(screen.getByRole('button', { name: 'Next' }))
    await vi.waitFor(() => expect(cell(tomorrow)!.querySelector('.mo-sched')).not.toBeNull(), {
      timeout: 10_000,
    })
    expect(cell(tomorrow)!.querySelector('.mo-sched')!.textContent).toBe('↻ 2 scheduled runs')
    if (cell(today)) expect(cell(today)!.querySelector('.mo-sched')).toBeNull()
    // A status filter other than pending hides planned runs; pending keeps them.
    act(() => parts.ui.getState().setStatusFilter('failed'))
    expect(cell(tomorrow)!.querySelector('.mo-sched')).toBeNull()
    act(() => parts.ui.getState().setStatusFilter('pending'))
    expect(cell(tomorrow)!.querySelector('.mo-sched')).not.toBeNull()
    act(() => parts.ui.getState().setStatusFilter('all'))

    // The day opens in the timeline, where they are outlined on etl-bot's row.
    fireEvent.click(cell(tomorrow)!)
    await vi.waitFor(() => expect(container.querySelectorAll('.tl-occ')).toHaveLength(2), { timeout: 10_000 })

    // The agenda from today: the missed run (failed, with its error) and the planned rows in order.
    fireEvent.click(screen.getByRole('button', { name: 'Today' }))
    fireEvent.click(screen.getByRole('button', { name: 'Agenda' }))
    const planned = () => [...container.querySelectorAll<HTMLElement>('.ag-scheduled')]
    await vi.waitFor(() => expect(planned()).toHaveLength(2), { timeout: 10_000 })
    expect(planned().map((r) => r.dataset.at)).toEqual(ahead.map(iso))
    expect(planned()[0]!.querySelector('.ag-status')!.textContent).toBe('↻Scheduled')
    expect(planned()[0]!.querySelector('.ag-title')!.textContent).toBe('Warehouse ETL')
    expect(planned()[0]!.querySelector('.ag-agent')!.textContent).toBe('etl-bot')
    expect(planned()[0]!.tagName).not.toBe('BUTTON')
    expect(container.querySelector('.ag-list')!.getAttribute('aria-label')).toMatch(/, 2 scheduled$/)
    const rows = [...container.querySelectorAll<HTMLElement>('.ag-row')]
    const missed = rows.find((r) => r.dataset.taskId?.startsWith('missed:'))!
    expect(missed.dataset.status).toBe('failed')
    // It never ran: a time it was due, not a span.
    expect(missed.querySelector('.ag-when')!.textContent).toMatch(/^\w{3} \d+ \w{3} \d\d:\d\d \(scheduled\)$/)
    expect(missed.querySelector('.ag-error')!.textContent).toBe(
      ' — no run started by 02:15 (UTC; the run due 2026-12-01 02:00, grace 900 s)',
    )
    expect(rows.indexOf(missed)).toBe(0)
    expect(rows.indexOf(planned()[0]!)).toBe(1)
    // A project filter the schedule does not match hides its rows.
    act(() => parts.ui.getState().setProjectFilter('web'))
    expect(planned()).toHaveLength(0)
    act(() => parts.ui.getState().setProjectFilter('all'))

    // Today on the timeline: the missed run is a failed bar named with its error.
    fireEvent.click(screen.getByRole('button', { name: 'Timeline' }))
    const bar = container.querySelector<HTMLElement>('.tl-bar[data-status="failed"]')!
    expect(bar.className).not.toContain('tl-planned')
    expect(bar.textContent).toMatch(
      /^✕Warehouse ETL — missed run, Failed, scheduled .*, no run started by 02:15 \(UTC; /,
    )
  })

  it('the month never counts a day from an answer that covered only part of it (switching from the timeline)', async () => {
    const now = Date.now()
    // Every half hour for the next three days.
    const ats = Array.from({ length: 144 }, (_, i) => (Math.floor(now / 1_800_000) + 1 + i) * 1_800_000)
    const schedules = fakeSchedulesApi([
      {
        schedule_id: 'half-hourly',
        cron: '*/30 * * * *',
        timezone: 'UTC',
        grace_seconds: 60,
        title: 'Sync',
        assignee: 'sync-bot',
        project_id: null,
        max_runtime_seconds: null,
        next_occurrences: ats.map(iso),
        state: 'ok',
      },
    ])
    const parts = makeParts({ schedules })
    const { container } = render(withParts(parts, <CalendarView />))
    openTimeline()
    await vi.waitFor(() => expect(container.querySelectorAll('.tl-occ').length).toBeGreaterThan(5), {
      timeout: 10_000,
    })
    // The timeline's answer ends 6 hours ahead, partway into that day.
    const edge = new Date(now + 6 * H - 1)
    const onEdgeDay = ats.filter((t) => dayKey(new Date(t)) === dayKey(edge)).length
    fireEvent.click(screen.getByRole('button', { name: 'Month' }))
    const edgeCell = () =>
      container.querySelector<HTMLElement>(`.mo-day[data-day="${dayKey(edge)}"] .mo-sched`)
    // Before the month's own answer: nothing, not the part the timeline had.
    expect(edgeCell()).toBeNull()
    await vi.waitFor(() => expect(edgeCell()?.dataset.scheduled).toBe(String(onEdgeDay)), { timeout: 10_000 })
  })

  it('the month says when planned runs are cut at the cap, or could not be fetched', async () => {
    const at = Date.now() + 26 * H
    const schedules = fakeSchedulesApi()
    let fail = false
    schedules.occurrences = () =>
      fail
        ? Promise.reject(new Error('Backend unreachable at http://127.0.0.1:1: ECONNREFUSED'))
        : Promise.resolve({
            occurrences: [
              {
                schedule_id: 'busy',
                title: 'Busy',
                assignee: 'a',
                project_id: null,
                at: iso(at),
                deadline: iso(at + 60_000),
              },
            ],
            truncated: true,
          })
    const parts = makeParts({ schedules })
    render(withParts(parts, <CalendarView />))
    const note = await screen.findByRole('status', {}, { timeout: 10_000 })
    expect(note.textContent).toMatch(
      /^More than 5,000 scheduled runs in view: shown up to \w{3} \d+ \w{3} \d\d:\d\d\.$/,
    )
    fail = true
    act(() => parts.clock.setState({ now: parts.clock.getState().now + 60_000 }))
    await vi.waitFor(
      () =>
        expect(screen.getByRole('status').textContent).toBe(
          'Schedules not shown: Backend unreachable at http://127.0.0.1:1: ECONNREFUSED',
        ),
      { timeout: 10_000 },
    )
  })

  it('agenda: agent and project columns, honours the status filter and the search', async () => {
    const { container, parts } = setup(fleet(4, 2, Date.now()))
    fireEvent.click(screen.getByRole('button', { name: 'Agenda' }))
    // The first window of the agenda starts today: step back if the runs fell yesterday.
    const rows = () => [...container.querySelectorAll<HTMLElement>('.ag-row')]
    if (rows().length < 8) fireEvent.click(screen.getByRole('button', { name: 'Previous' }))
    expect(rows().length).toBeGreaterThan(0)
    const first = rows()[0]!
    expect(first.querySelector('.ag-agent')!.textContent).toMatch(/^agent-00\d$/)
    expect(first.querySelector('.ag-project')!.textContent).toMatch(/^(odd|even)$/)
    act(() => parts.ui.getState().setProjectFilter('odd'))
    expect(rows().every((r) => r.querySelector('.ag-project')!.textContent === 'odd')).toBe(true)
    act(() => parts.ui.getState().setProjectFilter('all'))
    act(() => parts.ui.getState().setSearch('agent 3'))
    await vi.waitFor(() => expect(rows().every((r) => r.textContent.includes('agent 3'))).toBe(true))
    expect(rows().length).toBeGreaterThan(0)
    expect(rows()[0]!.querySelector('.ag-title mark')).not.toBeNull()
    fireEvent.click(rows()[0]!)
    expect(parts.ui.getState().selectedTaskId).toMatch(/^t-003-/)
  })
})
