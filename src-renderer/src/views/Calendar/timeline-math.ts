// The timeline's arithmetic, pure so tests pin it down: zoom levels and zooming around a point,
// panning, the ticks of the time axis (aligned to local hours and days), lanes for overlapping
// runs of one agent, and which rows of a fixed-height list are in view (the virtual window).
import { format } from 'date-fns'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/** Zoom levels, the visible span: an hour to a month. */
export const ZOOM_SPANS = [
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
  14 * DAY,
  31 * DAY,
] as const
export const MIN_SPAN = ZOOM_SPANS[0]
export const MAX_SPAN = ZOOM_SPANS[ZOOM_SPANS.length - 1]!

/** The next zoom level in (`dir` -1: shorter span) or out (+1), clamped to the ends. */
export function nextSpan(span: number, dir: 1 | -1): number {
  if (dir < 0) {
    for (let i = ZOOM_SPANS.length - 1; i >= 0; i--) if (ZOOM_SPANS[i]! < span) return ZOOM_SPANS[i]!
    return MIN_SPAN
  }
  for (const s of ZOOM_SPANS) if (s > span) return s
  return MAX_SPAN
}

export interface Window {
  fromMs: number
  spanMs: number
}

/**
 * Zoom to `spanMs` keeping the time under `anchor` (0 = left edge, 1 = right edge) where it is:
 * zooming with the pointer over 14:00 leaves 14:00 under the pointer.
 */
export function zoomTo(w: Window, spanMs: number, anchor = 0.5): Window {
  const span = Math.min(MAX_SPAN, Math.max(MIN_SPAN, spanMs))
  const a = Math.min(1, Math.max(0, anchor))
  const at = w.fromMs + w.spanMs * a
  return { fromMs: Math.round(at - span * a), spanMs: span }
}

/** Move by a fraction of the span (negative: back in time). */
export function pan(w: Window, fraction: number): Window {
  return { fromMs: Math.round(w.fromMs + w.spanMs * fraction), spanMs: w.spanMs }
}

/** Position of a time in the window, in percent of its width (may lie outside 0–100). */
export function xPercent(w: Window, ms: number): number {
  return ((ms - w.fromMs) / w.spanMs) * 100
}

export interface Tick {
  ms: number
  label: string
  /** A day boundary (drawn stronger). */
  major: boolean
}

const TICK_STEPS = [
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
] as const

/** The tick step giving at most `maxTicks` ticks over the span. */
export function tickStep(spanMs: number, maxTicks = 12): number {
  for (const s of TICK_STEPS) if (spanMs / s <= maxTicks) return s
  return TICK_STEPS[TICK_STEPS.length - 1]!
}

/**
 * Ticks over the window at local-time boundaries: every `step` from local midnight (hours keep
 * their clock labels across a DST change; days step by calendar day, weeks start on Monday).
 */
export function ticks(w: Window, maxTicks = 12): Tick[] {
  const step = tickStep(w.spanMs, maxTicks)
  const to = w.fromMs + w.spanMs
  const out: Tick[] = []
  const d = new Date(w.fromMs)
  d.setHours(0, 0, 0, 0)
  if (step >= DAY) {
    const days = Math.round(step / DAY)
    if (days === 7) d.setDate(d.getDate() - ((d.getDay() + 6) % 7)) // Monday
    for (; d.getTime() < to; d.setDate(d.getDate() + days)) {
      if (d.getTime() < w.fromMs) continue
      out.push({ ms: d.getTime(), label: format(d, 'EEE d MMM'), major: true })
    }
    return out
  }
  const stepMin = Math.round(step / MIN)
  // Walk local days, and within each day the clock times that are multiples of the step.
  for (const day = new Date(d); day.getTime() < to; day.setDate(day.getDate() + 1)) {
    for (let m = 0; m < 24 * 60; m += stepMin) {
      const t = new Date(day)
      t.setHours(Math.floor(m / 60), m % 60, 0, 0)
      const ms = t.getTime()
      if (ms < w.fromMs) continue
      if (ms >= to) break
      const major = m === 0
      out.push({ ms, label: major ? format(t, 'EEE d MMM') : format(t, 'HH:mm'), major })
    }
  }
  return out
}

/** A heading for the window: "Tue 3 Nov 2026, 09:00 – 15:00", "3 – 9 Nov 2026". */
export function windowLabel(w: Window): string {
  const from = new Date(w.fromMs)
  const to = new Date(w.fromMs + w.spanMs - 1)
  if (w.spanMs < DAY || from.toDateString() === to.toDateString())
    return from.toDateString() === to.toDateString()
      ? `${format(from, 'EEE d MMM yyyy, HH:mm')} – ${format(to, 'HH:mm')}`
      : `${format(from, 'EEE d MMM, HH:mm')} – ${format(to, 'EEE d MMM yyyy, HH:mm')}`
  return `${format(from, 'EEE d MMM')} – ${format(to, 'EEE d MMM yyyy')}`
}

export interface LaneInput {
  startMs: number
  endMs: number
}

/**
 * Lanes for overlapping bars of one row (greedy, by start): each bar goes to the first lane free
 * at its start. At most `maxLanes`; a bar that finds none shares the lane that frees up first.
 * Returns the lane per input index and the number of lanes used.
 */
export function assignLanes(bars: readonly LaneInput[], maxLanes = 3): { lanes: number[]; count: number } {
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.startMs - bars[b]!.startMs || a - b)
  const laneEnds: number[] = []
  const lanes = new Array<number>(bars.length).fill(0)
  for (const i of order) {
    const b = bars[i]!
    let lane = laneEnds.findIndex((end) => end <= b.startMs)
    if (lane < 0) {
      if (laneEnds.length < maxLanes) lane = laneEnds.length
      else lane = laneEnds.indexOf(Math.min(...laneEnds))
    }
    laneEnds[lane] = Math.max(laneEnds[lane] ?? 0, b.endMs)
    lanes[i] = lane
  }
  return { lanes, count: Math.max(1, laneEnds.length) }
}

/**
 * The rows of a fixed-height list to put in the DOM: those in view plus `overscan` either side.
 * [start, end) row indexes.
 */
export function visibleRows(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 4,
): { start: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 }
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight)
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight)
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + overscan) }
}
