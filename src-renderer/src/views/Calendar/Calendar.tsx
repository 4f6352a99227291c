// Month, week, day and agenda views (react-big-calendar, MIT, date-fns localizer). Tasks are
// placed by schedule or run window (stores/placement.ts), coloured by status with icon and text,
// recoloured live; a crowded month day collapses into "+N more".
import { createContext, memo, useCallback, useContext, useMemo, useRef, useState } from 'react'
import {
  Calendar as BigCalendar,
  dateFnsLocalizer,
  Views,
  type View,
  type EventProps,
  type DateHeaderProps,
} from 'react-big-calendar'
import {
  format,
  parse,
  startOfWeek,
  endOfWeek,
  getDay,
  startOfMonth,
  endOfMonth,
  addDays,
  startOfDay,
  endOfDay,
} from 'date-fns'
import { enUS } from 'date-fns/locale/en-US'
import 'react-big-calendar/lib/css/react-big-calendar.css'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { useNow, useParts } from '../../stores/context'
import { useCalendarEvents } from '../../stores/task-hooks'
import type { CalendarEvent } from '../../stores/calendar-events'
import { EVENT_TEXT } from './event-text'
import { localDayKey } from '../../stores/placement'
import { StatusBadge } from '../../components/StatusBadge'
import { FocusableEvent, openOnEnter, useCalendarAriaRepair, useEscapeClosesPopup } from './calendar-a11y'

const localizer = dateFnsLocalizer({ format, parse, startOfWeek, getDay, locales: { 'en-US': enUS } })
const AGENDA_DAYS = 30
const MESSAGES = { previous: 'Previous', next: 'Next', today: 'Today', showMore: (n: number) => `+${n} more` }

export function visibleRange(view: View, date: Date): { from: Date; to: Date } {
  switch (view) {
    case 'month':
      return { from: startOfWeek(startOfMonth(date)), to: endOfWeek(endOfMonth(date)) }
    case 'week':
    case 'work_week':
      return { from: startOfWeek(date), to: endOfWeek(date) }
    case 'day':
      return { from: startOfDay(date), to: endOfDay(date) }
    default:
      return { from: startOfDay(date), to: endOfDay(addDays(date, AGENDA_DAYS - 1)) }
  }
}

const EventBody = memo(function EventBody({ event }: EventProps<CalendarEvent>) {
  return (
    <span
      className="cal-ev"
      data-task-id={event.id}
      data-status={event.status}
      title={`${event.title} (${STATUS_STYLES[event.status].label}, by ${event.basis})`}
    >
      {event.title}
    </span>
  )
})

/** Failed tasks per local day of the visible range, for the month view's day headers. */
const FailedByDay = createContext<ReadonlyMap<string, number>>(new Map())

/** Month day header: the date, and how many tasks failed that day (they may hide in "+N more"). */
function DayHeader({ date, label, onDrillDown }: DateHeaderProps) {
  const failed = useContext(FailedByDay).get(localDayKey(date.getTime())) ?? 0
  return (
    <span className="cal-day-head">
      {failed > 0 ? (
        <span className="cal-day-failed" title={`${failed} failed`} aria-label={`${failed} failed`}>
          ✕ {failed}
        </span>
      ) : null}
      <button type="button" className="rbc-button-link" onClick={onDrillDown}>
        {label}
      </button>
    </span>
  )
}

/** Agenda rows stay neutral; the status shows as a badge beside the title. A button, so the row
 * opens from the keyboard too (the library's cell only listens for clicks). */
const AgendaEvent = memo(function AgendaEvent({ event }: EventProps<CalendarEvent>) {
  const { ui } = useParts()
  return (
    <button
      type="button"
      className="linklike cal-agenda-ev"
      data-task-id={event.id}
      data-status={event.status}
      onClick={(e) => {
        // The library's cell would open it a second time.
        e.stopPropagation()
        ui.getState().openTask(event.id)
      }}
    >
      <StatusBadge status={event.status} /> {event.title.slice(2)}
    </button>
  )
})

export function CalendarView() {
  const { ui } = useParts()
  const [view, setView] = useState<View>(Views.MONTH)
  const [date, setDate] = useState(() => new Date())
  const now = useNow(60_000)
  const range = useMemo(() => visibleRange(view, date), [view, date])
  const events = useCalendarEvents(range.from.getTime(), range.to.getTime(), now)
  const eventPropGetter = useCallback(
    (e: CalendarEvent) => ({
      className: `ev-${e.status}`,
      style: {
        backgroundColor: STATUS_STYLES[e.status].color,
        borderColor: STATUS_STYLES[e.status].color,
        color: EVENT_TEXT[e.status],
      },
    }),
    [],
  )
  const components = useMemo(
    () => ({
      event: EventBody,
      eventWrapper: FocusableEvent,
      month: { dateHeader: DayHeader },
      agenda: { event: AgendaEvent },
    }),
    [],
  )
  const onKeyPressEvent = useMemo(() => openOnEnter((e: CalendarEvent) => ui.getState().openTask(e.id)), [ui])
  const wrapRef = useRef<HTMLDivElement>(null)
  useCalendarAriaRepair(wrapRef)
  const detailOpen = useCallback(() => ui.getState().selectedTaskId !== null, [ui])
  useEscapeClosesPopup(wrapRef, detailOpen)
  const failedByDay = useMemo(() => {
    const m = new Map<string, number>()
    for (const e of events)
      if (e.status === 'failed')
        m.set(localDayKey(e.start.getTime()), (m.get(localDayKey(e.start.getTime())) ?? 0) + 1)
    return m
  }, [events])
  return (
    <section className="calendar-view" aria-label="Calendar">
      <div className="cal-legend" aria-label="Status colours">
        {Object.entries(STATUS_STYLES).map(([k, st]) => (
          <span key={k} className="legend-item">
            <span className="legend-swatch" style={{ background: st.color }} aria-hidden="true" />
            {st.icon} {st.label}
          </span>
        ))}
        <span className="muted legend-note">
          Placed by schedule (scheduled/due), else by run window, else by creation.
        </span>
      </div>
      <FailedByDay.Provider value={failedByDay}>
        <div ref={wrapRef} className={`cal-wrap cal-${view}`} data-testid="calendar">
          <BigCalendar<CalendarEvent>
            localizer={localizer}
            events={events}
            view={view}
            views={[Views.MONTH, Views.WEEK, Views.DAY, Views.AGENDA]}
            onView={setView}
            date={date}
            onNavigate={setDate}
            length={AGENDA_DAYS}
            messages={MESSAGES}
            popup
            showMultiDayTimes
            eventPropGetter={eventPropGetter}
            components={components}
            onSelectEvent={(e) => ui.getState().openTask(e.id)}
            onKeyPressEvent={onKeyPressEvent}
            tooltipAccessor={null}
            scrollToTime={new Date(1970, 0, 1, 7)}
            dayLayoutAlgorithm="no-overlap"
          />
        </div>
      </FailedByDay.Provider>
    </section>
  )
}
