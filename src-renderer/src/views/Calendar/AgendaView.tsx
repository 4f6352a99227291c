// The agenda: every task placed in the seven days from the anchor day, in time order, with when,
// status, title, agent and project; filtered by status, project and search, the search's words
// marked. The schedules' upcoming occurrences in those days are rows too, in time order among the
// tasks, outlined and marked "↻ Scheduled" (not tasks: nothing to open, so not buttons). A failed
// task's row carries its error after the title (a missed run's "no run started by 02:15 …").
// A virtualised list of fixed-height rows (a week of a fleet is thousands of rows); each
// row is a button that opens the task.
import { memo, useCallback, useMemo, useRef, useSyncExternalStore } from 'react'
import { format } from 'date-fns'
import { useParts } from '../../stores/context'
import { endAt, type CalendarIndex, type Placed } from '../../stores/calendar-index'
import { StatusBadge } from '../../components/StatusBadge'
import { agentLabel } from './Timeline'
import { Highlight } from '../../components/Highlight'
import { NONE } from '../../stores/task-store'
import type { ScheduleOccurrence } from '../../net/schedules-api'
import { occurrenceText } from './schedule-occurrences'
import { errorLine } from './TimelineBar'
import { visibleRows } from './timeline-math'
import { useScrollViewport } from './use-scroll-viewport'

export const AGENDA_DAYS = 7
const ROW = 34

/** The end of the agenda starting at local midnight `fromMs`: seven local days on (DST-proof). */
export function agendaEnd(fromMs: number): number {
  const d = new Date(fromMs)
  d.setDate(d.getDate() + AGENDA_DAYS)
  return d.getTime()
}

export type AgendaRowData =
  | { kind: 'task'; atMs: number; key: string; p: Placed }
  | { kind: 'scheduled'; atMs: number; key: string; o: ScheduleOccurrence }

/**
 * The agenda's rows: tasks placed in [fromMs, toMs) (starting before it and reaching in too) and
 * the given upcoming occurrences (already filtered to the range), merged in time order; at one
 * instant a task comes before a planned run.
 */
export function agendaRows(
  index: CalendarIndex,
  fromMs: number,
  toMs: number,
  nowMs: number,
  keep: (p: Placed) => boolean,
  occurrences: readonly ScheduleOccurrence[] = [],
): AgendaRowData[] {
  const rows: AgendaRowData[] = index
    .tasksIn(fromMs, toMs, nowMs)
    .filter(keep)
    .map((p) => ({ kind: 'task', atMs: p.startMs, key: p.id, p }))
  for (const o of occurrences)
    rows.push({ kind: 'scheduled', atMs: Date.parse(o.at), key: `${o.schedule_id}@${o.at}`, o })
  return rows.sort(
    (a, b) =>
      a.atMs - b.atMs ||
      (a.kind === b.kind ? 0 : a.kind === 'task' ? -1 : 1) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  )
}

const AgendaRow = memo(function AgendaRow({ p, top, nowMs }: { p: Placed; top: number; nowMs: number }) {
  const { ui } = useParts()
  const end = endAt(p, nowMs)
  const error = p.status === 'failed' ? errorLine(p.task.error) : null
  const sameDay = new Date(p.startMs).toDateString() === new Date(end).toDateString()
  // A time the task was planned for, not a span it ran: due, or scheduled without a due time (its
  // drawn end is only a block's length; a missed run never ran at all).
  const planned = p.basis === 'due' || (p.basis === 'scheduled' && !p.task.due_at)
  const when = planned
    ? `${format(p.startMs, 'EEE d MMM HH:mm')} (${p.basis})`
    : `${format(p.startMs, 'EEE d MMM HH:mm')} – ${p.open ? 'now' : format(end, sameDay ? 'HH:mm' : 'EEE d, HH:mm')}`
  return (
    <li className="ag-item" style={{ top }}>
      <button
        type="button"
        className="ag-row"
        data-task-id={p.id}
        data-status={p.status}
        onClick={() => ui.getState().openTask(p.id)}
      >
        <span className="ag-when">{when}</span>
        <span className="ag-status">
          <StatusBadge status={p.status} />
        </span>
        <span className="ag-title">
          <Highlight text={p.task.title || p.id} />
          {error ? <span className="ag-error"> — {error}</span> : null}
        </span>
        <span className="ag-agent">
          <Highlight text={agentLabel(p.agent)} />
        </span>
        <span className="ag-project">
          <Highlight text={p.project || '(no project)'} />
        </span>
      </button>
    </li>
  )
})

/** A planned run: outlined, "↻ Scheduled" in the status column; read, not opened. */
const ScheduledRow = memo(function ScheduledRow({ o, top }: { o: ScheduleOccurrence; top: number }) {
  const at = Date.parse(o.at)
  const deadline = Date.parse(o.deadline)
  const sameDay = new Date(at).toDateString() === new Date(deadline).toDateString()
  return (
    <li className="ag-item" style={{ top }}>
      <div
        className="ag-row ag-scheduled"
        data-schedule-id={o.schedule_id}
        data-at={o.at}
        title={occurrenceText(o)}
      >
        <span className="ag-when">
          {format(at, 'EEE d MMM HH:mm')}, start by {format(deadline, sameDay ? 'HH:mm' : 'EEE d, HH:mm')}
        </span>
        <span className="ag-status">
          <span className="badge badge-scheduled" title="Scheduled (a schedule's next run)">
            <span className="badge-icon" aria-hidden="true">
              ↻
            </span>
            <span className="badge-label">Scheduled</span>
          </span>
        </span>
        <span className="ag-title">{o.title || o.schedule_id}</span>
        <span className="ag-agent">{agentLabel(o.assignee ?? NONE)}</span>
        <span className="ag-project">{o.project_id || '(no project)'}</span>
      </div>
    </li>
  )
})

export function AgendaView({
  index,
  fromMs,
  nowMs,
  keep,
  searching,
  occurrences,
}: {
  index: CalendarIndex
  fromMs: number
  nowMs: number
  keep: (p: Placed) => boolean
  searching: boolean
  /** Upcoming schedule occurrences in these days, already filtered. */
  occurrences: readonly ScheduleOccurrence[]
}) {
  const subscribe = useCallback((fn: () => void) => index.subscribe(fn), [index])
  const rev = useSyncExternalStore(subscribe, () => index.rev())
  const toMs = useMemo(() => agendaEnd(fromMs), [fromMs])
  const rows = useMemo(
    () => agendaRows(index, fromMs, toMs, nowMs, keep, occurrences),
    // rev: the index changed (it is mutated in place).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [index, fromMs, toMs, nowMs, keep, rev, occurrences],
  )
  const planned = occurrences.length
  const tasks = rows.length - planned
  const bodyRef = useRef<HTMLDivElement>(null)
  const { scrollTop, setScrollTop, viewport } = useScrollViewport(bodyRef)
  const { start, end } = visibleRows(scrollTop, viewport, ROW, rows.length)
  return (
    <div className="ag" data-testid="agenda">
      <div className="ag-head" aria-hidden="true">
        <span className="ag-when">When</span>
        <span className="ag-status">Status</span>
        <span className="ag-title">Title</span>
        <span className="ag-agent">Agent</span>
        <span className="ag-project">Project</span>
      </div>
      <div
        ref={bodyRef}
        className="ag-body"
        onScroll={(e) => setScrollTop((e.target as HTMLElement).scrollTop)}
      >
        {rows.length === 0 ? (
          <p className="muted pad">No tasks in these seven days{searching ? ' match the filters' : ''}.</p>
        ) : (
          <ul
            className="ag-list"
            style={{ height: rows.length * ROW }}
            aria-label={`${tasks.toLocaleString('en-US')} ${tasks === 1 ? 'task' : 'tasks'}${planned ? `, ${planned.toLocaleString('en-US')} scheduled` : ''}`}
          >
            {rows
              .slice(start, end)
              .map((r, i) =>
                r.kind === 'task' ? (
                  <AgendaRow key={r.key} p={r.p} top={(start + i) * ROW} nowMs={nowMs} />
                ) : (
                  <ScheduledRow key={r.key} o={r.o} top={(start + i) * ROW} />
                ),
              )}
          </ul>
        )}
      </div>
    </div>
  )
}
