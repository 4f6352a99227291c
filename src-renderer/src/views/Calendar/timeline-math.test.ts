// Zoom, pan, ticks, lanes and the virtual window of the timeline.
import { describe, expect, it } from 'vitest'
import {
  assignLanes,
  MAX_SPAN,
  MIN_SPAN,
  nextSpan,
  pan,
  tickStep,
  ticks,
  visibleRows,
  xPercent,
  zoomTo,
} from './timeline-math'

const H = 3600_000
const D = 24 * H

describe('zoom', () => {
  it('steps from an hour to a month and stops at both ends', () => {
    expect(MIN_SPAN).toBe(H)
    expect(MAX_SPAN).toBe(31 * D)
    const spans = [H]
    for (let s = H; s < MAX_SPAN;) spans.push((s = nextSpan(s, 1)))
    expect(spans.map((s) => s / H)).toEqual([1, 3, 6, 12, 24, 72, 168, 336, 744])
    expect(nextSpan(MAX_SPAN, 1)).toBe(MAX_SPAN)
    expect(nextSpan(H, -1)).toBe(H)
    expect(nextSpan(D, -1)).toBe(12 * H)
    expect(nextSpan(5 * H, -1)).toBe(3 * H)
  })

  it('keeps the time under the pointer where it is', () => {
    const w = { fromMs: 1_000 * D, spanMs: D }
    const anchorTime = w.fromMs + 0.25 * w.spanMs
    const z = zoomTo(w, 6 * H, 0.25)
    expect(z.spanMs).toBe(6 * H)
    expect(z.fromMs + 0.25 * z.spanMs).toBe(anchorTime)
    expect(xPercent(z, anchorTime)).toBeCloseTo(25)
    expect(zoomTo(w, 10 * MAX_SPAN).spanMs).toBe(MAX_SPAN)
    expect(zoomTo(w, 1).spanMs).toBe(MIN_SPAN)
  })

  it('pans by a fraction of the span', () => {
    expect(pan({ fromMs: 0, spanMs: D }, -0.125)).toEqual({ fromMs: -3 * H, spanMs: D })
  })
})

describe('ticks', () => {
  it('chooses a step giving at most a dozen ticks', () => {
    expect(tickStep(H)).toBe(5 * 60_000)
    expect(tickStep(D)).toBe(2 * H)
    expect(tickStep(7 * D)).toBe(D)
    expect(tickStep(31 * D)).toBe(7 * D)
  })

  it('falls on local clock times, a day boundary labelled with its date', () => {
    const from = new Date(2026, 10, 3, 19, 40).getTime()
    const t = ticks({ fromMs: from, spanMs: 12 * H })
    expect(t[0]!.label).toBe('20:00')
    for (const k of t) expect(new Date(k.ms).getMinutes()).toBe(0)
    const midnight = t.find((k) => k.major)!
    expect(midnight.ms).toBe(new Date(2026, 10, 4).getTime())
    expect(midnight.label).toBe('Wed 4 Nov')
    expect(t.every((k) => k.ms >= from && k.ms < from + 12 * H)).toBe(true)
  })

  it('starts weeks on Monday in a month-wide window', () => {
    const t = ticks({ fromMs: new Date(2026, 10, 1).getTime(), spanMs: 31 * D })
    expect(t.map((k) => new Date(k.ms).getDay())).toEqual(t.map(() => 1))
  })
})

describe('lanes', () => {
  it('stacks overlapping runs, reuses a lane once free, and caps the lanes', () => {
    const bars = [
      { startMs: 0, endMs: 10 },
      { startMs: 5, endMs: 15 },
      { startMs: 10, endMs: 20 },
      { startMs: 6, endMs: 8 },
    ]
    expect(assignLanes(bars, 3)).toEqual({ lanes: [0, 1, 0, 2], count: 3 })
    const capped = assignLanes(bars, 2)
    expect(capped.count).toBe(2)
    expect(capped.lanes.every((l) => l < 2)).toBe(true)
  })
})

describe('virtual window', () => {
  it('keeps only the rows in view plus overscan', () => {
    expect(visibleRows(0, 360, 36, 400, 2)).toEqual({ start: 0, end: 12 })
    expect(visibleRows(3600, 360, 36, 400, 2)).toEqual({ start: 98, end: 112 })
    expect(visibleRows(36 * 399, 360, 36, 400, 2)).toEqual({ start: 397, end: 400 })
    expect(visibleRows(0, 360, 36, 0)).toEqual({ start: 0, end: 0 })
  })
})
