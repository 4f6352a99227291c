// The fleet timeline, the calendar's day/week view: one row per agent (the name column stays put),
// time across, runs as bars (TimelineBar), a now-line, ticks. Drawn as virtualised DOM: only the
// rows in view are in the document (timeline-math visibleRows), each row subscribes to its own
// agent's revision in the calendar index, so an update re-renders one row and, inside it, the one
// bar whose task changed. Zoom (1 hour – 1 month): buttons, + / -, Ctrl+wheel. Pan: arrows, drag,
// Shift+wheel or a sideways swipe. Bars: Tab reaches each row's first bar, ←/→ move along the row,
// ↑/↓ to the nearest bar of the next row with one, Enter opens the task.
import { memo, useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useNow, useParts } from '../../stores/context'
import type { CalendarIndex, Placed } from '../../stores/calendar-index'
import { endAt } from '../../stores/calendar-index'
import { NONE } from '../../stores/task-store'
import { growthStepMs, TimelineBar } from './TimelineBar'
import type { ScheduleOccurrence } from '../../net/schedules-api'
import { occurrenceText, type OccurrencesByAgent } from './schedule-occurrences'
import { assignLanes, nextSpan, pan, ticks, visibleRows, zoomTo, type Window } from './timeline-math'
import { useScrollViewport } from './use-scroll-viewport'

export const ROW_HEIGHT = 36
/** Two lanes keep a bar's text readable (17 px); a third overlapping run shares a lane. */
const MAX_LANES = 2
const MINUTE = 60_000

export function agentLabel(agent: string): string {
  return agent === NONE ? 'Unassigned' : agent
}

/** The bars of one agent in the window: filtered, in start order, with lanes. */
export function rowBars(
  index: CalendarIndex,
  agent: string,
  w: Window,
  nowMs: number,
  keep: (p: Placed) => boolean,
): { bars: Placed[]; lanes: number[]; laneCount: number } {
  const bars = index
    .agentTasksIn(agent, w.fromMs, w.fromMs + w.spanMs, nowMs)
    .filter(keep)
    .sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1))
  const { lanes, count } = assignLanes(
    bars.map((p) => ({ startMs: p.startMs, endMs: endAt(p, nowMs) })),
    MAX_LANES,
  )
  return { bars, lanes, laneCount: count }
}

interface RowProps {
  index: CalendarIndex
  agent: string
  rowIndex: number
  w: Window
  keep: (p: Placed) => boolean
  /** This agent's upcoming schedule occurrences (outlined, behind the runs). */
  occurrences?: readonly ScheduleOccurrence[]
}

/** Planned runs of a schedule: dashed outlines from the occurrence to its grace deadline. Not
 * tasks (nothing to open), so not buttons; the row's label counts them for screen readers. */
function OccurrenceMarks({ list, w }: { list: readonly ScheduleOccurrence[]; w: Window }) {
  const toMs = w.fromMs + w.spanMs
  return (
    <>
      {list.map((o) => {
        const at = Date.parse(o.at)
        const end = Date.parse(o.deadline)
        if (end <= w.fromMs || at >= toMs) return null
        const left = Math.max(0, ((at - w.fromMs) / w.spanMs) * 100)
        const right = Math.min(100, ((end - w.fromMs) / w.spanMs) * 100)
        const text = occurrenceText(o)
        return (
          <span
            key={`${o.schedule_id}@${o.at}`}
            className="tl-occ tl-planned"
            data-schedule-id={o.schedule_id}
            data-at={o.at}
            role="img"
            aria-label={text}
            title={text}
            style={{ left: `${left}%`, width: `max(6px, ${Math.max(0, right - left)}%)` }}
          >
            <span className="tl-glyph" aria-hidden="true">
              ↻
            </span>
            <span className="tl-title" aria-hidden="true">
              {o.title || o.schedule_id}
            </span>
          </span>
        )
      })}
    </>
  )
}

const TimelineRow = memo(function TimelineRow({ index, agent, rowIndex, w, keep, occurrences }: RowProps) {
  const subscribe = useCallback((fn: () => void) => index.subscribe(fn), [index])
  const rev = useSyncExternalStore(subscribe, () => index.agentRev(agent))
  // Which bars, and their lanes, move with the minute; a running bar's own end moves each second.
  const minute = useNow(MINUTE)
  const { bars, lanes, laneCount } = useMemo(
    () => rowBars(index, agent, w, minute + MINUTE, keep),
    // rev: the agent's tasks changed (the index is mutated in place).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [index, agent, w, minute, keep, rev],
  )
  const name = agentLabel(agent)
  const planned = occurrences?.length ?? 0
  return (
    <div
      className="tl-row"
      role="group"
      aria-label={`${name}: ${bars.length} ${bars.length === 1 ? 'task' : 'tasks'}${planned ? `, ${planned} scheduled` : ''}`}
      data-agent={agent}
      data-row-index={rowIndex}
      style={{ top: rowIndex * ROW_HEIGHT }}
    >
      <div className="tl-name" title={name}>
        {name}
      </div>
      <div className="tl-track">
        {occurrences ? <OccurrenceMarks list={occurrences} w={w} /> : null}
        {bars.map((p, i) => (
          <TimelineBar
            key={p.id}
            p={p}
            fromMs={w.fromMs}
            spanMs={w.spanMs}
            lane={lanes[i]!}
            lanes={laneCount}
            tabbable={i === 0}
          />
        ))}
      </div>
    </div>
  )
})

function NowLine({ w }: { w: Window }) {
  const now = useNow(growthStepMs(w.spanMs))
  const x = ((now - w.fromMs) / w.spanMs) * 100
  if (x < 0 || x > 100) return null
  return (
    <div className="tl-now" style={{ left: `${x}%` }} aria-hidden="true" title="Now">
      <span className="tl-now-label">now</span>
    </div>
  )
}

function Axis({ w }: { w: Window }) {
  const tk = useMemo(() => ticks(w), [w])
  return (
    <div className="tl-axis" aria-hidden="true">
      {tk.map((t) => (
        <span
          key={t.ms}
          className={`tl-tick${t.major ? ' tl-tick-major' : ''}`}
          style={{ left: `${((t.ms - w.fromMs) / w.spanMs) * 100}%` }}
        >
          {t.label}
        </span>
      ))}
    </div>
  )
}

function Grid({ w }: { w: Window }) {
  const tk = useMemo(() => ticks(w), [w])
  return (
    <div className="tl-grid" aria-hidden="true">
      {tk.map((t) => (
        <span
          key={t.ms}
          className={`tl-gridline${t.major ? ' tl-gridline-major' : ''}`}
          style={{ left: `${((t.ms - w.fromMs) / w.spanMs) * 100}%` }}
        />
      ))}
    </div>
  )
}

export interface TimelineProps {
  index: CalendarIndex
  agents: readonly string[]
  w: Window
  setWindow: (update: (w: Window) => Window) => void
  keep: (p: Placed) => boolean
  /** Upcoming schedule occurrences by agent row (the rows are in `agents` already). */
  occurrences?: OccurrencesByAgent
}

/** Focus the bar of row `rowIndex` (or the next rows with one, in `dir`) nearest to `x`. */
function focusRowBar(body: HTMLElement, rowIndex: number, dir: 1 | -1, x: number, rows: number): void {
  let i = rowIndex
  const tryFocus = (): boolean => {
    const row = body.querySelector<HTMLElement>(`.tl-row[data-row-index="${i}"]`)
    if (!row) return false
    const bars = [...row.querySelectorAll<HTMLElement>('.tl-bar')]
    if (bars.length === 0) return false
    let best = bars[0]!
    let bestD = Infinity
    for (const b of bars) {
      const r = b.getBoundingClientRect()
      const d = Math.abs((r.left + r.right) / 2 - x)
      if (d < bestD) [best, bestD] = [b, d]
    }
    best.focus()
    return true
  }
  // Walk rows until one has a bar, scrolling each into view so it is rendered.
  for (let n = 0; n < 60 && i >= 0 && i < rows; n++, i += dir) {
    const top = i * ROW_HEIGHT
    if (top < body.scrollTop) body.scrollTop = top
    else if (top + ROW_HEIGHT > body.scrollTop + body.clientHeight)
      body.scrollTop = top + ROW_HEIGHT - body.clientHeight
    if (tryFocus()) return
    if (!body.querySelector(`.tl-row[data-row-index="${i}"]`)) {
      // Not rendered yet: the scroll re-renders the window; try again after that.
      const at = i
      requestAnimationFrame(() => {
        i = at
        if (!tryFocus()) focusRowBar(body, at + dir, dir, x, rows)
      })
      return
    }
  }
}

export function Timeline({ index, agents, w, setWindow, keep, occurrences }: TimelineProps) {
  const { ui } = useParts()
  const bodyRef = useRef<HTMLDivElement>(null)
  const { scrollTop, setScrollTop, viewport } = useScrollViewport(bodyRef)
  const { start, end } = visibleRows(scrollTop, viewport, ROW_HEIGHT, agents.length)

  // Where on the track a pointer is, as a fraction of its width (the zoom anchor).
  const trackFraction = useCallback((clientX: number): number => {
    const track = bodyRef.current?.querySelector('.tl-track-ref')
    const r = track?.getBoundingClientRect()
    if (!r || r.width === 0) return 0.5
    return (clientX - r.left) / r.width
  }, [])

  // Ctrl+wheel zooms (the page must not), Shift+wheel or a sideways swipe pans.
  useEffect(() => {
    const el = bodyRef.current
    if (!el) return
    const onWheel = (e: WheelEvent) => {
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault()
        const anchor = trackFraction(e.clientX)
        setWindow((cur) => zoomTo(cur, nextSpan(cur.spanMs, e.deltaY > 0 ? 1 : -1), anchor))
        return
      }
      const dx = e.shiftKey ? e.deltaY : Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : 0
      if (dx === 0) return
      e.preventDefault()
      const width = el.querySelector('.tl-track-ref')?.getBoundingClientRect().width || 1000
      setWindow((cur) => pan(cur, dx / width))
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [setWindow, trackFraction])

  // Drag on the background pans.
  const drag = useRef<{ x: number; width: number; id: number } | null>(null)
  const onPointerDown = (e: React.PointerEvent) => {
    if (e.button !== 0 || (e.target as HTMLElement).closest('.tl-bar, .tl-name')) return
    const width = bodyRef.current?.querySelector('.tl-track-ref')?.getBoundingClientRect().width || 1000
    drag.current = { x: e.clientX, width, id: e.pointerId }
    ;(e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId)
  }
  const onPointerMove = (e: React.PointerEvent) => {
    const d = drag.current
    if (!d || d.id !== e.pointerId) return
    const dx = e.clientX - d.x
    if (Math.abs(dx) < 2) return
    d.x = e.clientX
    setWindow((cur) => pan(cur, -dx / d.width))
  }
  const onPointerUp = () => {
    drag.current = null
  }

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const target = e.target as HTMLElement
    const bar = target.closest<HTMLElement>('.tl-bar')
    if (e.key === '+' || e.key === '=') {
      e.preventDefault()
      setWindow((cur) => zoomTo(cur, nextSpan(cur.spanMs, -1)))
      return
    }
    if (e.key === '-' || e.key === '_') {
      e.preventDefault()
      setWindow((cur) => zoomTo(cur, nextSpan(cur.spanMs, 1)))
      return
    }
    if (bar) {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault()
        const id = bar.dataset.taskId
        if (id) ui.getState().openTask(id)
        return
      }
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault()
        const sib = e.key === 'ArrowLeft' ? bar.previousElementSibling : bar.nextElementSibling
        if (sib instanceof HTMLElement && sib.classList.contains('tl-bar')) sib.focus()
        // At the end of the row: move the window along (the focus stays on this bar).
        else setWindow((cur) => pan(cur, e.key === 'ArrowLeft' ? -0.25 : 0.25))
        return
      }
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault()
        const row = bar.closest<HTMLElement>('.tl-row')
        const i = Number(row?.dataset.rowIndex ?? 0)
        const r = bar.getBoundingClientRect()
        const dir = e.key === 'ArrowDown' ? 1 : -1
        if (bodyRef.current) focusRowBar(bodyRef.current, i + dir, dir, (r.left + r.right) / 2, agents.length)
        return
      }
      return
    }
    if (target !== bodyRef.current) return
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault()
      setWindow((cur) => pan(cur, e.key === 'ArrowLeft' ? -0.125 : 0.125))
    }
  }

  const onClick = (e: React.MouseEvent) => {
    const bar = (e.target as HTMLElement).closest<HTMLElement>('.tl-bar')
    const id = bar?.dataset.taskId
    if (id) ui.getState().openTask(id)
  }

  const rows = []
  for (let i = start; i < end; i++)
    rows.push(
      <TimelineRow
        key={agents[i]}
        index={index}
        agent={agents[i]!}
        rowIndex={i}
        w={w}
        keep={keep}
        occurrences={occurrences?.get(agents[i]!)}
      />,
    )

  return (
    <div className="tl" data-testid="timeline">
      <div className="tl-head">
        <div className="tl-name tl-name-head">
          Agent <span className="muted">({agents.length})</span>
        </div>
        <div className="tl-head-track">
          <Axis w={w} />
        </div>
      </div>
      <div
        ref={bodyRef}
        className="tl-body"
        tabIndex={0}
        role="region"
        aria-label="Timeline: agents by time. Arrows pan, + and - zoom, Tab to the runs, Enter opens one"
        onScroll={(e) => setScrollTop((e.target as HTMLElement).scrollTop)}
        onKeyDown={onKeyDown}
        onClick={onClick}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <div className="tl-canvas" style={{ height: agents.length * ROW_HEIGHT }}>
          <div className="tl-overlay">
            <div className="tl-track-ref">
              <Grid w={w} />
              <NowLine w={w} />
            </div>
          </div>
          {rows}
        </div>
        {agents.length === 0 ? <p className="muted pad">No tasks match in this window.</p> : null}
      </div>
    </div>
  )
}
