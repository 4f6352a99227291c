// The month at fleet scale: per day the number of tasks by status, failures first ("✕ 12  ✓ 230
// ◐ 3"), each with its colour, glyph and count, and a strip of their proportions; no event list.
// From the calendar index's per-day counts (kept incrementally), so a live update costs a sum over
// 42 days, not a pass over the month's tasks. With a search active the counts are of the matching
// tasks. Beside the totals, the schedules' upcoming occurrences of that day as an outlined
// "↻ 3 scheduled" (planned work, not tasks: no fill, not in the strip). A day is a button: click, Enter or Space opens it in the timeline; arrows move between
// days (one Tab stop for the grid).
import { memo, useCallback, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { addDays, format, isSameMonth, startOfMonth, startOfWeek } from 'date-fns'
import type { StatusCounts, TaskStatus } from '../../../../src-shared/protocol'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { localDayKey } from '../../stores/placement'
import type { CalendarIndex, Placed } from '../../stores/calendar-index'
import { emptyCounts, STATUSES } from '../../stores/statuses'
import type { CalendarFilter } from './filters'

/** The order a day lists its counts in: what needs a person first. */
export const MONTH_ORDER: readonly TaskStatus[] = ['failed', 'waiting', 'running', 'pending', 'completed']

/** The 42 days (six Monday-first weeks) the month grid shows. */
export function monthDays(anchorMs: number): Date[] {
  const first = startOfWeek(startOfMonth(anchorMs), { weekStartsOn: 1 })
  return Array.from({ length: 42 }, (_, i) => addDays(first, i))
}

/** The instants the grid covers: from its first day's midnight to the midnight after its last. */
export function monthRange(anchorMs: number): { fromMs: number; toMs: number } {
  const days = monthDays(anchorMs)
  return { fromMs: days[0]!.getTime(), toMs: addDays(days[days.length - 1]!, 1).getTime() }
}

/**
 * Status counts of the given local days under the filter. Without a search, from the index's
 * per-day counts (a sum over projects); with one, from the matching tasks (at most the search
 * limit), not from every task of the month.
 */
export function monthTotals(
  index: CalendarIndex,
  days: readonly string[],
  f: CalendarFilter,
  keep: (p: Placed) => boolean,
): StatusCounts[] {
  const out = days.map(() => emptyCounts())
  if (f.matches || f.agent !== 'all') {
    const at = new Map(days.map((d, i) => [d, i]))
    const count = (p: Placed | undefined) => {
      const i = p && at.get(p.day)
      if (p && i !== undefined && keep(p)) out[i]![p.status] += 1
    }
    if (f.matches) for (const id of f.matches) count(index.get(id))
    else for (const d of days) for (const id of index.dayIds(d) ?? []) count(index.get(id))
    return out
  }
  days.forEach((day, i) => {
    const dc = index.dayCounts(day)
    if (!dc) return
    for (const [project, c] of dc) {
      if (f.project !== 'all' && project !== f.project) continue
      for (const s of STATUSES) if (f.status === 'all' || f.status === s) out[i]![s] += c[s]
    }
  })
  return out
}

interface DayCellProps {
  date: Date
  counts: StatusCounts
  /** Upcoming schedule occurrences on this day. */
  scheduled: number
  inMonth: boolean
  today: boolean
  tabbable: boolean
  onOpen: (dayMs: number) => void
}

/** A day re-renders only when its numbers (not just its counts object) change. */
function sameDay(a: DayCellProps, b: DayCellProps): boolean {
  return (
    a.date.getTime() === b.date.getTime() &&
    a.inMonth === b.inMonth &&
    a.today === b.today &&
    a.tabbable === b.tabbable &&
    a.onOpen === b.onOpen &&
    a.scheduled === b.scheduled &&
    STATUSES.every((s) => a.counts[s] === b.counts[s])
  )
}

const DayCell = memo(function DayCell({
  date,
  counts,
  scheduled,
  inMonth,
  today,
  tabbable,
  onOpen,
}: DayCellProps) {
  const total = STATUSES.reduce((n, s) => n + counts[s], 0)
  const shown = MONTH_ORDER.filter((s) => counts[s] > 0)
  return (
    <button
      type="button"
      className={`mo-day${inMonth ? '' : ' mo-out'}${today ? ' mo-today' : ''}`}
      data-day={localDayKey(date.getTime())}
      tabIndex={tabbable ? 0 : -1}
      onClick={() => onOpen(date.getTime())}
      aria-current={today ? 'date' : undefined}
    >
      <span className="mo-date">
        <span aria-hidden="true">{date.getDate()}</span>
        <span className="sr-only">
          {format(date, 'EEEE d MMMM')}
          {total === 0 ? `: no tasks${scheduled ? ',' : ''}` : ':'}
        </span>
      </span>
      <span className="mo-counts">
        {shown.map((s) => (
          <span
            key={s}
            className={`mo-count mo-${s}`}
            data-status={s}
            style={{ backgroundColor: STATUS_STYLES[s].color, color: STATUS_STYLES[s].onColor }}
          >
            <span aria-hidden="true">{STATUS_STYLES[s].icon}</span> {counts[s].toLocaleString('en-US')}
            <span className="sr-only"> {STATUS_STYLES[s].label.toLowerCase()},</span>
          </span>
        ))}
        {scheduled > 0 ? (
          <span className="mo-sched" data-scheduled={scheduled}>
            <span aria-hidden="true">↻</span> {scheduled.toLocaleString('en-US')} scheduled
            <span className="sr-only"> {scheduled === 1 ? 'run' : 'runs'}</span>
          </span>
        ) : null}
      </span>
      {total > 0 ? (
        <span className="mo-strip" aria-hidden="true">
          {MONTH_ORDER.map((s) =>
            counts[s] > 0 ? (
              <span
                key={s}
                style={{ flexGrow: counts[s], backgroundColor: STATUS_STYLES[s].color }}
                className="mo-strip-seg"
              />
            ) : null,
          )}
        </span>
      ) : null}
    </button>
  )
}, sameDay)

export function MonthView({
  index,
  anchorMs,
  nowMs,
  filter,
  keep,
  scheduled,
  onOpenDay,
}: {
  index: CalendarIndex
  anchorMs: number
  nowMs: number
  filter: CalendarFilter
  keep: (p: Placed) => boolean
  /** Upcoming schedule occurrences per local day (countByDay), already filtered. */
  scheduled: ReadonlyMap<string, number>
  onOpenDay: (dayMs: number) => void
}) {
  const subscribe = useCallback((fn: () => void) => index.subscribe(fn), [index])
  // Counts change with a task's day, status or project: countsRev says when.
  const rev = useSyncExternalStore(subscribe, () => index.countsRev())
  const days = useMemo(() => monthDays(anchorMs), [anchorMs])
  const totals = useMemo(
    () =>
      monthTotals(
        index,
        days.map((d) => localDayKey(d.getTime())),
        filter,
        keep,
      ),
    // rev: the index changed (it is mutated in place).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [days, index, filter, keep, rev],
  )
  const todayKey = localDayKey(nowMs)
  const [focusDay, setFocusDay] = useState<number | null>(null)
  const anchorIndex = days.findIndex((d) => localDayKey(d.getTime()) === localDayKey(anchorMs))
  const tabbable = focusDay ?? (anchorIndex >= 0 ? anchorIndex : 0)
  const gridRef = useRef<HTMLDivElement>(null)
  const onKeyDown = (e: React.KeyboardEvent) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('.mo-day')
    if (!cell) return
    const i = [...(gridRef.current?.querySelectorAll('.mo-day') ?? [])].indexOf(cell)
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key]
    if (step === undefined || i < 0) return
    const next = i + step
    if (next < 0 || next >= days.length) return
    e.preventDefault()
    setFocusDay(next)
    gridRef.current?.querySelectorAll<HTMLElement>('.mo-day')[next]?.focus()
  }
  return (
    <div className="mo" data-testid="month">
      <div className="mo-weekdays" aria-hidden="true">
        {days.slice(0, 7).map((d) => (
          <span key={d.getTime()}>{format(d, 'EEE')}</span>
        ))}
      </div>
      <div className="mo-grid" ref={gridRef} onKeyDown={onKeyDown} role="group" aria-label="Days">
        {days.map((d, i) => (
          <DayCell
            key={d.getTime()}
            date={d}
            counts={totals[i]!}
            scheduled={scheduled.get(localDayKey(d.getTime())) ?? 0}
            inMonth={isSameMonth(d, anchorMs)}
            today={localDayKey(d.getTime()) === todayKey}
            tabbable={i === tabbable}
            onOpen={onOpenDay}
          />
        ))}
      </div>
    </div>
  )
}
