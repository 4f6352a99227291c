// The agenda: every task placed in the seven days from the anchor day, in time order, with when,
// status, title, agent and project; filtered by status, project and search, the search's words
// marked. A virtualised list of fixed-height rows (a week of a fleet is thousands of rows); each
// row is a button that opens the task.
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { format } from 'date-fns'
import { useParts } from '../../stores/context'
import { endAt, type CalendarIndex, type Placed } from '../../stores/calendar-index'
import { StatusBadge } from '../../components/StatusBadge'
import { agentLabel } from './Timeline'
import { Highlight } from '../../components/Highlight'
import { visibleRows } from './timeline-math'

export const AGENDA_DAYS = 7
const ROW = 34

/** The agenda's rows: tasks placed in [fromMs, toMs) (starting before it and reaching in too). */
export function agendaRows(
  index: CalendarIndex,
  fromMs: number,
  toMs: number,
  nowMs: number,
  keep: (p: Placed) => boolean,
): Placed[] {
  return index
    .tasksIn(fromMs, toMs, nowMs)
    .filter(keep)
    .sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1))
}

const AgendaRow = memo(function AgendaRow({ p, top, nowMs }: { p: Placed; top: number; nowMs: number }) {
  const { ui } = useParts()
  const end = endAt(p, nowMs)
  const sameDay = new Date(p.startMs).toDateString() === new Date(end).toDateString()
  const when =
    p.basis === 'due'
      ? `${format(p.startMs, 'EEE d MMM HH:mm')} (due)`
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

export function AgendaView({
  index,
  fromMs,
  nowMs,
  keep,
  searching,
}: {
  index: CalendarIndex
  fromMs: number
  nowMs: number
  keep: (p: Placed) => boolean
  searching: boolean
}) {
  const subscribe = useCallback((fn: () => void) => index.subscribe(fn), [index])
  const rev = useSyncExternalStore(subscribe, () => index.rev())
  const toMs = useMemo(() => {
    const d = new Date(fromMs)
    d.setDate(d.getDate() + AGENDA_DAYS)
    return d.getTime()
  }, [fromMs])
  const rows = useMemo(
    () => agendaRows(index, fromMs, toMs, nowMs, keep),
    // rev: the index changed (it is mutated in place).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [index, fromMs, toMs, nowMs, keep, rev],
  )
  const bodyRef = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(600)
  useLayoutEffect(() => {
    const el = bodyRef.current
    if (!el) return
    const measure = () => setViewport(el.clientHeight || 600)
    measure()
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure)
    ro?.observe(el)
    return () => ro?.disconnect()
  }, [])
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
            aria-label={`${rows.length.toLocaleString('en-US')} tasks`}
          >
            {rows.slice(start, end).map((p, i) => (
              <AgendaRow key={p.id} p={p} top={(start + i) * ROW} nowMs={nowMs} />
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}
