// Upcoming schedule occurrences for whatever the calendar shows (GET /api/schedules/occurrences):
// the month's six weeks (a count per day), the timeline's window (outlined bars per agent row),
// the agenda's seven days (outlined rows). One fetch for the view in use, when its range settles
// and again every minute (a schedule set elsewhere, time moving on). Only occurrences whose grace
// has not run out are shown: a passed one either has its run (a task) or became a missed-run task
// (a failed task), both already in the task store and counted or drawn as tasks.
import { useEffect, useMemo, useState } from 'react'
import { format } from 'date-fns'
import { useNow, useParts } from '../../stores/context'
import { localDayKey } from '../../stores/placement'
import { NONE } from '../../stores/task-store'
import { createSchedulesApi, type ScheduleOccurrence } from '../../net/schedules-api'
import type { CalendarFilter } from './filters'

const MINUTE = 60_000
const DAY = 24 * 3600_000
/** A drag or wheel pan moves the window many times a second: ask once it rests. */
const SETTLE_MS = 250
/**
 * How far before now an occurrence may lie and still be shown (its grace not yet over). The fetch
 * starts there, not at the range's start, so the server's cap is spent on what can be shown;
 * a grace longer than this (the protocol allows 7 days) is rare enough to accept the gap.
 */
const LOOKBACK_MS = DAY
/** The most occurrences asked for at once (the server's own limit). */
export const OCCURRENCE_LIMIT = 5000

export type OccurrencesByAgent = ReadonlyMap<string, readonly ScheduleOccurrence[]>

/** Planned, not yet judged: its grace deadline is still ahead. */
export function isUpcoming(o: ScheduleOccurrence, nowMs: number): boolean {
  return Date.parse(o.deadline) > nowMs
}

/**
 * Whether the calendar's filters let an occurrence through. Occurrences are planned (pending)
 * work, so a status filter other than pending hides them; a search hides them too (its matches
 * are task ids from the server's full-text index, which holds no schedules).
 */
export function occurrencePasses(f: CalendarFilter, o: ScheduleOccurrence): boolean {
  if (f.matches !== null || (f.status !== 'all' && f.status !== 'pending')) return false
  if (f.agent !== 'all' && (o.assignee ?? NONE) !== f.agent) return false
  return f.project === 'all' || (o.project_id ?? NONE) === f.project
}

/** The timeline's rows: occurrences by assignee (NONE for none), in the order given. */
export function groupByAgent(list: readonly ScheduleOccurrence[]): OccurrencesByAgent {
  const out = new Map<string, ScheduleOccurrence[]>()
  for (const o of list) {
    const agent = o.assignee ?? NONE
    let row = out.get(agent)
    if (!row) out.set(agent, (row = []))
    row.push(o)
  }
  return out
}

/**
 * The month's cells: how many occurrences fall on each local day (the day of `at` in the
 * renderer's time zone, so a DST day of 23 or 25 hours holds that many hourly runs).
 */
export function countByDay(list: readonly ScheduleOccurrence[]): ReadonlyMap<string, number> {
  const out = new Map<string, number>()
  for (const o of list) {
    const day = localDayKey(Date.parse(o.at))
    out.set(day, (out.get(day) ?? 0) + 1)
  }
  return out
}

/** What a planned run is, in words (a timeline mark's name, an agenda row's tooltip). */
export function occurrenceText(o: ScheduleOccurrence): string {
  return (
    `${o.title || o.schedule_id}: scheduled ${format(Date.parse(o.at), 'EEE d MMM HH:mm')}, ` +
    `a run must start by ${format(Date.parse(o.deadline), 'HH:mm')} (schedule ${o.schedule_id})`
  )
}

/** The part of [fromMs, toMs) worth asking for at `nowMs`, or null when all of it has passed. */
export function fetchRange(fromMs: number, toMs: number, nowMs: number): { from: number; to: number } | null {
  const from = Math.max(fromMs, nowMs - LOOKBACK_MS)
  return from < toMs ? { from, to: toMs } : null
}

export interface ScheduledInRange {
  /** Upcoming occurrences in [fromMs, toMs), time order (not yet filtered). */
  list: readonly ScheduleOccurrence[]
  /** More than OCCURRENCE_LIMIT were due in the range: `list` stops at the last one given. */
  truncated: boolean
  /**
   * The answer in hand covers the whole range. While a new range is being asked for, `list` holds
   * the last answer's occurrences inside it: right for the timeline's marks while it pans (each is
   * where it is), wrong for a count per day or a list (a day half covered would count half).
   */
  complete: boolean
  error: string | null
}

export function useScheduleOccurrences(fromMs: number, toMs: number, active: boolean): ScheduledInRange {
  const parts = useParts()
  const api = useMemo(
    () => parts.schedules ?? createSchedulesApi(() => parts.connection.current()),
    [parts.schedules, parts.connection],
  )
  const minute = useNow(MINUTE)
  const [state, setState] = useState<{
    list: ScheduleOccurrence[]
    truncated: boolean
    error: string | null
    /** The range the list answers. */
    from: number | null
    to: number | null
  }>({ list: [], truncated: false, error: null, from: null, to: null })
  const range = fetchRange(fromMs, toMs, minute)
  const askFrom = range?.from ?? null
  const askTo = range?.to ?? null
  useEffect(() => {
    if (!active || askFrom === null || askTo === null) return
    let cancelled = false
    const timer = setTimeout(() => {
      api.occurrences(askFrom, askTo).then(
        (r) =>
          !cancelled &&
          setState({ list: r.occurrences, truncated: r.truncated, error: null, from: askFrom, to: askTo }),
        (e: Error) => !cancelled && setState((s) => ({ ...s, error: e.message })),
      )
    }, SETTLE_MS)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [api, askFrom, askTo, active, minute])
  // Until a new range's answer is in, the last one's occurrences that lie in this range stand.
  const list = useMemo(
    () =>
      askFrom === null
        ? []
        : state.list.filter((o) => {
            const at = Date.parse(o.at)
            return at >= fromMs && at < toMs && isUpcoming(o, minute)
          }),
    [state.list, fromMs, toMs, minute, askFrom],
  )
  const complete =
    askFrom === null ||
    (state.from !== null && state.to !== null && state.from <= askFrom && state.to >= (askTo ?? 0))
  return { list, truncated: askFrom !== null && state.truncated, complete, error: state.error }
}
