// One run on the timeline: a button placed by its start and end in the visible window, in its
// status colour with the text colour that reaches 4.5:1 on it. Memoised on the task's placement
// (replaced by the calendar index only when that task changes) and its lane, so an update
// re-renders the one bar it changes. An open run reads the clock itself and grows; nothing else
// does.
import { memo } from 'react'
import { format } from 'date-fns'
import { STATUS_STYLES } from '../../../../src-shared/status-colors'
import { useNow } from '../../stores/context'
import { endAt, type Placed } from '../../stores/calendar-index'
import { Highlight } from '../../components/Highlight'

export interface TimelineBarProps {
  p: Placed
  fromMs: number
  spanMs: number
  lane: number
  lanes: number
  /** The row's Tab stop. */
  tabbable: boolean
}

const fmt = (ms: number, withDay: boolean) => format(ms, withDay ? 'EEE d MMM HH:mm' : 'HH:mm')

export function durationText(ms: number): string {
  const m = Math.round(ms / 60_000)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

/** A failed task's error, one line, short enough for a bar's name or an agenda row (the detail
 * has all of it): a missed run's "no run started by 02:15 (…)". */
export function errorLine(error: string | null | undefined): string | null {
  const line = error?.split('\n', 1)[0]?.trim()
  if (!line) return null
  return line.length > 160 ? `${line.slice(0, 159)}…` : line
}

/** What a screen reader says after the title: status, times, duration, staleness, a failure's error. */
export function barDescription(p: Placed, endMs: number): string {
  const st = STATUS_STYLES[p.status]
  const sameDay = new Date(p.startMs).toDateString() === new Date(endMs).toDateString()
  const parts = [st.label]
  if (p.basis === 'scheduled' || p.basis === 'due')
    parts.push(`${p.basis === 'due' ? 'due' : 'scheduled'} ${fmt(p.startMs, true)}`)
  else parts.push(`${fmt(p.startMs, true)} – ${p.open ? 'now' : fmt(endMs, !sameDay)}`)
  parts.push(durationText(endMs - p.startMs))
  if (p.task.stale_since) parts.push(`stale since ${fmt(Date.parse(p.task.stale_since), true)}`)
  const error = p.status === 'failed' ? errorLine(p.task.error) : null
  if (error) parts.push(error)
  return parts.join(', ')
}

/** Future scheduled or due work, drawn as an outline. */
export function isPlanned(p: Placed): boolean {
  return (p.basis === 'scheduled' || p.basis === 'due') && p.status === 'pending'
}

/** How often an open run's end moves: about a pixel's worth of time (1 s at an hour, 10 min at a
 * week), so a week of running bars does not re-render every second for nothing. */
export function growthStepMs(spanMs: number): number {
  return Math.min(600_000, Math.max(1000, Math.round(spanMs / 1000 / 1000) * 1000))
}

function OpenRunEnd({ stepMs, children }: { stepMs: number; children: (nowMs: number) => React.ReactNode }) {
  return <>{children(useNow(stepMs))}</>
}

export const TimelineBar = memo(function TimelineBar(props: TimelineBarProps) {
  if (props.p.open)
    return (
      <OpenRunEnd stepMs={growthStepMs(props.spanMs)}>{(now) => <Bar {...props} nowMs={now} />}</OpenRunEnd>
    )
  return <Bar {...props} nowMs={0} />
})

function Bar({ p, fromMs, spanMs, lane, lanes, tabbable, nowMs }: TimelineBarProps & { nowMs: number }) {
  const endMs = endAt(p, nowMs)
  const left = Math.max(0, ((p.startMs - fromMs) / spanMs) * 100)
  const right = Math.min(100, ((endMs - fromMs) / spanMs) * 100)
  const st = STATUS_STYLES[p.status]
  const stale = !!p.task.stale_since
  const planned = isPlanned(p)
  const title = p.task.title || p.task.task_id
  const desc = barDescription(p, endMs)
  const cls = [
    'tl-bar',
    `tl-${p.status}`,
    planned ? 'tl-planned' : '',
    stale ? 'tl-stale' : '',
    p.startMs < fromMs ? 'tl-cut-start' : '',
    endMs > fromMs + spanMs ? 'tl-cut-end' : '',
  ]
    .filter(Boolean)
    .join(' ')
  return (
    <button
      type="button"
      className={cls}
      data-task-id={p.id}
      data-event-id={p.task.last_event_id}
      data-status={p.status}
      tabIndex={tabbable ? 0 : -1}
      title={`${title}\n${desc}`}
      style={{
        left: `${left}%`,
        width: `max(4px, ${Math.max(0, right - left)}%)`,
        top: `calc(${(lane * 100) / lanes}% + 1px)`,
        height: `calc(${100 / lanes}% - 2px)`,
        ...(planned
          ? { borderColor: st.color }
          : { backgroundColor: st.color, borderColor: st.color, color: st.onColor }),
      }}
    >
      <span className="tl-glyph" aria-hidden="true">
        {stale ? '◷' : st.icon}
      </span>
      <span className="tl-title">
        <Highlight text={title} />
      </span>
      <span className="sr-only">, {desc}</span>
    </button>
  )
}
