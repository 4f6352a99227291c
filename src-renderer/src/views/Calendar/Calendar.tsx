// The calendar at fleet scale, drawn by TaskPulse itself (no calendar library): Month (per-day
// totals by status, and the schedules' upcoming runs), Timeline (agents × time: the day/week view for a fleet) and Agenda (a week
// of tasks with agent and project). All three read the calendar index (stores/calendar-index.ts),
// which follows the task store incrementally, and honour the shared status/project filters and
// the search. Upcoming schedule occurrences (schedule-occurrences.ts, one fetch for the view in
// use) are outlined in all three: a count per day, bars per agent row, rows. Why not react-big-calendar any more: see docs/benchmarks.md ("Calendar at fleet
// scale"): it re-laid out every event in range on every update and never rendered 100,000 tasks.
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react'
import { addMonths, format, startOfDay, startOfMonth, startOfWeek } from 'date-fns'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import type { TaskStatus } from '../../../../src-shared/protocol'
import { useNow, useParts, useUi } from '../../stores/context'
import { calendarIndexFor, type CalendarIndex } from '../../stores/calendar-index'
import { useProjectKeys } from '../../stores/task-hooks'
import { STATUSES } from '../../stores/statuses'
import { NONE } from '../../stores/task-store'
import { MonthView, monthRange } from './MonthView'
import { Timeline } from './Timeline'
import { AgendaView, AGENDA_DAYS, agendaEnd } from './AgendaView'
import { filtering, makePredicate, useCalendarFilter, type CalendarFilter } from './filters'
import {
  countByDay,
  groupByAgent,
  OCCURRENCE_LIMIT,
  occurrencePasses,
  useScheduleOccurrences,
  type ScheduledInRange,
} from './schedule-occurrences'
import type { ScheduleOccurrence } from '../../net/schedules-api'
import { MAX_SPAN, nextSpan, pan, windowLabel, zoomTo, type Window } from './timeline-math'
import './Calendar.css'

export type CalendarMode = 'month' | 'timeline' | 'agenda'
const MODES: { mode: CalendarMode; label: string }[] = [
  { mode: 'month', label: 'Month' },
  { mode: 'timeline', label: 'Timeline' },
  { mode: 'agenda', label: 'Agenda' },
]
const NO_OCCURRENCES: readonly ScheduleOccurrence[] = []
const HOUR = 3600_000
const DAY = 24 * HOUR

/** A window of `span` showing `at`: day and longer spans start at a local day (weeks on Monday). */
export function presetWindow(span: number, at: number): Window {
  if (span >= 31 * DAY) return { fromMs: startOfMonth(at).getTime(), spanMs: MAX_SPAN }
  if (span >= 7 * DAY) return { fromMs: startOfWeek(at, { weekStartsOn: 1 }).getTime(), spanMs: span }
  if (span >= DAY) return { fromMs: startOfDay(at).getTime(), spanMs: span }
  return { fromMs: at - span / 2, spanMs: span }
}

/** A preset zoom from the current window: around now when now is in view, else its middle. */
export function zoomPreset(cur: Window, span: number, now: number): Window {
  const nowInView = now >= cur.fromMs && now <= cur.fromMs + cur.spanMs
  if (span < DAY && nowInView) return { fromMs: now - span * 0.75, spanMs: span }
  return presetWindow(span, nowInView ? now : cur.fromMs + cur.spanMs / 2)
}

/** The first window: the last 18 hours and the next 6 (now at three quarters). */
export function initialWindow(now: number): Window {
  return { fromMs: now - 18 * HOUR, spanMs: DAY }
}

const PRESETS = [
  { label: 'Hour', span: HOUR },
  { label: 'Day', span: DAY },
  { label: 'Week', span: 7 * DAY },
  { label: '31 days', span: 31 * DAY },
] as const

/** The agents the timeline lists: all, or those with a task passing the filter. */
function useTimelineAgents(index: CalendarIndex, filter: CalendarFilter): readonly string[] {
  const subscribe = useCallback((fn: () => void) => index.subscribe(fn), [index])
  const agents = useSyncExternalStore(subscribe, () => index.agents())
  // Rows follow the search's matches (a set the search store replaces as they change).
  return useMemo(() => {
    if (filter.agent !== 'all') return agents.filter((a) => a === filter.agent)
    let out = agents
    if (filter.project !== 'all') out = out.filter((a) => index.agentProjects(a)?.has(filter.project))
    if (filter.matches) {
      const withMatch = new Set<string>()
      for (const id of filter.matches) {
        const p = index.get(id)
        if (p) withMatch.add(p.agent)
      }
      out = out.filter((a) => withMatch.has(a))
    }
    return out
  }, [agents, filter, index])
}

function Filters() {
  const { ui } = useParts()
  const status = useUi((s) => s.statusFilter)
  const project = useUi((s) => s.projectFilter)
  const projects = useProjectKeys()
  return (
    <div className="cal-filters">
      <label>
        <span className="sr-only">Status</span>
        <select
          value={status}
          onChange={(e) => ui.getState().setStatusFilter(e.target.value as TaskStatus | 'all')}
          aria-label="Status filter"
        >
          <option value="all">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_STYLES[s].icon} {STATUS_STYLES[s].label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="sr-only">Project</span>
        <select
          value={project}
          onChange={(e) => ui.getState().setProjectFilter(e.target.value)}
          aria-label="Project filter"
        >
          <option value="all">All projects</option>
          {projects.map((p) => (
            <option key={p} value={p}>
              {p === NONE ? '(no project)' : p}
            </option>
          ))}
        </select>
      </label>
    </div>
  )
}

/** Why some planned runs are not shown: the server could not be asked, or there were too many. */
function ScheduleNote({ schedule }: { schedule: ScheduledInRange }) {
  if (schedule.error)
    return (
      <p className="muted cal-note" role="status">
        Schedules not shown: {schedule.error}
      </p>
    )
  const last = schedule.list.at(-1)
  if (!schedule.truncated || !last) return null
  return (
    <p className="muted cal-note" role="status">
      More than {OCCURRENCE_LIMIT.toLocaleString('en-US')} scheduled runs in view: shown up to{' '}
      {format(Date.parse(last.at), 'EEE d MMM HH:mm')}.
    </p>
  )
}

function Legend({ mode, children }: { mode: CalendarMode; children?: React.ReactNode }) {
  return (
    <div className="cal-legend" aria-label="Legend">
      {STATUSES.map((s) => (
        <span key={s} className="legend-item">
          <span className="legend-swatch" style={{ background: STATUS_STYLES[s].color }} aria-hidden="true" />
          {STATUS_STYLES[s].icon} {STATUS_STYLES[s].label}
        </span>
      ))}
      {mode !== 'timeline' ? (
        <span className="legend-item">
          <span className="legend-swatch legend-schedule" aria-hidden="true" />↻ Scheduled (upcoming runs)
        </span>
      ) : null}
      {mode === 'timeline' ? (
        <>
          <span className="legend-item">
            <span className="legend-swatch legend-planned" aria-hidden="true" /> Scheduled / due
          </span>
          <span className="legend-item">
            <span className="legend-swatch legend-schedule" aria-hidden="true" />↻ Schedule (next runs)
          </span>
          <span className="legend-item">
            <span className="legend-swatch legend-stale" aria-hidden="true" />◷ Stale (no update)
          </span>
        </>
      ) : null}
      <span className="muted legend-note">
        {mode === 'month'
          ? 'Tasks per day by status, failures first; missed runs count as failed. A day opens in the timeline.'
          : 'Placed by schedule (scheduled/due), else by run window, else by creation.'}
      </span>
      {children}
    </div>
  )
}

export function CalendarView() {
  const { tasks } = useParts()
  const index = useMemo(() => calendarIndexFor(tasks), [tasks])
  const now = useNow(60_000)
  const [mode, setMode] = useState<CalendarMode>('month')
  const [anchorMs, setAnchor] = useState(() => Date.now())
  const [w, setW] = useState<Window>(() => initialWindow(Date.now()))
  const setWindow = useCallback((update: (w: Window) => Window) => setW(update), [])
  const filter = useCalendarFilter()
  const keep = useMemo(() => makePredicate(filter), [filter])
  const taskAgents = useTimelineAgents(index, filter)
  const agendaFrom = startOfDay(anchorMs).getTime()
  // The schedules' upcoming runs over what the view in use covers.
  const range =
    mode === 'month'
      ? monthRange(anchorMs)
      : mode === 'agenda'
        ? { fromMs: agendaFrom, toMs: agendaEnd(agendaFrom) }
        : { fromMs: w.fromMs, toMs: w.fromMs + w.spanMs }
  const schedule = useScheduleOccurrences(range.fromMs, range.toMs, true)
  const planned = useMemo(
    () => schedule.list.filter((o) => occurrencePasses(filter, o)),
    [schedule.list, filter],
  )
  const occurrences = useMemo(() => groupByAgent(planned), [planned])
  // A count per day or a list waits for the answer for its own range (see `complete`).
  const plannedWhole = schedule.complete ? planned : NO_OCCURRENCES
  const plannedByDay = useMemo(() => countByDay(plannedWhole), [plannedWhole])
  // A schedule's assignee gets a row even before its first run.
  const agents = useMemo(() => {
    const missing = [...occurrences.keys()].filter((a) => !taskAgents.includes(a))
    return missing.length ? [...taskAgents, ...missing].sort() : taskAgents
  }, [taskAgents, occurrences])

  const openDay = useCallback((dayMs: number) => {
    setW(presetWindow(DAY, dayMs))
    setAnchor(dayMs)
    setMode('timeline')
  }, [])

  const step = (dir: 1 | -1) => {
    if (mode === 'month') setAnchor((a) => addMonths(a, dir).getTime())
    else if (mode === 'agenda') setAnchor((a) => a + dir * AGENDA_DAYS * DAY)
    else setW((cur) => pan(cur, dir))
  }
  const today = () => {
    const t = Date.now()
    setAnchor(t)
    setW((cur) =>
      cur.spanMs >= DAY ? presetWindow(cur.spanMs, t) : { fromMs: t - cur.spanMs * 0.75, spanMs: cur.spanMs },
    )
  }
  const label =
    mode === 'month'
      ? format(anchorMs, 'MMMM yyyy')
      : mode === 'agenda'
        ? `${format(agendaFrom, 'EEE d MMM')} – ${format(agendaFrom + (AGENDA_DAYS - 1) * DAY, 'EEE d MMM yyyy')}`
        : windowLabel(w)

  return (
    <section className="calendar-view" aria-label="Calendar">
      <div className="cal-toolbar">
        <div className="cal-seg" role="group" aria-label="Calendar view">
          {MODES.map((m) => (
            <button
              key={m.mode}
              type="button"
              className={`cal-btn${mode === m.mode ? ' cal-btn-on' : ''}`}
              aria-pressed={mode === m.mode}
              onClick={() => setMode(m.mode)}
            >
              {m.label}
            </button>
          ))}
        </div>
        <div className="cal-seg" role="group" aria-label="Navigate">
          <button type="button" className="cal-btn" onClick={() => step(-1)}>
            Previous
          </button>
          <button type="button" className="cal-btn" onClick={today}>
            Today
          </button>
          <button type="button" className="cal-btn" onClick={() => step(1)}>
            Next
          </button>
        </div>
        <h2 className="cal-label" aria-live="polite">
          {label}
        </h2>
        {mode === 'timeline' ? (
          <div className="cal-seg" role="group" aria-label="Zoom">
            <button
              type="button"
              className="cal-btn"
              onClick={() => setW((cur) => zoomTo(cur, nextSpan(cur.spanMs, 1)))}
              title="Zoom out (-, Ctrl+wheel)"
            >
              <span aria-hidden="true">−</span>
              <span className="sr-only">Zoom out</span>
            </button>
            {PRESETS.map((p) => (
              <button
                key={p.label}
                type="button"
                className={`cal-btn${w.spanMs === Math.min(p.span, MAX_SPAN) ? ' cal-btn-on' : ''}`}
                aria-pressed={w.spanMs === Math.min(p.span, MAX_SPAN)}
                onClick={() => setW((cur) => zoomPreset(cur, p.span, Date.now()))}
              >
                {p.label}
              </button>
            ))}
            <button
              type="button"
              className="cal-btn"
              onClick={() => setW((cur) => zoomTo(cur, nextSpan(cur.spanMs, -1)))}
              title="Zoom in (+, Ctrl+wheel)"
            >
              <span aria-hidden="true">+</span>
              <span className="sr-only">Zoom in</span>
            </button>
          </div>
        ) : null}
        <Filters />
      </div>
      <Legend mode={mode}>
        <ScheduleNote schedule={schedule} />
      </Legend>
      <div className={`cal-body cal-${mode}`} data-testid="calendar">
        {mode === 'month' ? (
          <MonthView
            index={index}
            anchorMs={anchorMs}
            nowMs={now}
            filter={filter}
            keep={keep}
            scheduled={plannedByDay}
            onOpenDay={openDay}
          />
        ) : mode === 'timeline' ? (
          <Timeline
            index={index}
            agents={agents}
            w={w}
            setWindow={setWindow}
            keep={keep}
            occurrences={occurrences}
          />
        ) : (
          <AgendaView
            index={index}
            fromMs={agendaFrom}
            nowMs={now}
            keep={keep}
            searching={filtering(filter)}
            occurrences={plannedWhole}
          />
        )}
      </div>
    </section>
  )
}
